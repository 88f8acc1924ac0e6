"""The use cases of application/handlers.py on the fake Plans (adapters/memory.py) and a
MemoryOutbox: a plan taken in, the ledger's reports followed (restated, redelivered, before
their plan), closes judging plans month by month, and a closed loan's plan ended."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from repayment_tracking.adapters.memory import MemoryPlans
from repayment_tracking.application import handlers
from repayment_tracking.application.ports import Tracking
from repayment_tracking.domain.plan_rules import LineKind, LineRef, Rules
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import LedgerLine, LineCovered, RepaymentApplied
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import (
    PlanBreakReason,
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_testkit.memory import MemoryOutbox, unit_of

APRIL, MAY, JUNE = date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15)
PLAN_1, REGULAR_3 = LineRef(LineKind.PLAN, 1), LineRef(LineKind.REGULAR, 3)
WAIVER = WaivedAmounts(
    penalty=Money.of("0.31", "CNY"), interest=Money.of("9.00", "CNY"), fee=Money.of("0.00", "CNY"), total=Money.of("9.31", "CNY")
)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def activated(*, regular: bool = False) -> PlanActivated:
    """The golden plan: 348.33, 348.33, 348.34 due 15 April, May and June 2026, activated on
    16 March, 9.31 waived on condition; with `regular`, the loan's installment 3 of 1045.00 due
    15 April stays due in its first month."""
    plan = next(event for event in golden_events() if isinstance(event, PlanActivated))
    update: dict[str, Any] = {"plan_id": uuid.uuid4(), "loan_id": uuid.uuid4(), "conditional_waiver": WAIVER}
    if not regular:
        update["continuing_installments"] = ()
    return plan.model_copy(update=update)


def covered(sequence: int, due: date, paid: str, left: str, plan_id: uuid.UUID | None = None) -> LineCovered:
    zero = cny("0.00")
    line = LedgerLine(sequence=sequence, plan_id=plan_id, due_date=due)
    return LineCovered(line=line, principal=cny(paid), interest=zero, fee=zero, penalty=zero, left=cny(left))


def applied(loan_id: uuid.UUID, payment_id: str, on: date, *lines: LineCovered) -> RepaymentApplied:
    amount = sum((line.principal.amount for line in lines), start=Decimal("0.00"))
    return RepaymentApplied(
        loan_id=loan_id,
        payment_id=payment_id,
        amount=cny(str(amount)),
        value_date=on,
        covered=lines,
        to_credit=cny("0.00"),
        outstanding=cny("0.00"),
    )


class Service:
    """repayment-tracking on fakes: feed it events, read what it staged and stored."""

    def __init__(self) -> None:
        self.plans = MemoryPlans()
        self.outbox = MemoryOutbox()
        self.tracking = Tracking(self.plans, Rules())

    def unit(self, event: Any) -> Any:
        return unit_of(event, producer="repayment-tracking", outbox=self.outbox)

    async def activate(self, *, regular: bool = False) -> PlanActivated:
        plan = activated(regular=regular)
        await handlers.when_plan_activated_track_it(self.unit(plan), self.tracking)
        return plan

    async def pay(self, *payments: RepaymentApplied) -> None:
        await handlers.when_repayments_applied_follow_plans([self.unit(payment) for payment in payments], self.tracking)

    async def close(self, day: date, catching_up_to: date | None = None) -> None:
        closed_at = datetime(day.year, day.month, day.day, 22, tzinfo=UTC)
        event = BusinessDayClosed(business_date=day, closed_at=closed_at, catching_up_to=catching_up_to)
        await handlers.when_business_day_closed_check_plans(self.unit(event), self.tracking)


@pytest.fixture
def service() -> Service:
    return Service()


async def test_a_plan_activated_is_taken_in_once(service: Service) -> None:
    plan = await service.activate()
    await handlers.when_plan_activated_track_it(service.unit(plan), service.tracking)  # redelivered
    stored = service.plans.plans[plan.plan_id]
    assert [(month.sequence, month.due_date, month.total) for month in stored.months] == [
        (1, APRIL, Decimal("348.33")),
        (2, MAY, Decimal("348.33")),
        (3, JUNE, Decimal("348.34")),
    ]
    assert (stored.status, stored.closed_through) == ("active", None)
    assert service.outbox.types() == []


async def test_an_arrears_plan_takes_in_the_regular_installments_due_in_its_months(service: Service) -> None:
    plan = await service.activate(regular=True)
    [april, *_] = service.plans.plans[plan.plan_id].months
    assert [line.ref for line in april.lines] == [PLAN_1, REGULAR_3]
    assert april.total == Decimal("1393.33")  # 348.33 of the plan and 1045.00 of the regular installment


async def test_a_payment_on_a_plan_line_is_announced_and_the_line_kept_as_the_ledger_left_it(service: Service) -> None:
    plan = await service.activate()
    await service.pay(applied(plan.loan_id, "P-1", date(2026, 4, 14), covered(1, APRIL, "48.33", "300.00", plan.plan_id)))
    [paid] = service.outbox.events(PlanInstallmentPaid)
    assert (paid.plan_id, paid.sequence, paid.payment_id, paid.value_date) == (plan.plan_id, 1, "P-1", date(2026, 4, 14))
    assert (paid.applied, paid.remaining_on_installment, paid.fully_paid) == (cny("48.33"), cny("300.00"), False)
    stored = service.plans.plans[plan.plan_id]
    assert (stored.left_now[PLAN_1], stored.paid[PLAN_1]) == (Decimal("300.00"), Decimal("48.33"))
    assert service.plans.payments["P-1"].amount == Decimal("48.33")


async def test_a_restated_payment_replaces_what_the_ledger_said_and_is_announced_once(service: Service) -> None:
    plan = await service.activate()
    first = applied(plan.loan_id, "P-1", date(2026, 4, 14), covered(1, APRIL, "48.33", "300.00", plan.plan_id))
    again = applied(plan.loan_id, "P-1", date(2026, 4, 14), covered(1, APRIL, "348.33", "0.00", plan.plan_id))
    await service.pay(first)
    await service.pay(first, again)
    [paid] = service.outbox.events(PlanInstallmentPaid)  # the same payment on the same line: one event id
    assert paid.applied == cny("48.33")
    [report] = (await service.plans.books([plan.plan_id]))[plan.plan_id].reports
    assert (report.paid, report.left) == (Decimal("348.33"), Decimal("0.00"))
    assert service.plans.plans[plan.plan_id].left_now[PLAN_1] == Decimal("0.00")


async def test_a_regular_installment_in_a_plan_month_counts_and_one_outside_it_does_not(service: Service) -> None:
    plan = await service.activate(regular=True)
    await service.pay(
        applied(plan.loan_id, "P-1", date(2026, 4, 10), covered(3, APRIL, "45.00", "1000.00"), covered(6, JUNE, "5.00", "495.00"))
    )
    assert service.outbox.events(PlanInstallmentPaid) == []  # a regular line is not the plan's to announce
    [report] = (await service.plans.books([plan.plan_id]))[plan.plan_id].reports
    assert (report.ref, report.left) == (REGULAR_3, Decimal("1000.00"))
    assert service.plans.plans[plan.plan_id].left_now[REGULAR_3] == Decimal("1000.00")


async def test_a_payment_of_a_loan_without_a_plan_is_not_followed(service: Service) -> None:
    await service.pay(applied(uuid.uuid4(), "P-1", APRIL, covered(1, APRIL, "10.00", "0.00")))
    assert (service.outbox.types(), service.plans.payments, service.plans.early) == ([], {}, {})


async def test_a_report_before_its_plan_is_kept_and_followed_when_the_plan_comes(service: Service) -> None:
    plan = activated()
    early = applied(plan.loan_id, "P-EARLY", date(2026, 4, 14), covered(1, APRIL, "348.33", "0.00", plan.plan_id))
    await service.pay(early)
    assert service.outbox.types() == []
    await handlers.when_plan_activated_track_it(service.unit(plan), service.tracking)
    [paid] = service.outbox.events(PlanInstallmentPaid)
    assert (paid.payment_id, paid.fully_paid) == ("P-EARLY", True)
    assert service.plans.early == {}  # taken
    assert service.plans.plans[plan.plan_id].left_now[PLAN_1] == Decimal("0.00")


async def test_a_report_naming_a_plan_that_ended_is_not_kept(service: Service) -> None:
    plan = await service.activate()
    await handlers.when_loan_closed_end_its_plan(
        service.unit(LoanClosed(loan_id=plan.loan_id, closed_on=date(2026, 4, 1), reason=LoanClosureReason.SOLD)),
        service.tracking,
    )
    await service.pay(applied(plan.loan_id, "P-1", date(2026, 4, 14), covered(1, APRIL, "348.33", "0.00", plan.plan_id)))
    assert (service.outbox.types(), service.plans.early) == ([], {})
    stored = service.plans.plans[plan.plan_id]
    assert (stored.status, stored.ended_on) == ("closed", date(2026, 4, 1))


async def test_payments_that_pay_every_month_complete_the_plan_with_its_waiver_final(service: Service) -> None:
    plan = await service.activate()
    lines = [covered(1, APRIL, "348.33", "0.00", plan.plan_id), covered(2, MAY, "348.33", "0.00", plan.plan_id)]
    await service.pay(applied(plan.loan_id, "P-1", date(2026, 4, 10), *lines))
    assert service.outbox.events(PlanCompleted) == []  # June still asks for all of it
    await service.pay(applied(plan.loan_id, "P-2", date(2026, 4, 12), covered(3, JUNE, "348.34", "0.00", plan.plan_id)))
    assert service.outbox.types() == ["PlanInstallmentPaid"] * 3 + ["PlanCompleted"]
    [done] = service.outbox.events(PlanCompleted)
    assert (done.completed_on, done.total_paid, done.final_waiver) == (date(2026, 4, 12), cny("1045.00"), WAIVER)
    stored = service.plans.plans[plan.plan_id]
    assert (stored.status, stored.ended_on) == ("completed", date(2026, 4, 12))


async def test_a_month_unpaid_past_its_grace_is_missed_then_the_plan_breaks_at_30_days(service: Service) -> None:
    plan = await service.activate()
    await service.close(date(2026, 4, 19))
    [missed] = service.outbox.events(PlanInstallmentMissed)
    assert (missed.sequence, missed.due_date, missed.business_date) == (1, APRIL, date(2026, 4, 19))
    assert (missed.shortfall, missed.missed_count) == (cny("348.33"), 1)
    stored = service.plans.plans[plan.plan_id]
    assert (stored.missed_on, stored.closed_through) == ({1: date(2026, 4, 19)}, date(2026, 4, 19))

    await service.close(date(2026, 4, 19))  # redelivered: judged already
    await service.close(MAY)  # April unpaid 30 days after it fell due
    [broken] = service.outbox.events(PlanBroken)
    assert (broken.reason, broken.business_date, broken.unpaid) == (PlanBreakReason.UNPAID_30_DAYS, MAY, cny("1045.00"))
    assert broken.reinstated_waiver == WAIVER
    assert service.outbox.types() == ["PlanInstallmentMissed", "PlanBroken"]
    assert (stored.status, stored.ended_on) == ("broken", MAY)
    await service.close(date(2026, 6, 30))
    assert len(service.outbox.staged) == 2  # a broken plan is judged no more


async def test_a_plan_paid_within_the_tolerance_after_its_last_due_date_completes_at_a_close(service: Service) -> None:
    plan = await service.activate()
    lines = [covered(1, APRIL, "348.33", "0.00", plan.plan_id), covered(2, MAY, "348.33", "0.00", plan.plan_id)]
    last = covered(3, JUNE, "348.30", "0.04", plan.plan_id)  # 4 cents short: within the tolerance
    await service.pay(applied(plan.loan_id, "P-1", date(2026, 4, 10), *lines, last))
    assert service.outbox.events(PlanCompleted) == []  # not before June falls due
    await service.close(JUNE)
    [done] = service.outbox.events(PlanCompleted)
    assert (done.completed_on, done.total_paid) == (JUNE, cny("1044.96"))
    assert service.plans.plans[plan.plan_id].status == "completed"


async def test_a_close_reminds_of_a_month_coming_up(service: Service) -> None:
    plan = await service.activate()
    await service.close(date(2026, 4, 12))
    [reminder] = service.outbox.events(PlanInstallmentDueSoon)
    assert (reminder.plan_id, reminder.sequence, reminder.due_date) == (plan.plan_id, 1, APRIL)
    assert (reminder.days_before, reminder.amount_due) == (3, cny("348.33"))


async def test_a_catch_up_reminds_once_at_its_latest_date_of_a_reminder_day_it_passed(service: Service) -> None:
    await service.activate()
    await service.close(date(2026, 4, 10))
    await service.close(date(2026, 4, 11), catching_up_to=date(2026, 4, 13))
    await service.close(date(2026, 4, 12), catching_up_to=date(2026, 4, 13))  # the reminder day, settled quietly
    assert service.outbox.types() == []
    await service.close(date(2026, 4, 13), catching_up_to=date(2026, 4, 13))
    [reminder] = service.outbox.events(PlanInstallmentDueSoon)
    assert (reminder.sequence, reminder.days_before) == (1, 2)  # told with the days left


async def test_a_closed_loans_plan_is_no_longer_judged(service: Service) -> None:
    plan = await service.activate()
    closed = LoanClosed(loan_id=plan.loan_id, closed_on=date(2026, 4, 1), reason=LoanClosureReason.SOLD)
    await handlers.when_loan_closed_end_its_plan(service.unit(closed), service.tracking)
    await service.close(date(2026, 5, 20))
    assert service.outbox.types() == []
    assert service.plans.plans[plan.plan_id].closed_through is None
