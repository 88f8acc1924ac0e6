"""application/reports.py: the ledger's RepaymentApplied read as reports on a plan's lines, and
a judgement turned into the events of plans.tracking.v1 (staged through a MemoryOutbox)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from repayment_tracking.application.ports import ActivePlan
from repayment_tracking.application.reports import (
    Outcome,
    applied_to_plans,
    completed_event,
    judgement_events,
    line_ref,
    reports_on,
)
from repayment_tracking.domain.plan_rules import (
    Broken,
    Due,
    Judgement,
    LineKind,
    LineRef,
    Missed,
    PlanBook,
    Report,
    Rules,
    plan_months,
)
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.overdue import LedgerLine, LineCovered, RepaymentApplied
from tideover_contracts.events.tracking import (
    PlanBreakReason,
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.money import Money
from tideover_runtime.unit import publish_each
from tideover_testkit.memory import MemoryOutbox, unit_of

APRIL, MAY = date(2026, 4, 15), date(2026, 5, 15)
PLAN_ID, LOAN_ID = uuid.uuid4(), uuid.uuid4()
WAIVER = WaivedAmounts(
    penalty=Money.of("0.00", "CNY"), interest=Money.of("9.00", "CNY"), fee=Money.of("0.00", "CNY"), total=Money.of("9.00", "CNY")
)
PLAN = ActivePlan(PLAN_ID, LOAN_ID, "CNY", WAIVER, date(2026, 3, 16), None)
MONTHS = plan_months(
    [Due(1, APRIL, Decimal("300.00")), Due(2, MAY, Decimal("300.00"))],
    [Due(7, date(2026, 4, 10), Decimal("50.00"))],
    date(2026, 3, 15),
)
BOOK = PlanBook(MONTHS)  # month 1: the plan's line 1 and the loan's installment 7; month 2: line 2


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def covered(sequence: int, plan_id: uuid.UUID | None, paid: str, left: str) -> LineCovered:
    zero = cny("0.00")
    line = LedgerLine(sequence=sequence, plan_id=plan_id, due_date=APRIL)
    return LineCovered(line=line, principal=cny(paid), interest=cny("1.00"), fee=zero, penalty=zero, left=cny(left))


def payment(payment_id: str, on: date, *lines: LineCovered) -> RepaymentApplied:
    zero = cny("0.00")
    return RepaymentApplied(
        loan_id=LOAN_ID, payment_id=payment_id, amount=cny("1.00"), value_date=on, covered=lines, to_credit=zero, outstanding=zero
    )


def test_a_line_is_the_plans_when_it_names_the_plan_or_no_plan() -> None:
    assert line_ref(PLAN_ID, LedgerLine(sequence=2, plan_id=PLAN_ID, due_date=MAY)) == LineRef(LineKind.PLAN, 2)
    assert line_ref(PLAN_ID, LedgerLine(sequence=7, due_date=APRIL)) == LineRef(LineKind.REGULAR, 7)
    assert line_ref(PLAN_ID, LedgerLine(sequence=2, plan_id=uuid.uuid4(), due_date=MAY)) is None


def test_a_payment_reports_on_a_plan_only_when_it_covered_a_line_its_months_ask_for() -> None:
    assert reports_on(PLAN_ID, payment("P-1", APRIL, covered(7, None, "10.00", "39.00")), BOOK)
    assert not reports_on(PLAN_ID, payment("P-2", APRIL, covered(8, None, "10.00", "39.00")), BOOK)
    assert not reports_on(PLAN_ID, payment("P-3", APRIL, covered(1, uuid.uuid4(), "10.00", "0.00")), BOOK)


def test_payments_become_reports_numbered_after_the_books_and_plan_lines_are_announced() -> None:
    book = BOOK.with_reports([Report(LineRef(LineKind.PLAN, 1), "P-0", date(2026, 4, 1), 4, Decimal(1), Decimal(299))])
    first = unit_of(
        payment("P-1", date(2026, 4, 12), covered(7, None, "49.00", "0.00"), covered(8, None, "1.00", "9.00")),
        producer="repayment-tracking",
    )
    second = unit_of(payment("P-2", date(2026, 4, 9), covered(1, PLAN_ID, "99.00", "199.00")), producer="repayment-tracking")
    applied = applied_to_plans([(first, first.event, PLAN), (second, second.event, PLAN)], {PLAN_ID: book})
    assert [(r.ref, r.payment_id, r.arrival, r.paid, r.left) for r in applied.reports[PLAN_ID]] == [
        (LineRef(LineKind.REGULAR, 7), "P-1", 5, Decimal("50.00"), Decimal("0.00")),  # principal and interest
        (LineRef(LineKind.PLAN, 1), "P-2", 6, Decimal("100.00"), Decimal("199.00")),
    ]  # the loan's installment 8 is not the plan's
    assert (applied.first_day[PLAN_ID], applied.last_day[PLAN_ID]) == (date(2026, 4, 9), date(2026, 4, 12))
    assert applied.last_unit[PLAN_ID] == (second, PLAN)
    [(unit, event, event_id)] = applied.events
    assert unit is second
    assert isinstance(event, PlanInstallmentPaid)
    assert (event.sequence, event.applied, event.remaining_on_installment, event.fully_paid) == (
        1,
        cny("100.00"),
        cny("199.00"),
        False,
    )
    assert event_id == deterministic_id("PlanInstallmentPaid", PLAN_ID, 1, "P-2")


def test_a_completed_plan_says_what_was_paid_on_its_lines_and_keeps_its_waiver() -> None:
    book = BOOK.with_reports([Report(LineRef(LineKind.PLAN, 1), "P-1", APRIL, 1, Decimal("300.00"), Decimal(0))])
    event, event_id = completed_event(PLAN, book, MAY)
    assert isinstance(event, PlanCompleted)
    assert (event.completed_on, event.total_paid, event.final_waiver) == (MAY, cny("300.00"), WAIVER)
    assert event_id == deterministic_id("PlanCompleted", PLAN_ID)


async def judged(judgement: Judgement, remind: bool = True, since: date | None = None) -> tuple[Outcome, MemoryOutbox]:
    outbox = MemoryOutbox()
    close = BusinessDayClosed(business_date=date(2026, 4, 12), closed_at=datetime(2026, 4, 12, 22, tzinfo=UTC))
    unit = unit_of(close, producer="repayment-tracking", outbox=outbox)
    outcome = Outcome()
    judgement_events(unit, Rules(), PLAN, BOOK, judgement, date(2026, 4, 12), outcome, remind=remind, since=since)
    await publish_each(outcome.events)
    return outcome, outbox


async def test_a_judgement_with_months_missed_and_a_break_announces_them_and_reminds_no_one() -> None:
    missed = Missed(1, APRIL, Decimal("350.00"), date(2026, 4, 19), 1)
    broken = Broken(PlanBreakReason.TWO_MISSED, date(2026, 5, 19), Decimal("650.00"))
    outcome, outbox = await judged(Judgement((missed,), broken))
    assert (outcome.missed, outcome.broken, outcome.completed) == (
        {PLAN_ID: {1: date(2026, 4, 19)}},
        {PLAN_ID: date(2026, 5, 19)},
        {},
    )
    assert outbox.types() == ["PlanInstallmentMissed", "PlanBroken"]
    [event] = outbox.events(PlanInstallmentMissed)
    assert (event.shortfall, event.missed_count, event.business_date) == (cny("350.00"), 1, date(2026, 4, 19))
    [plan_broken] = outbox.events(PlanBroken)
    assert (plan_broken.unpaid, plan_broken.reinstated_waiver) == (cny("650.00"), WAIVER)


async def test_a_completed_judgement_ends_the_plan() -> None:
    outcome, outbox = await judged(Judgement((), completed_on=MAY))
    assert outcome.completed == {PLAN_ID: MAY}
    assert outbox.types() == ["PlanCompleted"]


async def test_a_date_closed_ahead_of_a_catch_ups_latest_reminds_no_one_the_latest_does() -> None:
    """DESIGN.md §6: dates closed late in a catch-up settle the plan but remind no one
    (`remind` False); the latest date of the catch-up reminds of what is due after it."""
    _, outbox = await judged(Judgement(()))
    [reminder] = outbox.events(PlanInstallmentDueSoon)
    assert (reminder.sequence, reminder.days_before, reminder.amount_due) == (1, 3, cny("350.00"))  # the plan's and the loan's
    _, quiet = await judged(Judgement(()), remind=False)
    assert quiet.types() == []
