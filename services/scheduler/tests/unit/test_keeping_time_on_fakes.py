"""The use cases of application/keeping_time.py on the fake ClockBook (adapters/memory.py) and a
MemoryOutbox: what a turn closes and ticks (a first start, a catch-up, a downtime longer than a
catch-up, a weekday calendar), and an operator's commands with their refusals.
tests/integration/test_keeping_time.py runs the main paths on Postgres too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.adapters.memory import MemoryClockBook
from scheduler.application.keeping_time import RefusedError, Turn, close_by_hand, pause, take_turn
from scheduler.domain.calendar import MAX_CATCH_UP_DAYS, CalendarKind, CloseCalendar
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_testkit.memory import MemoryOutbox

CALENDAR = CloseCalendar()  # every day, 18:00 in Shanghai (10:00 UTC)
WEEKDAYS = CloseCalendar(kind=CalendarKind.WEEKDAYS, holidays=frozenset({date(2026, 12, 25)}))
EVERY = timedelta(minutes=5)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def book(outbox: MemoryOutbox) -> MemoryClockBook:
    return MemoryClockBook(outbox)


def closes(outbox: MemoryOutbox) -> list[tuple[date, date | None]]:
    return [(event.business_date, event.catching_up_to) for event in outbox.events(BusinessDayClosed)]


async def test_a_first_start_closes_the_latest_date_due_alone_and_ticks(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    turn = await take_turn(book, CALENDAR, utc("2026-12-03T10:02:30"), EVERY)
    assert turn == Turn(closed=(date(2026, 12, 3),), ticked=utc("2026-12-03T10:00:00"))
    assert outbox.types() == ["BusinessDayClosed", "ClockTicked"]
    [close] = outbox.events(BusinessDayClosed)
    assert (close.business_date, close.closed_at, close.catching_up_to) == (date(2026, 12, 3), utc("2026-12-03T10:00:00"), None)
    assert book.dates[date(2026, 12, 3)][2] == "scheduler"


async def test_a_first_start_with_a_first_date_closes_from_it(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    turn = await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00"), EVERY, first_date=date(2026, 12, 1))
    assert turn.closed == (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3))
    assert closes(outbox) == [(day, date(2026, 12, 3)) for day in turn.closed]


async def test_before_the_cut_off_nothing_new_closes_and_the_tick_comes_once(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00"), EVERY)
    turns = [await take_turn(book, CALENDAR, utc("2026-12-04T09:55:00") + timedelta(minutes=m), EVERY) for m in (0, 2)]
    assert [(turn.closed, turn.ticked) for turn in turns] == [((), utc("2026-12-04T09:55:00")), ((), None)]
    assert len(outbox.events(ClockTicked)) == 2


async def test_a_downtime_longer_than_a_catch_up_closes_the_latest_date_alone(
    book: MemoryClockBook, outbox: MemoryOutbox
) -> None:
    await take_turn(book, CALENDAR, utc("2025-01-01T10:00:00"), EVERY)
    later = utc("2025-01-01T10:00:00") + timedelta(days=MAX_CATCH_UP_DAYS + 10)
    turn = await take_turn(book, CALENDAR, later, EVERY)
    assert turn.closed == (later.date(),)
    assert closes(outbox)[-1] == (later.date(), None)


async def test_a_weekday_calendar_closes_no_weekend_or_holiday(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    await take_turn(book, WEEKDAYS, utc("2026-12-24T10:00:00"), EVERY)  # a Thursday
    turn = await take_turn(book, WEEKDAYS, utc("2026-12-28T10:00:00"), EVERY)  # the Monday after Christmas
    assert turn.closed == (date(2026, 12, 28),)
    with pytest.raises(RefusedError, match="2026-12-26 is not a date the business calendar closes"):
        await close_by_hand(book, WEEKDAYS, date(2026, 12, 26), utc("2026-12-28T11:00:00"), "ops-anna")


async def test_paused_a_turn_does_nothing_not_even_tick(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    await pause(book, True, "ops-anna", utc("2026-12-03T09:00:00"))
    turn = await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00"), EVERY)
    assert turn == Turn(paused=True)
    assert outbox.types() == []
    state = await book.state()
    assert (state.paused, state.changed_by, state.changed_at) == (True, "ops-anna", utc("2026-12-03T09:00:00"))


async def test_an_operator_closes_the_next_date_early_at_the_time_they_do(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00"), EVERY)
    now = utc("2026-12-04T05:00:00")  # 13:00 in Shanghai: before the cut-off
    await close_by_hand(book, CALENDAR, date(2026, 12, 4), now, "ops-anna")
    assert book.dates[date(2026, 12, 4)] == (now, None, "ops-anna")
    assert closes(outbox)[-1] == (date(2026, 12, 4), None)


async def test_an_operator_may_not_close_a_date_not_begun(book: MemoryClockBook, outbox: MemoryOutbox) -> None:
    await take_turn(book, CALENDAR, utc("2026-12-03T10:00:00"), EVERY)
    with pytest.raises(RefusedError, match="2026-12-04 has not begun in Asia/Shanghai"):
        await close_by_hand(book, CALENDAR, date(2026, 12, 4), utc("2026-12-03T12:00:00"), "ops-anna")  # 20:00 on the 3rd
    assert closes(outbox) == [(date(2026, 12, 3), None)]
