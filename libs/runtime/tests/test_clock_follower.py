"""Which events move a service's business clock (tideover_runtime.clock_follower): clock events,
and events of topics whose producers stamp business time; never upstream's or the gateways'."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import loan_booked
from tideover_contracts.examples.values import snapshot_fields
from tideover_contracts.topics import TOPICS, topic_of
from tideover_runtime.clock import BusinessClock, SystemClock
from tideover_runtime.clock_follower import advance

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _overdue() -> LoanBecameOverdue:
    return LoanBecameOverdue(**snapshot_fields())  # type: ignore[arg-type]


def _clock() -> BusinessClock:
    clock = BusinessClock()
    clock.advance(date(2026, 3, 2), CLOSED)
    return clock


def test_a_close_and_a_tick_move_the_clock() -> None:
    clock = _clock()
    later = CLOSED + timedelta(days=1)
    close = BusinessDayClosed(business_date=date(2026, 3, 3), closed_at=later)
    advance(clock, wrap(close, producer="scheduler", occurred_at=later))
    assert (clock.today(), clock.now()) == (date(2026, 3, 3), later)
    advance(clock, wrap(ClockTicked(at=later + timedelta(hours=1)), producer="scheduler", occurred_at=later))
    assert clock.now() == later + timedelta(hours=1)


def test_an_event_on_business_time_moves_the_clock_to_its_instant() -> None:
    clock = _clock()
    event = _overdue()
    assert topic_of(event).business_time
    advance(clock, wrap(event, producer="overdue-detection", occurred_at=CLOSED + timedelta(minutes=5)))
    assert clock.now() == CLOSED + timedelta(minutes=5)


def test_an_upstream_event_never_moves_the_clock() -> None:
    clock = _clock()
    event = loan_booked()
    assert not topic_of(event).business_time
    advance(clock, wrap(event, producer="loan-system", occurred_at=CLOSED + timedelta(days=300)))
    assert clock.now() == CLOSED


def test_business_time_marks_exactly_the_topics_our_services_produce() -> None:
    outside = {"upstream loan systems", "scheduler / simulator", "SMS and notification gateways"}
    assert {topic.name for topic in TOPICS if topic.business_time} == {
        topic.name for topic in TOPICS if topic.producer not in outside
    }


def test_the_system_clock_follows_nothing() -> None:
    clock = SystemClock()
    advance(clock, wrap(_overdue(), producer="overdue-detection", occurred_at=CLOSED))
    assert clock.now() > CLOSED
