"""A plan's use cases (application/plans.py) on the fakes: its activation, its end (broken,
completed, or with its loan), either topic read first, and redeliveries."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import (
    CureReason,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBreakReason, PlanBroken, PlanCompleted
from tideover_runtime.unit import RejectEvent

from .conftest import FEB_18, World, arrears_plan, close, cny

D = Decimal
FEB_19 = date(2026, 2, 19)


def broken(plan: PlanActivated, on: date = date(2026, 3, 25)) -> PlanBroken:
    return PlanBroken(
        plan_id=plan.plan_id,
        loan_id=plan.loan_id,
        reason=PlanBreakReason.UNPAID_30_DAYS,
        business_date=on,
        reinstated_waiver=plan.conditional_waiver,
        unpaid=cny("348.33"),
    )


def completed(plan: PlanActivated) -> PlanCompleted:
    return PlanCompleted(
        plan_id=plan.plan_id,
        loan_id=plan.loan_id,
        completed_on=date(2026, 5, 18),
        total_paid=cny("1045.00"),
        final_waiver=plan.conditional_waiver,
    )


async def under_a_plan(world: World) -> PlanActivated:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    plan = arrears_plan(loan.loan_id)
    await world.handle(plan)
    return plan


async def test_an_activation_reschedules_the_arrears_and_records_its_waivers(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    plan = arrears_plan(loan.loan_id)
    events = await world.handle(plan)
    granted = [e for e in events if isinstance(e, WaiverGranted)]
    assert [(e.reason, e.status, e.waived.penalty) for e in granted] == [
        (WaiverReason.PLAN, WaiverStatus.CONDITIONAL, cny("0.31")),
        (WaiverReason.QUOTE_HONOURED, WaiverStatus.CONDITIONAL, cny("0.10")),  # the day until the activation
    ]
    assert len(events) == 2  # under the plan, the loan is no longer told overdue by this service's close
    owed = world.owed(loan.loan_id)
    assert (owed[1], owed[1001], owed[1002], owed[1003]) == (D(0), D("348.33"), D("348.33"), D("348.34"))
    assert world.book.loans[loan.loan_id]["under_plan"]
    assert await world.book.open_pause(loan.loan_id) == FEB_19
    assert await world.handle(plan) == []  # redelivered
    assert await world.handle(close(date(2026, 2, 25))) == []  # under a plan: not closed


async def test_an_activation_for_a_closed_loan_is_refused(world: World) -> None:
    loan = await world.booked()
    await world.handle(LoanClosed(loan_id=loan.loan_id, closed_on=FEB_18, reason=LoanClosureReason.REFINANCED))
    with pytest.raises(RejectEvent, match="closed loan"):
        await world.handle(arrears_plan(loan.loan_id))
    with pytest.raises(RejectEvent, match="unknown loan"):
        await world.handle(arrears_plan(uuid.uuid4()))


async def test_a_broken_plan_reinstates_its_waivers_and_collection_resumes(world: World) -> None:
    plan = await under_a_plan(world)
    await world.handle(close(date(2026, 3, 25)))
    events = await world.handle(broken(plan))
    reinstated = [e for e in events if isinstance(e, WaiverGranted)]
    assert [(e.reason, e.status) for e in reinstated] == [
        (WaiverReason.PLAN, WaiverStatus.REINSTATED),
        (WaiverReason.QUOTE_HONOURED, WaiverStatus.REINSTATED),
    ]
    [status] = [e for e in events if isinstance(e, OverdueStatusChanged)]
    assert OverdueChangeReason.PLAN_BROKEN in status.reasons
    assert not status.under_plan
    owed = world.owed(plan.loan_id)
    assert 1001 not in owed
    assert owed[1] > D("1045.31")
    assert world.book.plans[plan.plan_id][1].outcome == "broken"
    assert await world.handle(broken(plan)) == []  # redelivered: told once


async def test_a_completed_plan_makes_its_waivers_final(world: World) -> None:
    plan = await under_a_plan(world)
    events = await world.handle(completed(plan))
    final = [e for e in events if isinstance(e, WaiverGranted)]
    assert [(e.status, e.waived.total) for e in final] == [(WaiverStatus.FINAL, cny("0.31")), (WaiverStatus.FINAL, cny("0.10"))]
    assert not world.book.loans[plan.loan_id]["under_plan"]
    assert world.book.pauses[plan.loan_id] == {FEB_19: date(2026, 5, 19)}  # its completion day is still the plan's


async def test_an_end_read_before_its_activation_waits_for_it(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    plan = arrears_plan(loan.loan_id)
    assert await world.handle(completed(plan)) == []
    assert plan.plan_id in world.book.plan_ends_waiting
    events = await world.handle(plan)  # the activation, then the end that waited
    assert [(e.status) for e in events if isinstance(e, WaiverGranted)] == [WaiverStatus.CONDITIONAL] * 2 + [
        WaiverStatus.FINAL
    ] * 2
    assert world.book.plans[plan.plan_id][1].outcome == "completed"
    assert world.book.plan_ends_waiting == {}


async def test_a_second_activation_waits_for_the_end_of_the_plan_in_force(world: World) -> None:
    first = await under_a_plan(world)
    await world.handle(close(date(2026, 3, 25)))
    second = arrears_plan(first.loan_id, activated_on=date(2026, 3, 26))
    assert await world.handle(second) == []
    assert second.plan_id in world.book.activations_waiting
    events = await world.handle(broken(first))
    assert [(e.plan_id, e.status) for e in events if isinstance(e, WaiverGranted)][-1][1] == WaiverStatus.CONDITIONAL
    assert await world.book.active_plan(first.loan_id) == second.plan_id
    assert world.book.activations_waiting == {}


async def test_a_loan_closed_under_a_plan_ends_it_and_its_waivers_stay(world: World) -> None:
    plan = await under_a_plan(world)
    events = await world.handle(LoanClosed(loan_id=plan.loan_id, closed_on=date(2026, 3, 1), reason=LoanClosureReason.SOLD))
    assert [(e.status) for e in events if isinstance(e, WaiverGranted)] == [WaiverStatus.FINAL] * 2
    [cured] = [e for e in events if isinstance(e, LoanCured)]
    assert cured.reason == CureReason.LOAN_CLOSED
    assert world.book.plans[plan.plan_id][1].outcome == "closed"
