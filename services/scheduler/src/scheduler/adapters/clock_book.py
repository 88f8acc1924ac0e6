"""The scheduler's book in Postgres (migrations/0001): the dates closed and the clock's state.
Each close and tick is staged in the outbox in the caller's transaction, with the event id
every publisher gives it (one close per date, one tick per period)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from scheduler.application.ports import ClockState
from tideover_contracts.envelope import Envelope, deterministic_id, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_runtime.database import Connection
from tideover_runtime.outbox import stage

PRODUCER = "scheduler"


def closed_envelope(day: date, closed_at: datetime, catching_up_to: date | None) -> Envelope[Any]:
    """The BusinessDayClosed of `day`, with the id every publisher gives it."""
    event = BusinessDayClosed(business_date=day, closed_at=closed_at, catching_up_to=catching_up_to)
    return wrap(event, producer=PRODUCER, occurred_at=closed_at, event_id=close_event_id(day))


def ticked_envelope(at: datetime) -> Envelope[Any]:
    """The ClockTicked of the period starting `at`, with the id every replica gives it."""
    return wrap(ClockTicked(at=at), producer=PRODUCER, occurred_at=at, event_id=deterministic_id(ClockTicked.event_type, at))


class PostgresClockBook:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def state(self) -> ClockState:
        row = await self._connection.fetchrow(
            """
            SELECT (SELECT max(business_date) FROM closed_dates) AS last_closed, paused, changed_by, changed_at, last_tick_at
            FROM clock_state FOR UPDATE
            """
        )
        assert row is not None
        return ClockState(row["last_closed"], row["paused"], row["changed_by"], row["changed_at"], row["last_tick_at"])

    async def close(self, day: date, closed_at: datetime, catching_up_to: date | None, closed_by: str) -> bool:
        recorded = await self._connection.fetchval(
            """
            INSERT INTO closed_dates (business_date, closed_at, catching_up_to, closed_by) VALUES ($1, $2, $3, $4)
            ON CONFLICT (business_date) DO NOTHING RETURNING true
            """,
            day,
            closed_at,
            catching_up_to,
            closed_by,
        )
        if not recorded:
            return False
        await stage(self._connection, closed_envelope(day, closed_at, catching_up_to))
        return True

    async def tick(self, at: datetime) -> None:
        await self._connection.execute("UPDATE clock_state SET last_tick_at = $1", at)
        await stage(self._connection, ticked_envelope(at))

    async def set_paused(self, paused: bool, by: str, at: datetime) -> None:
        await self._connection.execute("UPDATE clock_state SET paused = $1, changed_by = $2, changed_at = $3", paused, by, at)

    async def closed(self, limit: int) -> list[tuple[date, datetime, date | None, str]]:
        rows = await self._connection.fetch(
            """
            SELECT business_date, closed_at, catching_up_to, closed_by FROM closed_dates
            ORDER BY business_date DESC LIMIT $1
            """,
            limit,
        )
        return [(row["business_date"], row["closed_at"], row["catching_up_to"], row["closed_by"]) for row in rows]
