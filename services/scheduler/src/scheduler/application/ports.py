"""What the scheduler's use cases need of its book: adapters/clock_book.py keeps it in Postgres,
adapters/memory.py in memory (tests/contract/test_clock_book.py holds both to one contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True)
class ClockState:
    last_closed: date | None
    paused: bool
    changed_by: str | None
    changed_at: datetime | None
    last_tick: datetime | None


class ClockBook(Protocol):
    async def state(self) -> ClockState:
        """Where the clock stands; called inside the caller's transaction, it holds the book
        (FOR UPDATE) until the transaction ends."""
        ...

    async def close(self, day: date, closed_at: datetime, catching_up_to: date | None, closed_by: str) -> bool:
        """Record `day` closed and stage its BusinessDayClosed; False if it was closed already."""
        ...

    async def tick(self, at: datetime) -> None:
        """Record and stage the ClockTicked of `at`."""
        ...

    async def set_paused(self, paused: bool, by: str, at: datetime) -> None: ...

    async def closed(self, limit: int) -> list[tuple[date, datetime, date | None, str]]:
        """The latest dates closed, newest first: (date, closed at, catching up to, closed by)."""
        ...
