"""A plan's events read out of order (DESIGN.md §3a: the same ledger whichever topic is read
first), on the real Postgres: an end before its activation, an activation before the end of the
plan before it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from tideover_contracts.events.overdue import (
    OverdueChangeReason,
    OverdueStatusChanged,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.tracking import PlanBreakReason, PlanBroken
from tideover_contracts.examples import loan_booked
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

from .plan_journeys import MIGRATIONS, arrears_plan, balanced, close, cny, handle, lines, under_an_arrears_plan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans_out_of_order") as pool:
        yield pool


async def test_a_plans_end_read_before_its_activation_is_applied_once_the_activation_comes(pool: asyncpg.Pool) -> None:
    """PlanBroken (plans.tracking.v1) may be read before PlanActivated (plans.offers.v2): the same
    ledger either way (DESIGN.md §3a), not a dead letter and a plan in force for ever."""
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await handle(pool, loan)
    await handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)
    broken = PlanBroken(
        plan_id=plan.plan_id,
        loan_id=loan.loan_id,
        reason=PlanBreakReason.UNPAID_30_DAYS,
        business_date=date(2026, 4, 17),
        reinstated_waiver=plan.conditional_waiver,
        unpaid=cny("1045.00"),
    )
    await handle(pool, close(date(2026, 4, 17)))
    assert await handle(pool, broken) == []  # kept until the activation is read
    events = await handle(pool, plan)
    assert [(e.status, e.reason) for e in events if isinstance(e, WaiverGranted)] == [
        (WaiverStatus.CONDITIONAL, WaiverReason.PLAN),
        (WaiverStatus.CONDITIONAL, WaiverReason.QUOTE_HONOURED),
        (WaiverStatus.REINSTATED, WaiverReason.PLAN),
        (WaiverStatus.REINSTATED, WaiverReason.QUOTE_HONOURED),
    ]
    assert any(isinstance(e, OverdueStatusChanged) and OverdueChangeReason.PLAN_BROKEN in e.reasons for e in events)
    assert set(await lines(pool, loan.loan_id)) == {1, 2, 3}  # undone: the plan's lines are gone
    assert await pool.fetchval("SELECT outcome FROM plans WHERE plan_id = $1", plan.plan_id) == "broken"
    assert not await pool.fetchval("SELECT under_plan FROM loans WHERE loan_id = $1", loan.loan_id)
    await balanced(pool, loan.loan_id)


async def test_an_activation_read_before_the_previous_plans_end_waits_for_it(pool: asyncpg.Pool) -> None:
    """plan-calculation activates one plan at a time, but overdue detection may read the next
    activation (plans.offers.v2) before the end of the plan before it (plans.tracking.v1)."""
    loan, first = await under_an_arrears_plan(pool)
    second = arrears_plan(loan.loan_id).model_copy(update={"activated_on": date(2026, 3, 25)})
    assert await handle(pool, second) == []  # held: the first plan is in force here
    broken = PlanBroken(
        plan_id=first.plan_id,
        loan_id=loan.loan_id,
        reason=PlanBreakReason.TWO_MISSED,
        business_date=date(2026, 3, 22),
        reinstated_waiver=first.conditional_waiver,
        unpaid=cny("1045.00"),
    )
    events = await handle(pool, broken)
    granted = [(e.plan_id, e.status) for e in events if isinstance(e, WaiverGranted)]
    assert (first.plan_id, WaiverStatus.REINSTATED) in granted
    assert (second.plan_id, WaiverStatus.CONDITIONAL) in granted
    outcomes = dict(await pool.fetch("SELECT plan_id, outcome FROM plans WHERE loan_id = $1", loan.loan_id))
    assert outcomes == {first.plan_id: "broken", second.plan_id: "active"}
    assert {2001, 2002, 2003} <= set(await lines(pool, loan.loan_id))  # the second plan's lines
    await balanced(pool, loan.loan_id)
