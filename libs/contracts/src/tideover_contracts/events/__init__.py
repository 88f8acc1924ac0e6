"""Every event type, grouped by the topic that carries it."""
