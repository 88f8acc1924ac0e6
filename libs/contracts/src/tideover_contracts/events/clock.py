"""`ops.clock.v1`: the business calendar and the time of day, advanced by the scheduler or the simulator."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime

from tideover_contracts.envelope import Event

#: Every clock event shares one key, so that all business days stay in order on one partition.
CLOCK_KEY = "business-calendar"


class BusinessDayClosed(Event):
    """The business day `business_date` is over: overdue states and plans are settled for it."""

    event_type: ClassVar[str] = "BusinessDayClosed"

    business_date: date
    closed_at: AwareDatetime

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
