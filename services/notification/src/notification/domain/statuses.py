"""The statuses a message takes in this service, as its tables store them (one home: code compares
and sets these, never the bare strings)."""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """A message: waiting for what it must state, held until it may go, sent or suppressed."""

    WAITING = "waiting"
    HELD = "held"
    SENT = "sent"
    SUPPRESSED = "suppressed"
