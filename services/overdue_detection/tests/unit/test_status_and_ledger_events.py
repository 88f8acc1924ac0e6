"""application/status_events.py and ledger_events.py on the fakes: the decisions staged as
`overdue.status.v1` events (their ids, causes and figures), and the ledger's own events."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from overdue_detection.application.ledger_events import repayment_applied, waived_amounts, waiver_granted
from overdue_detection.application.status_events import publish_decisions
from overdue_detection.domain.episodes import Decision, EpisodeState, Position
from overdue_detection.domain.ledger import Allocation
from overdue_detection.domain.replay import AppliedPayment
from tideover_contracts.common import Bucket
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.overdue import (
    CureReason,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    WaiverReason,
    WaiverStatus,
)

from .conftest import World, close, cny, pay

D = Decimal
DAY = date(2026, 2, 18)
POSITION = Position(date(2026, 2, 15), D("1000.00"), D("45.00"), D(0), D("0.31"))


def _state(episode: int, since: date | None, bucket: Bucket = Bucket.M1) -> EpisodeState:
    return EpisodeState(episode, since, bucket, DAY, 0)


async def test_decisions_are_staged_with_ids_from_their_cause_and_every_state_kept(world: World) -> None:
    started, changed, quiet = (await world.booked()).loan_id, (await world.booked()).loan_id, (await world.booked()).loan_id
    await world.book.accrue_penalties(DAY)
    unit = world.unit(close(DAY))
    change = Decision("change", _state(1, date(2026, 2, 15), Bucket.M1), 3, (OverdueChangeReason.WEEKLY,), Bucket.CURRENT)
    await publish_decisions(
        world.book,
        DAY,
        [
            (started, Decision("start", _state(1, date(2026, 2, 15)), 3), POSITION, unit),
            (changed, change, POSITION, unit),
            (quiet, Decision("none", _state(0, None, Bucket.CURRENT)), None, unit),
        ],
    )
    became, status = world.outbox.events(LoanBecameOverdue), world.outbox.events(OverdueStatusChanged)
    assert [(e.loan_id, e.days_past_due, e.overdue.penalty) for e in became] == [(started, 3, cny("0.31"))]
    assert [(e.loan_id, e.reasons, e.previous_bucket) for e in status] == [
        (changed, (OverdueChangeReason.WEEKLY,), Bucket.CURRENT)
    ]
    ids = set(world.outbox.staged)
    assert deterministic_id("LoanBecameOverdue", started, 1) in ids
    assert deterministic_id("OverdueStatusChanged", changed, 1, DAY, "close") in ids  # one a day from the close
    envelope = world.outbox.staged[deterministic_id("LoanBecameOverdue", started, 1)]
    assert (envelope.producer, envelope.causation_id, envelope.correlation_id) == (
        "overdue-detection",
        unit.envelope.event_id,
        unit.envelope.correlation_id,
    )
    assert world.book.loans[quiet]["last_reported_on"] == DAY  # a state is kept even when nothing is told
    assert world.book.loans[started]["episode"] == 1


async def test_a_change_from_a_payment_has_that_payment_in_its_id_and_a_cure_its_episode(world: World) -> None:
    loan = (await world.booked()).loan_id
    payment = world.unit(pay(loan, "10.00", DAY))
    change = Decision("change", _state(1, date(2026, 2, 15)), 3, (OverdueChangeReason.PAYMENT_APPLIED,), Bucket.M1)
    cure = Decision("cure", _state(2, None, Bucket.CURRENT), cure_reason=CureReason.PAID)
    await publish_decisions(world.book, DAY, [(loan, change, POSITION, payment)])
    await publish_decisions(world.book, DAY, [(loan, cure, None, payment)])
    assert deterministic_id("OverdueStatusChanged", loan, 1, DAY, payment.envelope.event_id) in world.outbox.staged
    [cured] = world.outbox.events(LoanCured)
    assert (cured.episode, cured.reason, cured.outstanding_principal) == (2, CureReason.PAID, cny("3000.00"))
    assert deterministic_id("LoanCured", loan, 2) in world.outbox.staged


async def test_no_decisions_stage_nothing(world: World) -> None:
    await publish_decisions(world.book, DAY, [])
    assert world.outbox.staged == {}


def test_a_payment_applied_tells_each_line_it_covered_a_plan_line_by_its_own_sequence() -> None:
    plan_id, loan_id = uuid.uuid4(), uuid.uuid4()
    allocations = (
        Allocation(1, penalty=D("0.31"), interest=D("45.00"), due_date=date(2026, 2, 15), left=D("1000.00")),
        Allocation(1002, principal=D("10.00"), due_date=date(2026, 4, 18), plan_id=plan_id, plan_sequence=2, left=D("5")),
    )
    applied = repayment_applied(loan_id, "CNY", AppliedPayment("P-1", D("60.31"), DAY, allocations, D("5.00"), D("3000")))
    assert [(c.line.sequence, c.line.plan_id, c.principal, c.left) for c in applied.covered] == [
        (1, None, cny("0"), cny("1000.00")),
        (2, plan_id, cny("10.00"), cny("5")),
    ]
    assert (applied.amount, applied.to_credit, applied.outstanding) == (cny("60.31"), cny("5.00"), cny("3000"))


def test_a_waiver_granted_carries_its_total() -> None:
    assert waived_amounts({"penalty": D("0.31"), "fee": D("2")}, "CNY").total == cny("2.31")
    plan_id = uuid.uuid4()
    granted = waiver_granted(uuid.uuid4(), plan_id, WaiverReason.PLAN, WaiverStatus.FINAL, {"interest": D("4")}, "CNY", DAY)
    assert (granted.plan_id, granted.status, granted.waived.interest, granted.waived.total) == (
        plan_id,
        WaiverStatus.FINAL,
        cny("4"),
        cny("4"),
    )
