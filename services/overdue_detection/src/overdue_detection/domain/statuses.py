"""The statuses a loan and a plan takes in this service, as its tables store them (one home: code compares
and sets these, never the bare strings)."""

from __future__ import annotations

from enum import StrEnum


class LoanStatus(StrEnum):
    """A loan is followed until upstream closes it."""

    ACTIVE = "active"
    CLOSED = "closed"


class PlanOutcome(StrEnum):
    """Where a plan stands in the ledger (its `outcome` until it ends)."""

    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CLOSED = "closed"
