"""Activation on the real Postgres: what an activated plan takes over of the loan's installments;
one plan at a time, and none on a cured or closed loan (helpers: test_offers_and_activation.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.ports import Plans
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import CureReason, LoanBecameOverdue, OverdueStatusChanged
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.clock import BusinessClock
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

from .test_offers_and_activation import CLOSED, MIGRATIONS, _accept, _examples, _golden, _handle

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans") as pool:
        yield pool


def _status_changed(overdue: LoanBecameOverdue, **changes: Any) -> OverdueStatusChanged:
    fields = {**overdue.__dict__, **changes}
    return OverdueStatusChanged(**fields, reasons=("payment_applied",), previous_bucket=overdue.bucket)


async def _plan_status(pool: asyncpg.Pool, plan_id: uuid.UUID) -> tuple[str, date | None]:
    row = await pool.fetchrow("SELECT status, ended_on FROM plans WHERE plan_id = $1", plan_id)
    assert row is not None
    return row["status"], row["ended_on"]


async def test_a_reschedule_replaces_the_whole_remaining_schedule_as_it_stood_when_offered(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    extension = next(option for option in offer.options if option.option_id == "extension-6")
    assert extension.effect == PlanEffect.RESCHEDULE
    # The next status has the third installment paid off early: the arrears are unchanged, so
    # the offer stands, and the plan takes over the installments as the offer saw them.
    remaining = overdue.remaining_schedule[:2]
    await _handle(
        pool,
        _status_changed(overdue, business_date=date(2026, 2, 19), remaining_schedule=remaining),
        handlers.when_loan_overdue_project_it,
    )
    [activated] = await _handle(
        pool, _accept(request, offer, "extension-6", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert activated.event_type == "PlanActivated"
    assert (activated.effect, activated.replaced_installments, activated.continuing_installments) == (
        PlanEffect.RESCHEDULE,
        (1, 2, 3),
        (),
    )


async def test_a_second_plan_on_a_loan_is_refused_until_the_first_ends(pool: asyncpg.Pool) -> None:
    overdue, first_request = _examples(uuid.uuid4())
    second_request = first_request.model_copy(update={"application_id": uuid.uuid4()})
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [first_offer] = await _handle(pool, first_request, handlers.when_negotiation_requested_offer_plans)
    [second_offer] = await _handle(pool, second_request, handlers.when_negotiation_requested_offer_plans)
    at = CLOSED + timedelta(days=1)
    [plan] = await _handle(pool, _accept(first_request, first_offer, "arrears-3", at), handlers.when_plan_accepted_activate_it)
    assert plan.event_type == "PlanActivated"

    [refused] = await _handle(
        pool, _accept(second_request, second_offer, "arrears-6", at), handlers.when_plan_accepted_activate_it
    )
    assert (refused.event_type, refused.offer_id, refused.reasons[0].code) == (
        "PlanRejected",
        second_offer.offer_id,
        "plan_already_active",
    )
    assert str(plan.plan_id) in refused.reasons[0].message

    # The plan breaks: the loan may have another one, and the offer still standing is activated.
    broken = _golden("PlanBroken").model_copy(update={"plan_id": plan.plan_id, "loan_id": plan.loan_id})
    assert await _handle(pool, broken, handlers.when_plan_broken_end_it) == []
    assert await _plan_status(pool, plan.plan_id) == ("broken", broken.business_date)
    [second] = await _handle(
        pool, _accept(second_request, second_offer, "arrears-6", at), handlers.when_plan_accepted_activate_it
    )
    assert (second.event_type, second.offer_id, second.option_id) == ("PlanActivated", second_offer.offer_id, "arrears-6")
    completed = _golden("PlanCompleted").model_copy(update={"plan_id": second.plan_id, "loan_id": second.loan_id})
    await _handle(pool, completed, handlers.when_plan_completed_end_it)
    assert await _plan_status(pool, second.plan_id) == ("completed", completed.completed_on)


async def test_two_acceptances_at_once_on_one_loan_give_one_plan_and_one_refusal(pool: asyncpg.Pool) -> None:
    overdue, first_request = _examples(uuid.uuid4())
    second_request = first_request.model_copy(update={"application_id": uuid.uuid4()})
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [first_offer] = await _handle(pool, first_request, handlers.when_negotiation_requested_offer_plans)
    [second_offer] = await _handle(pool, second_request, handlers.when_negotiation_requested_offer_plans)
    at = CLOSED + timedelta(days=1)
    clock = BusinessClock()
    clock.advance(CLOSED.date(), CLOSED)
    async with pool.acquire() as connection, connection.transaction():
        first = Unit(
            wrap(_accept(first_request, first_offer, "arrears-3", at), producer="test", occurred_at=at),
            "plan-calculation",
            clock,
            PostgresOutbox(connection),
        )
        await handlers.when_plan_accepted_activate_it(first, Plans(PostgresPlanStore(connection), ChargeCaps()))
        assert first.staged == ["PlanActivated"]
        second = asyncio.create_task(
            _handle(pool, _accept(second_request, second_offer, "arrears-3", at), handlers.when_plan_accepted_activate_it)
        )
        # Until Postgres shows the second acceptance waiting on the first's transaction (not a guess
        # at how long it takes to get there).
        first_pid = connection.get_server_pid()
        async with asyncio.timeout(30):
            while not await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", first_pid
            ):
                assert not second.done(), "the second acceptance did not wait for the first"
                await asyncio.sleep(0.05)
        assert not second.done()  # it waits for the first acceptance to commit
    [refused] = await second
    assert (refused.event_type, refused.reasons[0].code) == ("PlanRejected", "plan_already_active")
    assert await pool.fetchval("SELECT count(*) FROM plans WHERE loan_id = $1", overdue.loan_id) == 1


async def test_an_acceptance_after_the_loan_was_cured_activates_nothing(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    cured = _golden("LoanCured").model_copy(
        update={"loan_id": overdue.loan_id, "business_date": date(2026, 2, 19), "reason": CureReason.PAID}
    )
    await _handle(pool, cured, handlers.when_loan_cured_forget_arrears)
    [refused] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert (refused.event_type, refused.offer_id, refused.reasons[0].code) == ("PlanRejected", offer.offer_id, "loan_cured")
    assert await pool.fetchval("SELECT count(*) FROM plans WHERE loan_id = $1", overdue.loan_id) == 0


async def test_a_closed_loan_gets_no_plan_and_its_plan_in_force_ends(pool: asyncpg.Pool) -> None:
    overdue, first_request = _examples(uuid.uuid4())
    second_request = first_request.model_copy(update={"application_id": uuid.uuid4()})
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [first_offer] = await _handle(pool, first_request, handlers.when_negotiation_requested_offer_plans)
    [second_offer] = await _handle(pool, second_request, handlers.when_negotiation_requested_offer_plans)
    at = CLOSED + timedelta(days=1)
    [plan] = await _handle(pool, _accept(first_request, first_offer, "arrears-3", at), handlers.when_plan_accepted_activate_it)
    closed = LoanClosed(loan_id=overdue.loan_id, closed_on=date(2026, 2, 20), reason=LoanClosureReason.SOLD)
    assert await _handle(pool, closed, handlers.when_loan_closed_end_its_plan) == []
    assert await _plan_status(pool, plan.plan_id) == ("closed", date(2026, 2, 20))
    [refused] = await _handle(
        pool, _accept(second_request, second_offer, "arrears-3", at), handlers.when_plan_accepted_activate_it
    )
    assert (refused.event_type, refused.reasons[0].code) == ("PlanRejected", "loan_closed")
