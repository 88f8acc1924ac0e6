from datetime import UTC, date, datetime

from tideover_runtime.clock import BusinessClock


def test_the_business_clock_follows_closed_days_and_never_runs_backwards() -> None:
    clock = BusinessClock()
    clock.advance(date(2026, 2, 18), datetime(2026, 2, 18, 14, tzinfo=UTC))
    assert clock.now() == datetime(2026, 2, 18, 14, tzinfo=UTC)
    assert clock.today() == date(2026, 2, 18)

    clock.advance(date(2026, 2, 17), datetime(2026, 2, 17, 14, tzinfo=UTC))  # a late, older day
    assert clock.now() == datetime(2026, 2, 18, 14, tzinfo=UTC)
    assert clock.today() == date(2026, 2, 18)

    clock.advance(date(2026, 2, 19), datetime(2026, 2, 19, 6, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 2, 19)
    assert clock.now().tzinfo is UTC


def test_the_latest_business_day_sets_the_time_even_if_an_older_day_was_closed_later() -> None:
    clock = BusinessClock()
    clock.advance(date(2026, 2, 13), datetime(2026, 11, 30, 4, 12, tzinfo=UTC))  # replayed today
    clock.advance(date(2026, 2, 18), datetime(2026, 2, 18, 14, tzinfo=UTC))
    assert clock.now() == datetime(2026, 2, 18, 14, tzinfo=UTC)
    assert clock.today() == date(2026, 2, 18)
