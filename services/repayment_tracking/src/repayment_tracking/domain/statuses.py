"""The statuses a plan takes in this service, as its tables store them (one home: code compares
and sets these, never the bare strings)."""

from __future__ import annotations

from enum import StrEnum


class PlanStatus(StrEnum):
    """A plan followed month by month, until it ends."""

    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CLOSED = "closed"
