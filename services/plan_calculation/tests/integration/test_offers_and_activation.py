"""Offers and activation on the real Postgres: an offer for a request, an expired offer refused
with a clear event, a loan that changed since the offer quoted again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.ports import Plans
from tideover_contracts.envelope import Event, parse_message, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.negotiation import ConfirmationChannel, PlanAccepted
from tideover_contracts.events.overdue import LoanBecameOverdue, OverdueStatusChanged
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_contracts.topics import PLANS_OFFERS
from tideover_runtime.clock import BusinessClock
from tideover_runtime.consumer import Unit
from tideover_runtime.testing.database import fresh_schema
from tideover_runtime.testing.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CLOSED = datetime(2026, 2, 18, 14, tzinfo=UTC)


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans") as pool:
        yield pool


async def _handle(pool: asyncpg.Pool, event: Event, handler: Any, now: datetime = CLOSED) -> list[Any]:
    clock = BusinessClock()
    clock.advance(now.date(), now)
    async with pool.acquire() as connection, connection.transaction():
        before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        unit = Unit(connection, wrap(event, producer="test", occurred_at=now), "plan-calculation", clock)
        await handler(unit, Plans(PostgresPlanStore(connection), ChargeCaps()))
        rows = await connection.fetch("SELECT value FROM outbox WHERE id > $1 ORDER BY id", before)
    return [parse_message(row["value"], PLANS_OFFERS.event_classes()).payload for row in rows]


def _examples(loan_id: uuid.UUID) -> tuple[LoanBecameOverdue, Any]:
    events = {type(event).__name__: event for event in golden_events()}
    overdue = events["LoanBecameOverdue"].model_copy(update={"loan_id": loan_id, "business_date": CLOSED.date()})
    request = events["NegotiationRequested"].model_copy(update={"loan_id": loan_id, "application_id": uuid.uuid4()})
    return overdue, request


def _accept(request: Any, offer: Any, option_id: str, at: datetime) -> PlanAccepted:
    return PlanAccepted(
        application_id=request.application_id, loan_id=request.loan_id, offer_id=offer.offer_id, option_id=option_id,
        confirmed_via=ConfirmationChannel.RECORDED_CALL, accepted_at=at,
    )  # fmt: skip


async def test_an_offer_is_activated_once_accepted_in_time(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    assert offer.event_type == "PlanOffered"
    assert offer.valid_until == CLOSED + timedelta(days=7)
    assert offer.recommended_option_id in {option.option_id for option in offer.options}
    [activated] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert activated.event_type == "PlanActivated"
    assert activated.total_payable == Money.of("1045.00", "CNY")
    # The same acceptance again activates nothing new.
    [again] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert again.event_type == "PlanRejected"
    assert again.reasons[0].code == "offer_accepted"


async def test_an_expired_offer_is_not_activated_and_says_why(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    late = CLOSED + timedelta(days=8)
    [refused] = await _handle(pool, _accept(request, offer, "arrears-3", late), handlers.when_plan_accepted_activate_it, now=late)
    assert refused.event_type == "PlanRejected"
    assert refused.offer_id == offer.offer_id
    assert refused.reasons[0].code == "offer_expired"


async def test_a_loan_that_changed_since_the_offer_is_quoted_again(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    # A payment brought the overdue amount down before the borrower confirmed.
    changed_fields = {**overdue.__dict__, "business_date": date(2026, 2, 19)}
    changed_fields["overdue"] = overdue.overdue.model_copy(
        update={"principal": Money.of("500.00", "CNY"), "total": Money.of("545.00", "CNY")}
    )
    changed = OverdueStatusChanged(**changed_fields, reasons=("payment_applied",), previous_bucket=overdue.bucket)
    await _handle(pool, changed, handlers.when_loan_overdue_project_it)
    [requoted] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert requoted.event_type == "PlanOffered"
    assert requoted.supersedes_offer_id == offer.offer_id
    assert requoted.options[0].total_payable == Money.of("545.00", "CNY")


async def test_an_offer_expires_when_a_business_day_closes_past_its_validity(pool: asyncpg.Pool) -> None:
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    within = BusinessDayClosed(business_date=date(2026, 2, 24), closed_at=CLOSED + timedelta(days=6))
    assert await _handle(pool, within, handlers.when_business_day_closed_expire_offers) == []
    past = BusinessDayClosed(business_date=date(2026, 2, 26), closed_at=CLOSED + timedelta(days=8))
    [expired] = await _handle(pool, past, handlers.when_business_day_closed_expire_offers)
    assert (expired.event_type, expired.offer_id, expired.expired_at) == ("OfferExpired", offer.offer_id, offer.valid_until)
    # Expired once: the next close says nothing more about it.
    later = BusinessDayClosed(business_date=date(2026, 2, 27), closed_at=CLOSED + timedelta(days=9))
    assert await _handle(pool, later, handlers.when_business_day_closed_expire_offers) == []
