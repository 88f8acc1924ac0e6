"""The statuses a document and a loan's plan takes in this service, as its tables store them (one home: code compares
and sets these, never the bare strings)."""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    """A proof document until an agent verifies or rejects it."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class PlanStatus(StrEnum):
    """The plan a loan is under, as intake last heard."""

    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
