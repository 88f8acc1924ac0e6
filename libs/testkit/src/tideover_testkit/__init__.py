"""Helpers for tests: in-memory fakes of the runtime's ports (memory); real Kafka, real Postgres, real processes."""
