"""Where time comes from. No business decision reads the wall clock directly (DESIGN.md §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def today(self) -> date:
        """The current business date."""
        ...


class SystemClock:
    """Production time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class BusinessClock:
    """Simulation time: the instant the last business day was closed on `ops.clock.v1`.

    Services that consume the clock topic call `advance` from their BusinessDayClosed
    handler, so that replaying months of business days takes seconds.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(1970, 1, 1, tzinfo=UTC)
        self._business_date = self._now.date()

    def advance(self, business_date: date, closed_at: datetime) -> None:
        if closed_at > self._now:
            self._now = closed_at.astimezone(UTC)
        self._business_date = max(self._business_date, business_date)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._business_date


class ManualClock(BusinessClock):
    """A clock tests set by hand."""

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)
        self._business_date = self._now.date()


def build_clock(kind: str) -> Clock:
    return BusinessClock() if kind == "business" else SystemClock()
