"""The scheduler's use cases against its book: in memory (a fast fake) and in Postgres (the real
adapter, which also stages each close and tick in the outbox) — the same tests, so the fake keeps
the adapter's contract. Closes each date due once, in order; a catch-up names its latest date;
paused, nothing; an operator closes only the next date; ticks once a period."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.adapters.clock_book import PostgresClockBook
from scheduler.application.keeping_time import RefusedError, close_by_hand, pause, take_turn
from scheduler.application.ports import ClockBook, ClockState
from scheduler.domain.calendar import CloseCalendar
from tideover_contracts.events.clock import close_event_id
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "scheduler" / "migrations"
CALENDAR = CloseCalendar()
EVERY = timedelta(minutes=5)


@dataclass
class MemoryClockBook:
    """ClockBook in memory: what it closed and ticked, in order, as the outbox would publish it."""

    dates: dict[date, tuple[datetime, date | None, str]] = field(default_factory=dict)
    state_now: ClockState = field(default_factory=lambda: ClockState(None, False, None, None, None))
    published: list[tuple[str, Any]] = field(default_factory=list)

    async def state(self) -> ClockState:
        return replace(self.state_now, last_closed=max(self.dates, default=None))

    async def close(self, day: date, closed_at: datetime, catching_up_to: date | None, closed_by: str) -> bool:
        if day in self.dates:
            return False
        self.dates[day] = (closed_at, catching_up_to, closed_by)
        self.published.append(("BusinessDayClosed", (day, catching_up_to)))
        return True

    async def tick(self, at: datetime) -> None:
        self.state_now = replace(self.state_now, last_tick=at)
        self.published.append(("ClockTicked", at))

    async def set_paused(self, paused: bool, by: str, at: datetime) -> None:
        self.state_now = replace(self.state_now, paused=paused, changed_by=by, changed_at=at)

    async def closed(self, limit: int) -> list[tuple[date, datetime, date | None, str]]:
        return [(day, *self.dates[day]) for day in sorted(self.dates, reverse=True)[:limit]]


class PostgresBookInTest(PostgresClockBook):
    """The Postgres adapter, each call in its own transaction (as the scheduler's turn is one), and
    what its outbox holds read back in the fake's terms."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def _do(self, name: str, *args: Any) -> Any:
        async with self.pool.acquire() as connection, connection.transaction():
            return await getattr(PostgresClockBook(connection), name)(*args)

    async def state(self) -> ClockState:
        return await self._do("state")  # type: ignore[no-any-return]

    async def close(self, day: date, closed_at: datetime, catching_up_to: date | None, closed_by: str) -> bool:
        return await self._do("close", day, closed_at, catching_up_to, closed_by)  # type: ignore[no-any-return]

    async def tick(self, at: datetime) -> None:
        await self._do("tick", at)

    async def set_paused(self, paused: bool, by: str, at: datetime) -> None:
        await self._do("set_paused", paused, by, at)

    async def closed(self, limit: int) -> list[tuple[date, datetime, date | None, str]]:
        return await self._do("closed", limit)  # type: ignore[no-any-return]

    @property
    async def published(self) -> list[tuple[str, Any]]:
        rows = await self.pool.fetch("SELECT event_id, event_type, value FROM outbox ORDER BY id")
        out: list[tuple[str, Any]] = []
        for row in rows:
            payload = json.loads(row["value"])["payload"]
            if row["event_type"] == "BusinessDayClosed":
                day = date.fromisoformat(payload["business_date"])
                assert row["event_id"] == close_event_id(day)  # one id per date, whoever closes it
                up_to = payload["catching_up_to"]
                out.append(("BusinessDayClosed", (day, date.fromisoformat(up_to) if up_to else None)))
            else:
                out.append(("ClockTicked", datetime.fromisoformat(payload["at"])))
        return out


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def where(request: pytest.FixtureRequest) -> Infrastructure | None:
    """Where the book is: in memory (None), or in the session's Postgres."""
    return None if request.param == "memory" else request.getfixturevalue("infrastructure")


@pytest.fixture
async def book(where: Infrastructure | None) -> AsyncIterator[ClockBook]:
    if where is None:
        yield MemoryClockBook()
        return
    async with fresh_schema(where.database_url, MIGRATIONS, "scheduler") as pool:
        yield PostgresBookInTest(pool)


async def published(book: Any) -> list[tuple[str, Any]]:
    return await book.published if isinstance(book, PostgresBookInTest) else book.published  # type: ignore[no-any-return]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def test_each_date_due_closes_once_in_order_and_a_catch_up_names_its_latest(book: ClockBook) -> None:
    first = await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00+00:00"), EVERY)
    again = await take_turn(book, CALENDAR, utc("2026-12-03T10:00:02+00:00"), EVERY)
    after_downtime = await take_turn(book, CALENDAR, utc("2026-12-06T11:00:00+00:00"), EVERY)

    assert first.closed == (date(2026, 12, 3),)
    assert again.closed == ()
    assert after_downtime.closed == (date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6))
    closes = [what for kind, what in await published(book) if kind == "BusinessDayClosed"]
    assert closes == [
        (date(2026, 12, 3), None),
        (date(2026, 12, 4), date(2026, 12, 6)),
        (date(2026, 12, 5), date(2026, 12, 6)),
        (date(2026, 12, 6), date(2026, 12, 6)),
    ]
    [(_, at, _, by)] = [row for row in await book.closed(10) if row[0] == date(2026, 12, 4)]
    assert (at, by) == (utc("2026-12-04T10:00:00+00:00"), "scheduler")  # closed at its cut-off


