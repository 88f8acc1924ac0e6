"""The shared runtime of every Tideover service."""
