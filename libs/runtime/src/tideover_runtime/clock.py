"""Where time comes from. No business decision reads the wall clock directly (DESIGN.md §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import asyncpg

from tideover_contracts.events.clock import BusinessDayClosed
from tideover_runtime.database import Connection


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

    The runtime advances it on every BusinessDayClosed and ClockTicked (a service on this clock
    always follows the clock topic), so that months of business days replay in seconds.
    Time follows the business calendar: a day closed late does not rewind it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(1970, 1, 1, tzinfo=UTC)
        self._business_date = self._now.date()

    def advance(self, business_date: date, closed_at: datetime) -> None:
        """Move to the close of `business_date` if it is the latest day seen."""
        if (business_date, closed_at) > (self._business_date, self._now):
            self._business_date = business_date
            self._now = closed_at.astimezone(UTC)

    def tick(self, at: datetime) -> None:
        """Time passed within the business day (ClockTicked); it never runs backwards."""
        self._now = max(self._now, at.astimezone(UTC))

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._business_date


async def record_business_day(connection: Connection, day: BusinessDayClosed) -> None:
    await connection.execute(
        "INSERT INTO business_calendar VALUES ($1, $2) ON CONFLICT DO NOTHING", day.business_date, day.closed_at
    )


async def tell_close(connection: Connection, day: date) -> date | None:
    """Record `day` as the last close told (migration 0005), and return the first day settled
    quietly since the close told before it: what fell due to be told from then on is told now
    (DESIGN.md §6). None: no day between (or `day` was told already)."""
    before: date | None = await connection.fetchval(
        """
        WITH before AS (SELECT business_date FROM told_closes),
             told AS (
                 INSERT INTO told_closes (business_date) VALUES ($1)
                 ON CONFLICT (only_row) DO UPDATE SET business_date = greatest(told_closes.business_date, excluded.business_date)
             )
        SELECT business_date FROM before
        """,
        day,
    )
    return before + timedelta(days=1) if before is not None and before < day else None


async def build_clock(kind: str, pool: asyncpg.Pool) -> Clock:
    """`system` in production; `business` in simulation, resumed from the last day closed."""
    if kind != "business":
        return SystemClock()
    clock = BusinessClock()
    row = await pool.fetchrow("SELECT business_date, closed_at FROM business_calendar ORDER BY business_date DESC LIMIT 1")
    if row is not None and row["business_date"] is not None:
        clock.advance(row["business_date"], row["closed_at"])
    return clock
