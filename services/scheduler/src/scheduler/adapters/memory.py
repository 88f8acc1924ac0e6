"""The scheduler's book in memory: the fake of the ClockBook port for unit tests, with the
semantics of adapters/clock_book.py (the contract suite tests/contract/test_clock_book.py runs
both). Each close and tick is staged through `outbox`, as the Postgres adapter stages it in its
outbox, with the same envelope."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from scheduler.adapters.clock_book import closed_envelope, ticked_envelope
from scheduler.application.ports import ClockState
from tideover_runtime.unit import Outbox


class MemoryClockBook:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        #: The dates closed: when, the catch-up's latest date, by whom.
        self.dates: dict[date, tuple[datetime, date | None, str]] = {}
        self.clock = ClockState(None, False, None, None, None)

    async def state(self) -> ClockState:
        return replace(self.clock, last_closed=max(self.dates, default=None))

    async def close(self, day: date, closed_at: datetime, catching_up_to: date | None, closed_by: str) -> bool:
        if day in self.dates:
            return False
        self.dates[day] = (closed_at, catching_up_to, closed_by)
        await self.outbox.stage([closed_envelope(day, closed_at, catching_up_to)])
        return True

    async def tick(self, at: datetime) -> None:
        self.clock = replace(self.clock, last_tick=at)
        await self.outbox.stage([ticked_envelope(at)])

    async def set_paused(self, paused: bool, by: str, at: datetime) -> None:
        self.clock = replace(self.clock, paused=paused, changed_by=by, changed_at=at)

    async def closed(self, limit: int) -> list[tuple[date, datetime, date | None, str]]:
        return [(day, *self.dates[day]) for day in sorted(self.dates, reverse=True)[:limit]]
