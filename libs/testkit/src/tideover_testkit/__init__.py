"""Helpers for integration and end-to-end tests: real Kafka, real Postgres, real processes."""