async def test_the_clock_ticks_once_a_period(book: ClockBook) -> None:
    for minute in (0, 1, 4, 5, 9, 12):
        await take_turn(book, CALENDAR, utc("2026-12-07T02:00:00+00:00") + timedelta(minutes=minute), EVERY)
    ticks = [at for kind, at in await published(book) if kind == "ClockTicked"]
    assert ticks == [utc(f"2026-12-07T02:{minute:02d}:00+00:00") for minute in (0, 5, 10)]


async def test_paused_nothing_closes_or_ticks_and_resumed_it_catches_up(book: ClockBook) -> None:
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00+00:00"), EVERY)
    await pause(book, True, "ops-anna", utc("2026-12-03T11:00:00+00:00"))
    paused = await take_turn(book, CALENDAR, utc("2026-12-05T10:30:00+00:00"), EVERY)
    await pause(book, False, "ops-anna", utc("2026-12-05T10:40:00+00:00"))
    resumed = await take_turn(book, CALENDAR, utc("2026-12-05T10:45:00+00:00"), EVERY)

    assert (paused.paused, paused.closed, paused.ticked) == (True, (), None)
    assert resumed.closed == (date(2026, 12, 4), date(2026, 12, 5))
    state = await book.state()
    assert (state.paused, state.changed_by) == (False, "ops-anna")


async def test_an_operator_closes_the_next_date_once_never_out_of_order(book: ClockBook) -> None:
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00+00:00"), EVERY)
    now = utc("2026-12-04T05:00:00+00:00")  # 13:00 in Shanghai: before the cut-off

    with pytest.raises(RefusedError, match="out of order: 2026-12-04 must be closed first"):
        await close_by_hand(book, CALENDAR, date(2026, 12, 5), now, "ops-anna")
    await close_by_hand(book, CALENDAR, date(2026, 12, 4), now, "ops-anna")
    with pytest.raises(RefusedError, match="closed already"):
        await close_by_hand(book, CALENDAR, date(2026, 12, 4), now, "ops-anna")
    later = await take_turn(book, CALENDAR, utc("2026-12-04T10:00:00+00:00"), EVERY)  # its cut-off: nothing left

    assert later.closed == ()
    assert [(day, by) for day, _, _, by in await book.closed(2)] == [
        (date(2026, 12, 4), "ops-anna"),
        (date(2026, 12, 3), "scheduler"),
    ]


async def test_closed_by_hand_while_behind_the_date_waits_for_the_latest_to_tell(book: ClockBook) -> None:
    """Paused for three days, an operator closes the next date by hand: it names the latest
    date due (what borrowers are told is decided there), which the resumed scheduler closes."""
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00+00:00"), EVERY)
    await pause(book, True, "ops-anna", utc("2026-12-03T11:00:00+00:00"))
    now = utc("2026-12-06T11:00:00+00:00")
    await close_by_hand(book, CALENDAR, date(2026, 12, 4), now, "ops-anna")
    await pause(book, False, "ops-anna", now)
    resumed = await take_turn(book, CALENDAR, now, EVERY)

    assert resumed.closed == (date(2026, 12, 5), date(2026, 12, 6))
    closes = [what for kind, what in await published(book) if kind == "BusinessDayClosed"]
    assert closes[1] == (date(2026, 12, 4), date(2026, 12, 6))
