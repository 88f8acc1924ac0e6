"""The statuses an offer and a plan takes in this service, as its tables store them (one home: code compares
and sets these, never the bare strings)."""

from __future__ import annotations

from enum import StrEnum


class OfferStatus(StrEnum):
    """An offer until it is accepted, expires or a new quote replaces it."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class PlanStatus(StrEnum):
    """A plan put in force, until it ends."""

    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CLOSED = "closed"
    SUPERSEDED = "superseded"
