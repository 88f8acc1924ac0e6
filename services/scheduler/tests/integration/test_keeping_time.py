"""The scheduler's use cases against its book: in memory (adapters/memory.py, a fast fake) and in
Postgres (the real adapter) — the same tests, each reading what the book staged in its outbox.
Closes each date due once, in order; a catch-up names its latest date; paused, nothing; an
operator closes only the next date; ticks once a period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.adapters.clock_book import PostgresClockBook
from scheduler.adapters.memory import MemoryClockBook
from scheduler.application.keeping_time import RefusedError, close_by_hand, pause, take_turn
from scheduler.application.ports import ClockBook, ClockState
from scheduler.domain.calendar import CloseCalendar
from tideover_contracts.envelope import Envelope, parse_message
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_contracts.topics import OPS_CLOCK
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.memory import MemoryOutbox

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "scheduler" / "migrations"
CALENDAR = CloseCalendar()
EVERY = timedelta(minutes=5)


class PostgresBookInTest(PostgresClockBook):
    """The Postgres adapter, each call in its own transaction (as the scheduler's turn is one), and
    what its outbox holds read back."""

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

    async def staged(self) -> list[Envelope[Any]]:
        rows = await self.pool.fetch("SELECT value FROM outbox ORDER BY id")
        return [parse_message(bytes(row["value"]), OPS_CLOCK.event_classes()) for row in rows]


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def where(request: pytest.FixtureRequest) -> Infrastructure | None:
    """Where the book is: in memory (None), or in the session's Postgres."""
    return None if request.param == "memory" else request.getfixturevalue("infrastructure")


@pytest.fixture
async def book(where: Infrastructure | None) -> AsyncIterator[ClockBook]:
    if where is None:
        yield MemoryClockBook(MemoryOutbox())
        return
    async with fresh_schema(where.database_url, MIGRATIONS, "scheduler") as pool:
        yield PostgresBookInTest(pool)


async def published(book: ClockBook) -> list[tuple[str, Any]]:
    """What the book staged, in order, as (event type, what it says)."""
    if isinstance(book, PostgresBookInTest):
        envelopes = await book.staged()
    else:
        assert isinstance(book, MemoryClockBook)
        assert isinstance(book.outbox, MemoryOutbox)
        envelopes = list(book.outbox.staged.values())
    out: list[tuple[str, Any]] = []
    for envelope in envelopes:
        event = envelope.payload
        if isinstance(event, BusinessDayClosed):
            assert envelope.event_id == close_event_id(event.business_date)  # one id per date, whoever closes it
            out.append(("BusinessDayClosed", (event.business_date, event.catching_up_to)))
        else:
            assert isinstance(event, ClockTicked)
            out.append(("ClockTicked", event.at))
    return out


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
