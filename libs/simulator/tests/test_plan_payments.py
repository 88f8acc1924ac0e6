"""What a simulated borrower pays under a plan (DESIGN.md §3a): an arrears plan's month is its
line plus the regular installments due in it; a reschedule plan's is its line; after the plan's
last month the loan's remaining installments are paid on time."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import ContinuingInstallment, PlanActivated
from tideover_contracts.examples import cny, loan_booked, plan_schedule
from tideover_simulator.book import Borrower, Keeper, Payer
from tideover_simulator.observer import Standing
from tideover_simulator.payments import MISSES_ONCE_LATE, due_from

# Six installments of 1,045.00 due on the 10th, February to July; the plan's lines (348.33,
# 348.33, 348.34) on the 15th, April to June.
LOAN = loan_booked(booked_on=date(2026, 1, 10), principal="6000.00", months=6)
NONE = cny("0.00")


def activated(effect: PlanEffect) -> PlanActivated:
    arrears = effect == PlanEffect.ARREARS
    return PlanActivated(
        plan_id=uuid.uuid4(),
        offer_id=uuid.uuid4(),
        option_id="plan",
        application_id=uuid.uuid4(),
        loan_id=LOAN.loan_id,
        kind=OptionKind.ARREARS_INSTALLMENTS if arrears else OptionKind.TERM_EXTENSION,
        activated_on=date(2026, 3, 16),
        schedule=plan_schedule(),
        total_payable=cny("1045.00"),
        conditional_waiver=WaivedAmounts(penalty=NONE, interest=NONE, fee=NONE, total=NONE),
        effect=effect,
        basis_business_date=date(2026, 3, 15),
        replaced_installments=(1, 2) if arrears else (1, 2, 3, 4, 5, 6),
        continuing_installments=tuple(
            ContinuingInstallment(sequence=i.sequence, due_date=i.due_date, amount=i.total)
            for i in LOAN.installments
            if arrears and date(2026, 3, 16) < i.due_date <= date(2026, 6, 15)
        ),
    )


def borrower(keeper: Keeper) -> Borrower:
    return Borrower(LOAN, Payer.STOPS, keeper, 0, 3, True, Decimal(8000), Decimal(3000))


async def paid(keeper: Keeper, plan: PlanActivated, ended: str | None = None) -> dict[date, Decimal]:
    """What the borrower pays each day from the plan's activation to the end of the loan."""
    standing = Standing(plan=plan, plan_ended=ended)
    payments = {}
    async with httpx.AsyncClient() as unused:
        day = plan.activated_on
        while day <= date(2026, 8, 31):
            amount = await due_from(borrower(keeper), standing, day, unused)
            if amount:
                payments[day] = amount
            day += timedelta(days=1)
    return payments


def test_an_arrears_plans_month_asks_for_its_line_and_the_installments_due_in_it() -> None:
    def months(plan: PlanActivated) -> list[tuple[date, Decimal]]:
        return [(month.line.due_date, month.total.amount) for month in plan.months()]

    assert months(activated(PlanEffect.ARREARS)) == [
        (date(2026, 4, 15), Decimal("1393.33")),
        (date(2026, 5, 15), Decimal("1393.33")),
        (date(2026, 6, 15), Decimal("1393.34")),
    ]
    assert months(activated(PlanEffect.RESCHEDULE)) == [
        (date(2026, 4, 15), Decimal("348.33")),
        (date(2026, 5, 15), Decimal("348.33")),
        (date(2026, 6, 15), Decimal("348.34")),
    ]


async def test_a_keeper_pays_each_months_total_then_the_loans_last_installment() -> None:
    assert await paid(Keeper.KEEPS, activated(PlanEffect.ARREARS)) == {
        date(2026, 4, 15): Decimal("1393.33"),
        date(2026, 5, 15): Decimal("1393.33"),
        date(2026, 6, 15): Decimal("1393.34"),
        date(2026, 7, 10): Decimal("1045.00"),
    }


async def test_who_misses_once_pays_the_first_months_total_late() -> None:
    assert await paid(Keeper.MISSES_ONCE, activated(PlanEffect.ARREARS)) == {
        date(2026, 4, 15) + timedelta(days=MISSES_ONCE_LATE): Decimal("1393.33"),
        date(2026, 5, 15): Decimal("1393.33"),
        date(2026, 6, 15): Decimal("1393.34"),
        date(2026, 7, 10): Decimal("1045.00"),
    }


@pytest.mark.parametrize("effect", list(PlanEffect))
async def test_who_breaks_a_plan_pays_neither_it_nor_the_loan(effect: PlanEffect) -> None:
    assert await paid(Keeper.BREAKS, activated(effect)) == {}
    assert await paid(Keeper.KEEPS, activated(effect), ended="broken") == {}


async def test_a_reschedule_plan_is_paid_line_by_line_and_replaces_the_loans_installments() -> None:
    assert await paid(Keeper.KEEPS, activated(PlanEffect.RESCHEDULE)) == {
        date(2026, 4, 15): Decimal("348.33"),
        date(2026, 5, 15): Decimal("348.33"),
        date(2026, 6, 15): Decimal("348.34"),
    }


async def test_after_a_completed_plan_the_borrower_keeps_up_with_the_loan() -> None:
    assert await paid(Keeper.MISSES_ONCE, activated(PlanEffect.ARREARS), ended="completed") == {
        date(2026, 7, 10): Decimal("1045.00"),
    }
