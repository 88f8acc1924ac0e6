"""The ClockBook port's contract, against the fake (adapters/memory.py) and Postgres
(adapters/clock_book.py): each date closed once and its BusinessDayClosed staged once with the id
every publisher gives it, ticks staged once a period, the clock paused and resumed, and the
dates closed read back newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from scheduler.adapters.clock_book import PostgresClockBook
from scheduler.adapters.memory import MemoryClockBook
from scheduler.application.ports import ClockBook, ClockState
from scheduler.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import Envelope, deterministic_id, parse_message
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_contracts.topics import OPS_CLOCK
from tideover_runtime.database import Connection
from tideover_testkit.contract import Adapter
from tideover_testkit.memory import MemoryOutbox

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai: 3 December's cut-off


class Book:
    """A clock book and what it staged, whichever adapter it is."""

    def __init__(self, book: ClockBook, outbox: MemoryOutbox | None, connection: Connection | None) -> None:
        self.book = book
        self._outbox = outbox
        self._connection = connection

    async def staged(self) -> list[Envelope[Any]]:
        if self._outbox is not None:
            return list(self._outbox.staged.values())
        assert self._connection is not None
        rows = await self._connection.fetch("SELECT value FROM outbox ORDER BY id")
        return [parse_message(bytes(row["value"]), OPS_CLOCK.event_classes()) for row in rows]


@pytest.fixture
async def clock(adapter: Adapter) -> AsyncIterator[Book]:
    if adapter.memory:
        outbox = MemoryOutbox()
        yield Book(MemoryClockBook(outbox), outbox, None)
    else:
        async with adapter.postgres(MIGRATIONS, "clock_book") as connection:
            yield Book(PostgresClockBook(connection), None, connection)


async def test_a_new_book_has_closed_nothing_and_is_not_paused(clock: Book) -> None:
    assert await clock.book.state() == ClockState(None, False, None, None, None)
    assert await clock.book.closed(10) == []
    assert await clock.staged() == []


async def test_a_date_is_closed_once_and_its_close_staged_once(clock: Book) -> None:
    assert await clock.book.close(date(2026, 12, 3), AT, None, "scheduler")
    assert not await clock.book.close(date(2026, 12, 3), AT + timedelta(hours=1), None, "ops-anna")  # closed already
    [envelope] = await clock.staged()
    assert (envelope.event_id, envelope.producer, envelope.occurred_at) == (close_event_id(date(2026, 12, 3)), "scheduler", AT)
    assert envelope.payload == BusinessDayClosed(business_date=date(2026, 12, 3), closed_at=AT)
    assert await clock.book.closed(10) == [(date(2026, 12, 3), AT, None, "scheduler")]  # the first close stands
    assert (await clock.book.state()).last_closed == date(2026, 12, 3)


async def test_the_dates_closed_read_back_newest_first_with_their_catch_up(clock: Book) -> None:
    for day in (date(2026, 12, 5), date(2026, 12, 4), date(2026, 12, 6)):  # in any order
        closed_at = datetime.combine(day, AT.timetz())
        assert await clock.book.close(day, closed_at, date(2026, 12, 6), "scheduler")
    assert [(day, up_to) for day, _, up_to, _ in await clock.book.closed(2)] == [
        (date(2026, 12, 6), date(2026, 12, 6)),
        (date(2026, 12, 5), date(2026, 12, 6)),
    ]
    assert (await clock.book.state()).last_closed == date(2026, 12, 6)  # the latest, not the last recorded
    staged = [envelope.payload for envelope in await clock.staged()]
    assert [(event.business_date, event.catching_up_to) for event in staged if isinstance(event, BusinessDayClosed)] == [
        (date(2026, 12, 5), date(2026, 12, 6)),
        (date(2026, 12, 4), date(2026, 12, 6)),
        (date(2026, 12, 6), date(2026, 12, 6)),
    ]  # staged in the order closed


async def test_a_tick_is_recorded_and_staged_once_a_period(clock: Book) -> None:
    await clock.book.tick(AT)
    await clock.book.tick(AT)  # the same period again (another replica): staged once
    await clock.book.tick(AT + timedelta(minutes=5))
    assert (await clock.book.state()).last_tick == AT + timedelta(minutes=5)
    staged = await clock.staged()
    assert [envelope.event_id for envelope in staged] == [
        deterministic_id("ClockTicked", AT),
        deterministic_id("ClockTicked", AT + timedelta(minutes=5)),
    ]
    assert staged[0].payload == ClockTicked(at=AT)
    assert staged[0].occurred_at == AT


async def test_pausing_records_who_and_when_and_leaves_the_rest(clock: Book) -> None:
    await clock.book.close(date(2026, 12, 3), AT, None, "scheduler")
    await clock.book.tick(AT)
    await clock.book.set_paused(True, "ops-anna", AT + timedelta(hours=1))
    assert await clock.book.state() == ClockState(date(2026, 12, 3), True, "ops-anna", AT + timedelta(hours=1), AT)
    await clock.book.set_paused(False, "ops-ben", AT + timedelta(hours=2))
    assert await clock.book.state() == ClockState(date(2026, 12, 3), False, "ops-ben", AT + timedelta(hours=2), AT)
