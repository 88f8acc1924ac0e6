"""`ops.clock.v1`: the business calendar and the time of day, advanced by the scheduler or the simulator."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tideover_contracts.envelope import Event, deterministic_id

#: Every clock event shares one key, so that all business days stay in order on one partition.
CLOCK_KEY = "business-calendar"


class BusinessDayClosed(Event):
    """The business day `business_date` is over: overdue states and plans are settled for it.

    One close per date: its event id is `close_event_id(business_date)`, whoever publishes it."""

    event_type: ClassVar[str] = "BusinessDayClosed"

    business_date: date
    closed_at: AwareDatetime
    catching_up_to: date | None = Field(
        default=None,
        description="Set when this date is closed late, in a catch-up of several dates after downtime: the "
        "latest date the catch-up closes. The ledger is settled for this date, but what is told to borrowers "
        "is decided at the latest one, with its figures (DESIGN.md §6). Absent: closed on time",
    )

    @property
    def caught_up_later(self) -> bool:
        """Whether a later date of the same catch-up will be closed: this one is settled quietly."""
        return self.catching_up_to is not None and self.catching_up_to > self.business_date

    def partition_key(self) -> str:
        return CLOCK_KEY


class ClockTicked(Event):
    """Time passed within a business day (the scheduler ticks every few minutes; the simulator
    as fast as it likes): what waits for a time of day, such as a message held through a
    borrower's quiet hours, may go."""

    event_type: ClassVar[str] = "ClockTicked"

    at: AwareDatetime

    def partition_key(self) -> str:
        return CLOCK_KEY


def close_event_id(business_date: date) -> uuid.UUID:
    """The event id of the close of `business_date`: the same from every scheduler replica, a
    restarted one, or the simulator, so that a date is closed once for every consumer."""
    return deterministic_id(BusinessDayClosed.event_type, business_date)
