"""Overdue episodes: when one starts, what changes are worth telling, when it ends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import Enum

from overdue_detection.domain.delinquency import bucket_for, days_past_due
from overdue_detection.domain.policy import REPORT_DAYS, WEEKLY
from tideover_contracts.common import Bucket
from tideover_contracts.events.overdue import CureReason, OverdueChangeReason


class Trigger(Enum):
    CLOSE = "close"
    PAYMENT = "payment"
    CORRECTION = "correction"  # a payment value-dated before days already closed
    PLAN_ACTIVATED = "plan_activated"
    PLAN_BROKEN = "plan_broken"
    PLAN_COMPLETED = "plan_completed"
    LOAN_CLOSED = "loan_closed"


_REASONS: dict[Trigger, tuple[OverdueChangeReason, ...]] = {
    Trigger.PAYMENT: (OverdueChangeReason.PAYMENT_APPLIED,),
    Trigger.CORRECTION: (OverdueChangeReason.PAYMENT_APPLIED, OverdueChangeReason.CORRECTION),
    Trigger.PLAN_ACTIVATED: (OverdueChangeReason.PLAN_ACTIVATED,),
    Trigger.PLAN_BROKEN: (OverdueChangeReason.PLAN_BROKEN,),
}
_CURE_REASONS = {Trigger.PLAN_COMPLETED: CureReason.PLAN_COMPLETED, Trigger.LOAN_CLOSED: CureReason.LOAN_CLOSED}


@dataclass(frozen=True)
class Position:
    """What is overdue on a business date (installments due before it, still owed)."""

    oldest_due: date | None
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    #: Days under a plan after the oldest unpaid due date: the delinquency clock stood still then.
    paused_days: int = 0

    @property
    def overdue(self) -> bool:
        return self.oldest_due is not None

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True)
class Untold:
    """What days settled quietly decided worth telling and nobody told yet (DESIGN.md §6: the
    dates of a catch-up before its latest, the days a business calendar skips). It is told at
    the next close told, with that day's figures: an episode begun (`start`), what changed
    (`change`, its reasons and the bucket last told), or an episode ended (`cure`)."""

    kind: str  # "start" | "change" | "cure"
    reasons: tuple[OverdueChangeReason, ...] = ()
    previous_bucket: Bucket = Bucket.CURRENT
    cure_reason: CureReason = CureReason.PAID


@dataclass(frozen=True)
class EpisodeState:
    episode: int  # how many overdue episodes the loan has had
    overdue_since: date | None  # oldest overdue due date while an episode is open
    bucket: Bucket
    last_reported_on: date | None
    paused_days: int  # as last reported: days under a plan after the oldest unpaid due date
    untold: Untold | None = None

    @property
    def open(self) -> bool:
        return self.overdue_since is not None


def _days_past_due(business_date: date, position: Position) -> int:
    return days_past_due(business_date, position.oldest_due, position.paused_days)


@dataclass(frozen=True)
class Decision:
    kind: str  # "start" | "change" | "cure" | "none"
    state: EpisodeState
    days_past_due: int = 0
    reasons: tuple[OverdueChangeReason, ...] = ()
    previous_bucket: Bucket = Bucket.CURRENT
    cure_reason: CureReason = CureReason.PAID


def decide(state: EpisodeState, position: Position, business_date: date, trigger: Trigger) -> Decision:
    """What the episode does on `business_date`, given the position and what happened."""
    if not position.overdue or position.total <= 0:
        if not state.open:
            return Decision("none", state)
        cured = EpisodeState(state.episode, None, Bucket.CURRENT, business_date, 0)
        return Decision("cure", cured, cure_reason=_CURE_REASONS.get(trigger, CureReason.PAID))
    assert position.oldest_due is not None
    if not state.open:
        started = EpisodeState(state.episode + 1, position.oldest_due, Bucket.CURRENT, business_date, position.paused_days)
        dpd = _days_past_due(business_date, position)
        return Decision("start", replace(started, bucket=bucket_for(dpd)), days_past_due=dpd)
    dpd = _days_past_due(business_date, position)
    bucket = bucket_for(dpd)
    reasons = list(_REASONS.get(trigger, ()))
    if bucket != state.bucket:
        reasons.insert(0, OverdueChangeReason.BUCKET_CHANGED)
    weekly_due = state.last_reported_on is None or (business_date - state.last_reported_on).days >= WEEKLY
    if trigger == Trigger.CLOSE and (weekly_due or dpd in REPORT_DAYS) and not reasons:
        reasons.append(OverdueChangeReason.WEEKLY)
    changed = replace(state, overdue_since=position.oldest_due, bucket=bucket, paused_days=position.paused_days)
    if not reasons:
        return Decision("none", changed, days_past_due=dpd)
    return Decision(
        "change",
        replace(changed, last_reported_on=business_date),
        days_past_due=dpd,
        reasons=tuple(reasons),
        previous_bucket=state.bucket,
    )


def settled_quietly(state: EpisodeState, decision: Decision) -> Decision:
    """`decision`, taken on a day settled quietly: nothing is told; the episode moves on, and
    what would have been told is kept untold (`withhold`), the day it was last told unchanged."""
    quiet = replace(decision.state, last_reported_on=state.last_reported_on, untold=withhold(state.untold, decision))
    return Decision("none", quiet, days_past_due=decision.days_past_due)


def withhold(untold: Untold | None, decision: Decision) -> Untold | None:
    """What stays untold once `decision` is kept with `untold`."""
    if decision.kind == "none":
        return untold
    if decision.kind == "start":
        return Untold("start")
    if decision.kind == "cure":
        # An episode begun and ended untold: there is nothing to tell of it.
        return None if untold is not None and untold.kind == "start" else Untold("cure", cure_reason=decision.cure_reason)
    if untold is not None and untold.kind == "start":
        return untold  # its beginning, told later with the figures then, says what changed since
    previous = untold.previous_bucket if untold is not None else decision.previous_bucket
    return Untold("change", _merged(untold.reasons if untold else (), decision.reasons), previous_bucket=previous)


#: What tells the borrower by itself, and so ends what waited untold: a plan taking effect,
#: breaking or completing, the loan leaving the book (their own messages).
_TELLING = frozenset({Trigger.PLAN_ACTIVATED, Trigger.PLAN_BROKEN, Trigger.PLAN_COMPLETED, Trigger.LOAN_CLOSED})


def told(state: EpisodeState, decision: Decision, business_date: date, trigger: Trigger) -> Decision:
    """`decision`, told on `business_date`, with what waited untold (`state.untold`): at a close,
    what waited is told now with this day's figures — an episode begun untold as begun, changes
    with their reasons since the bucket last told, an episode ended untold as ended."""
    untold = state.untold
    if untold is None:
        return decision
    if trigger in _TELLING:
        return replace(decision, state=replace(decision.state, untold=None))
    if trigger != Trigger.CLOSE:
        return _told_by_a_payment(untold, decision)
    return _told_at_close(untold, decision, replace(decision.state, last_reported_on=business_date, untold=None))


def _told_by_a_payment(untold: Untold, decision: Decision) -> Decision:
    """A payment's status while something waits untold: an episode begun untold is told as
    begun now (its first word, with the figures after the payment), or not at all if the
    payment ended it; a bucket passed untold is told against the bucket last told; what is
    still to tell (a report day) waits for the next close told."""
    if untold.kind == "start":
        quiet = replace(decision.state, untold=None)
        if decision.kind == "cure":
            return Decision("none", quiet)
        if decision.kind == "change":
            return Decision("start", quiet, days_past_due=decision.days_past_due)
        return replace(decision, state=quiet)
    if untold.kind == "cure" or decision.kind != "change":
        return replace(decision, state=replace(decision.state, untold=None if decision.kind != "none" else untold))
    bucket = decision.state.bucket
    reasons = _with_bucket_change(decision.reasons, untold.previous_bucket != bucket)
    still = tuple(reason for reason in untold.reasons if reason != OverdueChangeReason.BUCKET_CHANGED)
    waiting = Untold("change", still, previous_bucket=bucket) if still else None
    return replace(
        decision, reasons=reasons, previous_bucket=untold.previous_bucket, state=replace(decision.state, untold=waiting)
    )


def _with_bucket_change(reasons: tuple[OverdueChangeReason, ...], changed: bool) -> tuple[OverdueChangeReason, ...]:
    """`reasons` saying a bucket change if, and only if, the bucket did change (first, as `decide` puts it)."""
    others = tuple(reason for reason in reasons if reason != OverdueChangeReason.BUCKET_CHANGED)
    return (OverdueChangeReason.BUCKET_CHANGED, *others) if changed else others


def _told_at_close(untold: Untold, decision: Decision, state: EpisodeState) -> Decision:
    if decision.kind == "cure":
        return replace(decision, kind="none" if untold.kind == "start" else "cure", state=state)
    if decision.kind == "start":
        return replace(decision, state=state)
    if untold.kind == "start":
        return Decision("start", state, days_past_due=decision.days_past_due)
    if untold.kind == "cure":
        return Decision("cure", state, cure_reason=untold.cure_reason)
    reasons = _with_bucket_change(_merged(untold.reasons, decision.reasons), untold.previous_bucket != state.bucket)
    if not reasons:  # a bucket passed and passed back untold: nothing to tell
        return replace(decision, kind="none", state=replace(decision.state, untold=None))
    return Decision(
        "change", state, days_past_due=decision.days_past_due, reasons=reasons, previous_bucket=untold.previous_bucket
    )


def _merged(*groups: tuple[OverdueChangeReason, ...]) -> tuple[OverdueChangeReason, ...]:
    return tuple(dict.fromkeys(reason for group in groups for reason in group))
