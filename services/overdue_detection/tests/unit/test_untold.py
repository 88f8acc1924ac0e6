"""What days settled quietly decide is told once, at the next close told, with its figures
(DESIGN.md §6, domain/episodes.py): an episode begun untold is told as begun, changes with their
reasons since the bucket last told, an episode begun and ended untold not at all; a payment's
status tells an episode begun untold as begun (or nothing, if it paid it off) and a bucket against
the one last told, a plan's break ends the wait (its own message tells the borrower)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, Untold, decide, settled_quietly, told
from tideover_contracts.common import Bucket
from tideover_contracts.events.overdue import OverdueChangeReason

DUE = date(2026, 2, 15)
CURRENT = EpisodeState(0, None, Bucket.CURRENT, None, 0)


def owing(amount: str = "1000.00") -> Position:
    return Position(DUE, Decimal(amount), Decimal("45.00"), Decimal(0), Decimal("1.00"))


def quietly(state: EpisodeState, day: date, position: Position) -> EpisodeState:
    decision = settled_quietly(state, decide(state, position, day, Trigger.CLOSE))
    assert decision.kind == "none"
    return decision.state


def test_an_episode_begun_on_quiet_days_is_told_as_begun_at_the_next_close_with_its_figures() -> None:
    state = CURRENT
    for offset in range(1, 4):
        state = quietly(state, DUE + timedelta(days=offset), owing())
    assert state.untold == Untold("start")
    latest = DUE + timedelta(days=4)
    decision = told(state, decide(state, owing(), latest, Trigger.CLOSE), latest, Trigger.CLOSE)
    assert (decision.kind, decision.days_past_due, decision.state.last_reported_on, decision.state.untold) == (
        "start",
        4,
        latest,
        None,
    )


def test_a_report_day_passed_quietly_is_told_at_the_next_close() -> None:
    begun = decide(CURRENT, owing(), DUE + timedelta(days=1), Trigger.CLOSE).state  # told on day 1
    state = quietly(quietly(begun, DUE + timedelta(days=2), owing()), DUE + timedelta(days=3), owing())  # day 3: a report day
    latest = DUE + timedelta(days=5)
    decision = told(state, decide(state, owing(), latest, Trigger.CLOSE), latest, Trigger.CLOSE)
    assert (decision.kind, decision.reasons, decision.days_past_due) == ("change", (OverdueChangeReason.WEEKLY,), 5)


def test_a_payment_tells_an_episode_begun_untold_as_begun_or_nothing_and_a_plans_break_ends_the_wait() -> None:
    state = quietly(CURRENT, DUE + timedelta(days=1), owing())
    day = DUE + timedelta(days=2)
    paid = told(state, decide(state, owing("900.00"), day, Trigger.PAYMENT), day, Trigger.PAYMENT)
    nothing = Position(None, Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    paid_off = told(state, decide(state, nothing, day, Trigger.PAYMENT), day, Trigger.PAYMENT)
    broken = told(state, decide(state, owing(), day, Trigger.PLAN_BROKEN), day, Trigger.PLAN_BROKEN)
    assert (paid.kind, paid.days_past_due, paid.state.untold) == ("start", 2, None)
    assert (paid_off.kind, paid_off.state.untold, paid_off.state.open) == ("none", None, False)
    assert (broken.kind, broken.reasons, broken.state.untold) == ("change", (OverdueChangeReason.PLAN_BROKEN,), None)


def test_a_bucket_passed_untold_then_a_payment_is_told_once_against_the_bucket_last_told() -> None:
    """Told M1 at 28 days; the quiet days pass 30 (M2); a payment brings the oldest due date on,
    back to M1: its status says no bucket change, and the close after tells nothing of buckets."""
    told_m1 = decide(CURRENT, owing(), DUE + timedelta(days=28), Trigger.CLOSE).state
    state = quietly(quietly(told_m1, DUE + timedelta(days=30), owing()), DUE + timedelta(days=31), owing())
    assert state.untold is not None
    assert OverdueChangeReason.BUCKET_CHANGED in state.untold.reasons
    day = DUE + timedelta(days=32)
    later_due = Position(DUE + timedelta(days=10), Decimal("500.00"), Decimal("20.00"), Decimal(0), Decimal(0))
    paid = told(state, decide(state, later_due, day, Trigger.PAYMENT), day, Trigger.PAYMENT)
    assert (paid.kind, paid.reasons, paid.previous_bucket) == ("change", (OverdueChangeReason.PAYMENT_APPLIED,), Bucket.M1)
    at_close = told(paid.state, decide(paid.state, later_due, day + timedelta(days=1), Trigger.CLOSE), day, Trigger.CLOSE)
    assert OverdueChangeReason.BUCKET_CHANGED not in at_close.reasons


def test_an_episode_begun_and_ended_untold_tells_nothing() -> None:
    state = quietly(CURRENT, DUE + timedelta(days=1), owing())
    nothing = Position(None, Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    state = quietly(state, DUE + timedelta(days=2), nothing)
    latest = DUE + timedelta(days=3)
    decision = told(state, decide(state, nothing, latest, Trigger.CLOSE), latest, Trigger.CLOSE)
    assert (state.untold, decision.kind) == (None, "none")
