"""When days close (DESIGN.md §6): at the cut-off in the lender's zone, each date once, in order,
none skipped — every calendar day by default, or weekdays without holidays; a catch-up names its
latest date; an operator closes only the next date due; one tick per period."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduler.domain.calendar import CalendarKind, CloseCalendar, due, refusal_to_close, tick_due

SHANGHAI = CloseCalendar()
WEEKDAYS = CloseCalendar(kind=CalendarKind.WEEKDAYS, holidays=frozenset({date(2026, 10, 1)}))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_day_closes_at_18_00_in_shanghai_that_is_10_00_utc() -> None:
    assert SHANGHAI.cutoff_at(date(2026, 12, 7)) == at("2026-12-07T10:00:00+00:00")
    assert due(SHANGHAI, date(2026, 12, 6), at("2026-12-07T09:59:59+00:00")).dates == ()
    assert due(SHANGHAI, date(2026, 12, 6), at("2026-12-07T10:00:00+00:00")).dates == (date(2026, 12, 7),)


def test_the_cut_off_follows_the_zones_daylight_saving() -> None:
    new_york = CloseCalendar(cutoff=time(17, 0), zone=ZoneInfo("America/New_York"))
    assert new_york.cutoff_at(date(2026, 7, 1)) == at("2026-07-01T21:00:00+00:00")
    assert new_york.cutoff_at(date(2026, 12, 1)) == at("2026-12-01T22:00:00+00:00")


def test_after_three_days_down_each_date_closes_in_order_naming_the_latest() -> None:
    todo = due(SHANGHAI, date(2026, 12, 3), at("2026-12-06T11:00:00+00:00"))
    assert todo.dates == (date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6))
    assert todo.catching_up_to == date(2026, 12, 6)
    assert due(SHANGHAI, date(2026, 12, 5), at("2026-12-06T11:00:00+00:00")).catching_up_to is None


def test_a_business_calendar_closes_weekdays_and_not_its_holidays() -> None:
    # Wednesday 30 Sep, then Thursday 1 Oct a holiday, Friday 2 Oct, then Monday 5 Oct.
    todo = due(WEEKDAYS, date(2026, 9, 29), at("2026-10-05T12:00:00+00:00"))
    assert todo.dates == (date(2026, 9, 30), date(2026, 10, 2), date(2026, 10, 5))


def test_the_first_start_closes_the_latest_date_due_or_from_the_first_date_configured() -> None:
    now = at("2026-12-07T09:00:00+00:00")  # before today's cut-off
    assert due(SHANGHAI, None, now).dates == (date(2026, 12, 6),)
    assert due(SHANGHAI, None, now, first_date=date(2026, 12, 4)).dates == (
        date(2026, 12, 4),
        date(2026, 12, 5),
        date(2026, 12, 6),
    )


@given(
    last=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    minutes=st.lists(st.integers(0, 60 * 24 * 20), min_size=1, max_size=8),
    weekdays=st.booleans(),
)
def test_however_the_scheduler_looks_each_date_closes_once_in_order_and_none_is_skipped(
    last: date, minutes: list[int], weekdays: bool
) -> None:
    calendar = WEEKDAYS if weekdays else SHANGHAI
    start = calendar.cutoff_at(last)
    closed: list[date] = []
    for offset in sorted(minutes):  # the scheduler's turns, at any times, some after downtime
        now = start + timedelta(minutes=offset)
        todo = due(calendar, closed[-1] if closed else last, now)
        assert all(calendar.cutoff_at(day) <= now for day in todo.dates)
        closed.extend(todo.dates)
    assert closed == sorted(set(closed))
    final = start + timedelta(minutes=max(minutes))
    assert closed == list(calendar.dates_between(last, calendar.latest_due(final) or last))


def test_an_operator_closes_only_the_next_date_once_and_not_before_it_has_begun() -> None:
    now = at("2026-12-07T05:00:00+00:00")  # 13:00 in Shanghai, before the cut-off
    assert refusal_to_close(SHANGHAI, date(2026, 12, 7), date(2026, 12, 6), now) is None
    assert "closed already" in (refusal_to_close(SHANGHAI, date(2026, 12, 6), date(2026, 12, 6), now) or "")
    assert "out of order: 2026-12-06 must be closed first" in (
        refusal_to_close(SHANGHAI, date(2026, 12, 7), date(2026, 12, 5), now) or ""
    )
    assert "has not begun" in (refusal_to_close(SHANGHAI, date(2026, 12, 8), date(2026, 12, 7), now) or "")
    assert "not a date the business calendar closes" in (refusal_to_close(WEEKDAYS, date(2026, 10, 1), None, now) or "")


def test_one_tick_a_period_named_by_its_start() -> None:
    every = timedelta(minutes=5)
    first = tick_due(None, at("2026-12-07T10:07:30+00:00"), every)
    assert first == at("2026-12-07T10:05:00+00:00")
    assert tick_due(first, at("2026-12-07T10:09:59+00:00"), every) is None
    assert tick_due(first, at("2026-12-07T10:10:00+00:00"), every) == at("2026-12-07T10:10:00+00:00")
    assert first is not None
    assert first.tzinfo is UTC


def test_a_cut_off_after_midnight_closes_the_day_before_never_a_day_not_yet_lived() -> None:
    half_past_midnight = CloseCalendar(cutoff=time(0, 30))
    assert half_past_midnight.cutoff_at(date(2026, 12, 7)) == at("2026-12-07T16:30:00+00:00")  # 00:30 on the 8th in Shanghai
    assert due(half_past_midnight, date(2026, 12, 6), at("2026-12-07T16:29:00+00:00")).dates == ()
    assert due(half_past_midnight, date(2026, 12, 6), at("2026-12-07T16:30:00+00:00")).dates == (date(2026, 12, 7),)
