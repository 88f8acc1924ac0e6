"""The Plans port's contract, against the fake (adapters/memory.py) and Postgres
(adapters/plans.py): plans taken in once, the ledger's reports kept and restated, payments kept
for a plan not taken in yet, and which plans a close has to judge."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from repayment_tracking.adapters.memory import MemoryPlans
from repayment_tracking.adapters.plans import PostgresPlans
from repayment_tracking.application.handlers import months_of
from repayment_tracking.application.ports import Plans
from repayment_tracking.domain.plan_rules import LineKind, LineRef, Report, Rules
from repayment_tracking.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_testkit.contract import Adapter

RULES = Rules()
APRIL, MAY = date(2026, 4, 15), date(2026, 5, 15)  # the golden plan's months 1 and 2; activated 16 March
PLAN_1, REGULAR_3 = LineRef(LineKind.PLAN, 1), LineRef(LineKind.REGULAR, 3)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def activated(**changes: Any) -> PlanActivated:
    """The golden plan (348.33, 348.33, 348.34 due 15 April, May, June; the regular installment
    3 of 1045.00 due in April), a plan and loan of its own, 9.31 waived on condition."""
    plan = next(event for event in golden_events() if isinstance(event, PlanActivated))
    waiver = WaivedAmounts(penalty=cny("0.31"), interest=cny("9.00"), fee=cny("0.00"), total=cny("9.31"))
    return plan.model_copy(update={"plan_id": uuid.uuid4(), "loan_id": uuid.uuid4(), "conditional_waiver": waiver, **changes})


def payment(loan_id: uuid.UUID, payment_id: str, on: date = APRIL, amount: str = "100.00") -> RepaymentApplied:
    return RepaymentApplied(
        loan_id=loan_id,
        payment_id=payment_id,
        amount=cny(amount),
        value_date=on,
        covered=(),
        to_credit=cny("0.00"),
        outstanding=cny("0.00"),
    )


def report(ref: LineRef, payment_id: str, on: date, arrival: int, paid: str, left: str) -> Report:
    return Report(ref, payment_id, on, arrival, Decimal(paid), Decimal(left))


@pytest.fixture
async def plans(adapter: Adapter) -> AsyncIterator[Plans]:
    if adapter.memory:
        yield MemoryPlans()
    else:
        async with adapter.postgres(MIGRATIONS, "plans") as connection:
            yield PostgresPlans(connection)


async def taken_in(plans: Plans, **changes: Any) -> PlanActivated:
    plan = activated(**changes)
    assert await plans.add(plan, months_of(plan))
    return plan


async def test_a_plan_is_taken_in_once_with_its_months_and_lines(plans: Plans) -> None:
    plan = await taken_in(plans)
    assert not await plans.add(plan, months_of(plan))  # the same plan again: a no-op
    assert await plans.known([plan.plan_id, uuid.uuid4()]) == {plan.plan_id}
    active = (await plans.active_for_loans([plan.loan_id, uuid.uuid4()]))[plan.loan_id]
    assert (active.plan_id, active.currency, active.activated_on, active.closed_through) == (
        plan.plan_id,
        "CNY",
        date(2026, 3, 16),
        None,
    )
    assert active.conditional_waiver == plan.conditional_waiver
    book = (await plans.books([plan.plan_id]))[plan.plan_id]
    assert book.months == months_of(plan)
    assert [line.ref for line in book.months[0].lines] == [PLAN_1, REGULAR_3]
    assert (book.reports, book.missed) == ((), frozenset())
    assert (await plans.books([uuid.uuid4()])).popitem()[1].months == ()


async def test_active_plans_are_found_by_loan_until_they_end(plans: Plans) -> None:
    kept, broken, closed = await taken_in(plans), await taken_in(plans), await taken_in(plans)
    await plans.end({broken.plan_id: MAY}, "broken")
    await plans.close_for_loan(closed.loan_id, APRIL)
    await plans.close_for_loan(uuid.uuid4(), APRIL)  # a loan without a plan: nothing happens
    active = await plans.active_for_loans([kept.loan_id, broken.loan_id, closed.loan_id])
    assert set(active) == {kept.loan_id}
    assert await plans.known([broken.plan_id, closed.plan_id]) == {broken.plan_id, closed.plan_id}
    assert await plans.plans_to_judge(date(2026, 4, 19), RULES) == [active[kept.loan_id]]


async def test_payments_for_a_plan_not_taken_in_are_kept_in_order_and_taken_once(plans: Plans) -> None:
    plan_id, other = uuid.uuid4(), uuid.uuid4()
    first, second = payment(uuid.uuid4(), "P-2"), payment(uuid.uuid4(), "P-1")
    await plans.keep_early([(plan_id, first), (other, first)])
    await plans.keep_early([(plan_id, second), (plan_id, first.model_copy(update={"amount": cny("1.00")}))])
    assert await plans.take_early(plan_id) == [first, second]  # in the order kept; the first of one payment stands
    assert await plans.take_early(plan_id) == []
    assert await plans.take_early(other) == [first]


async def test_a_payment_is_recorded_once_by_its_id(plans: Plans) -> None:
    plan = await taken_in(plans)
    one, two = payment(plan.loan_id, "P-1"), payment(plan.loan_id, "P-2")
    assert await plans.record_payments([(plan.plan_id, one), (plan.plan_id, one)]) == {"P-1"}
    assert await plans.record_payments([(plan.plan_id, one), (plan.plan_id, two)]) == {"P-2"}
    assert await plans.record_payments([]) == set()


async def test_reports_are_read_back_by_value_date_then_arrival_and_forgotten_by_payment(plans: Plans) -> None:
    plan, other = await taken_in(plans), await taken_in(plans)
    late = report(PLAN_1, "P-1", APRIL, 1, "48.33", "300.00")
    early = report(PLAN_1, "P-2", date(2026, 4, 10), 2, "100.00", "248.33")
    regular = report(REGULAR_3, "P-2", date(2026, 4, 10), 3, "45.00", "1000.00")
    await plans.record_reports({plan.plan_id: [late, early, regular], other.plan_id: [late]})
    books = await plans.books([plan.plan_id, other.plan_id])
    assert books[plan.plan_id].reports == (early, regular, late)
    await plans.forget_reports([(plan.plan_id, "P-2")])
    books = await plans.books([plan.plan_id, other.plan_id])
    assert (books[plan.plan_id].reports, books[other.plan_id].reports) == ((late,), (late,))


async def test_months_marked_missed_are_in_the_book(plans: Plans) -> None:
    plan = await taken_in(plans)
    await plans.mark_missed({plan.plan_id: {1: date(2026, 4, 19)}})
    await plans.mark_missed({})
    assert (await plans.books([plan.plan_id]))[plan.plan_id].missed == {1}


async def test_a_close_judges_a_plan_only_where_something_may_happen(plans: Plans) -> None:
    plan = await taken_in(plans, continuing_installments=())
    [active] = (await plans.active_for_loans([plan.loan_id])).values()
    assert await plans.plans_to_judge(date(2026, 4, 1), RULES) == []  # nothing due, nothing to remind of
    assert await plans.plans_to_judge(date(2026, 4, 12), RULES) == [active]  # 3 days before April
    assert await plans.plans_to_judge(date(2026, 4, 13), RULES) == []
    assert await plans.plans_to_judge(date(2026, 4, 13), RULES, since=date(2026, 4, 11)) == [active]  # a reminder day passed
    assert await plans.plans_to_judge(date(2026, 4, 16), RULES) == []  # in April's grace, unpaid
    assert await plans.plans_to_judge(date(2026, 4, 19), RULES) == [active]  # past it: a miss
    await plans.mark_missed({plan.plan_id: {1: date(2026, 4, 19)}})
    assert await plans.plans_to_judge(date(2026, 4, 20), RULES) == []  # missed already
    assert await plans.plans_to_judge(MAY, RULES) == [active]  # 30 days unpaid: a break


async def test_lines_set_as_the_ledger_reported_them_decide_what_a_close_judges(plans: Plans) -> None:
    plan = await taken_in(plans, continuing_installments=())
    [active] = (await plans.active_for_loans([plan.loan_id])).values()
    before = date(2026, 3, 1)  # value-dated before the plan: not itself a reason to judge it
    reports = [report(PLAN_1, "P-1", before, 1, "348.33", "0.00")]
    await plans.record_reports({plan.plan_id: reports})
    assert await plans.plans_to_judge(date(2026, 4, 16), RULES) == []  # the line stands as it was set: unpaid
    book = (await plans.books([plan.plan_id]))[plan.plan_id]
    await plans.set_lines({plan.plan_id: book}, {plan.plan_id: {PLAN_1}})
    assert await plans.plans_to_judge(date(2026, 4, 16), RULES) == [active]  # April fell due paid
    assert await plans.plans_to_judge(date(2026, 4, 19), RULES) == [active]
    await plans.record_reports({plan.plan_id: [report(PLAN_1, "P-2", date(2026, 3, 20), 2, "0.00", "348.33")]})
    assert await plans.plans_to_judge(date(2026, 4, 1), RULES) == [active]  # reported after the last day judged


async def test_closing_moves_the_day_judged_forward_only_for_active_plans(plans: Plans) -> None:
    first, second, ended = await taken_in(plans), await taken_in(plans), await taken_in(plans)
    await plans.end({ended.plan_id: APRIL}, "completed")
    await plans.close_all(date(2026, 4, 19))
    await plans.close_all(date(2026, 4, 10))  # an earlier day does not move it back
    active = await plans.active_for_loans([first.loan_id, second.loan_id])
    assert {plan.closed_through for plan in active.values()} == {date(2026, 4, 19)}
    assert await plans.plans_to_judge(date(2026, 4, 19), RULES) == []  # judged through that day
    due = await plans.plans_to_judge(date(2026, 5, 12), RULES)  # April unpaid past its grace
    assert [plan.plan_id for plan in due] == sorted([first.plan_id, second.plan_id])


async def test_a_close_told_returns_the_first_day_settled_quietly_since_the_one_before(plans: Plans) -> None:
    assert await plans.tell_close(date(2026, 4, 10)) is None  # the first told
    assert await plans.tell_close(date(2026, 4, 13)) == date(2026, 4, 11)
    assert await plans.tell_close(date(2026, 4, 13)) is None  # told already
    assert await plans.tell_close(date(2026, 4, 11)) is None  # an earlier day does not move it back
    assert await plans.tell_close(date(2026, 4, 14)) == date(2026, 4, 14)
