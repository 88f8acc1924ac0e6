"""Offers and activation on the real Postgres: an offer for a request, an expired offer refused
with a clear event, a loan that changed since the offer quoted again, a request priced on the
position it carries. test_one_plan_at_a_time.py: what a plan takes over, one plan at a time."""

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
from tideover_contracts.events.negotiation import ConfirmationChannel, PlanAccepted, PlanEffect
from tideover_contracts.events.overdue import LedgerPosition, LoanBecameOverdue, OverdueStatusChanged
from tideover_contracts.events.plans import ContinuingInstallment
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_contracts.topics import PLANS_OFFERS
from tideover_runtime.clock import BusinessClock
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "plan_calculation" / "migrations"
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
        unit = Unit(wrap(event, producer="test", occurred_at=now), "plan-calculation", clock, PostgresOutbox(connection))
        await handler(unit, Plans(PostgresPlanStore(connection), ChargeCaps()))
        rows = await connection.fetch("SELECT value FROM outbox WHERE id > $1 ORDER BY id", before)
    published = [parse_message(row["value"], PLANS_OFFERS.event_classes()) for row in rows]
    # Only what this event caused (a concurrent handler's rows may have been committed meanwhile).
    return [envelope.payload for envelope in published if envelope.causation_id == unit.envelope.event_id]


def _examples(loan_id: uuid.UUID) -> tuple[LoanBecameOverdue, Any]:
    events = {type(event).__name__: event for event in golden_events()}
    overdue = events["LoanBecameOverdue"].model_copy(update={"loan_id": loan_id, "business_date": CLOSED.date()})
    # Without the ledger's position: priced on the last status (test_a_request_is_priced_on_the_position_it_carries).
    request = events["NegotiationRequested"].model_copy(
        update={"loan_id": loan_id, "application_id": uuid.uuid4(), "basis": None}
    )
    return overdue, request


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def _restated(overdue: LoanBecameOverdue, day: date, reason: str, **amounts: Money) -> OverdueStatusChanged:
    """overdue-detection's status of the loan on `day`, for `reason`, with `amounts` changed."""
    fields = {**overdue.__dict__, "business_date": day, "overdue": overdue.overdue.model_copy(update=amounts)}
    return OverdueStatusChanged(**fields, reasons=(reason,), previous_bucket=overdue.bucket)


def _accept(request: Any, offer: Any, option_id: str, at: datetime) -> PlanAccepted:
    return PlanAccepted(
        application_id=request.application_id,
        loan_id=request.loan_id,
        offer_id=offer.offer_id,
        option_id=option_id,
        confirmed_via=ConfirmationChannel.RECORDED_CALL,
        accepted_at=at,
    )


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
    # An arrears plan (DESIGN.md §3a): installment 1 (due 15 Feb) is the arrears it re-dates;
    # 2 and 3 fall due during the plan (18 Mar to 18 May) and stay due beside it.
    assert (activated.effect, activated.basis_business_date) == (PlanEffect.ARREARS, CLOSED.date())
    assert activated.replaced_installments == (1,)
    assert activated.continuing_installments == (
        ContinuingInstallment(sequence=2, due_date=date(2026, 3, 15), amount=Money.of("1045.00", "CNY")),
        ContinuingInstallment(sequence=3, due_date=date(2026, 4, 15), amount=Money.of("1045.00", "CNY")),
    )
    assert {option.effect for option in offer.options} == {PlanEffect.ARREARS, PlanEffect.RESCHEDULE}
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
    changed = _restated(overdue, date(2026, 2, 19), "payment_applied", principal=cny("500.00"), total=cny("545.00"))
    await _handle(pool, changed, handlers.when_loan_overdue_project_it)
    [requoted] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert requoted.event_type == "PlanOffered"
    assert requoted.supersedes_offer_id == offer.offer_id
    assert requoted.options[0].total_payable == Money.of("545.00", "CNY")


async def test_penalty_accrued_since_the_quote_does_not_quote_again(pool: asyncpg.Pool) -> None:
    """The offer honours its quote (DESIGN.md §3a): a week's penalty is no material change; the
    plan activates as quoted (the ledger waives that penalty as `quote_honoured`)."""
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    accrued = cny("0.70")
    weekly = _restated(
        overdue, date(2026, 2, 25), "weekly", penalty=overdue.overdue.penalty + accrued, total=overdue.overdue.total + accrued
    )
    await _handle(pool, weekly, handlers.when_loan_overdue_project_it)
    [activated] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=1)), handlers.when_plan_accepted_activate_it
    )
    assert activated.event_type == "PlanActivated"
    assert activated.offer_id == offer.offer_id
    assert activated.total_payable == next(o for o in offer.options if o.option_id == "arrears-3").total_payable


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


def _golden(event_type: str) -> Any:
    return next(event for event in golden_events() if type(event).__name__ == event_type)


def _position_of(status: LoanBecameOverdue, day: date, **changes: Any) -> LedgerPosition:
    """The ledger's position of the loan on `day`, as overdue-detection serves it (GET …/position)."""
    return LedgerPosition(
        loan_id=status.loan_id,
        business_date=day,
        days_past_due=status.days_past_due,
        oldest_overdue_due_date=status.oldest_overdue_due_date,
        next_due_date=date(2026, 3, 15),
        overdue=status.overdue,
        outstanding_principal=status.outstanding_principal,
        contract_rate=status.contract_rate,
        overdue_rate=status.overdue_rate,
        under_plan=False,
        remaining_schedule=status.remaining_schedule,
        contact=status.contact,
    ).model_copy(update=changes)


async def test_a_request_is_priced_on_the_position_it_carries(pool: asyncpg.Pool) -> None:
    """DESIGN.md §3a: the offer's basis is the business date the request was submitted on — the
    ledger's position the request carries, not the last status plan-calculation heard (here six
    days older, with less penalty)."""
    overdue, request = _examples(uuid.uuid4())
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    today = CLOSED.date() + timedelta(days=6)
    penalty = cny("1.20")
    fresh = overdue.overdue.model_copy(update={"penalty": penalty, "total": overdue.overdue.total + penalty})
    [offer] = await _handle(
        pool,
        request.model_copy(update={"basis": _position_of(overdue, today, overdue=fresh)}),
        handlers.when_negotiation_requested_offer_plans,
    )
    assert offer.event_type == "PlanOffered"
    assert offer.basis_business_date == today
    arrears_3 = next(option for option in offer.options if option.option_id == "arrears-3")
    assert sum(line.total.amount for line in arrears_3.schedule) == fresh.total.amount
    assert arrears_3.schedule[0].due_date == date(2026, 3, 24)  # a month after the basis date
    # Accepted the next day: the status of the quote's day before is no material change.
    [activated] = await _handle(
        pool, _accept(request, offer, "arrears-3", CLOSED + timedelta(days=7)), handlers.when_plan_accepted_activate_it
    )
    assert (activated.event_type, activated.basis_business_date) == ("PlanActivated", today)


async def test_before_anything_is_overdue_a_request_is_offered_extensions_of_the_coming_installments(
    pool: asyncpg.Pool,
) -> None:
    """Early hardship (DESIGN.md §4): plan-calculation has heard of no overdue status; the
    request's position has nothing overdue and three installments to come."""
    overdue, request = _examples(uuid.uuid4())
    nothing = cny("0.00")
    zero = overdue.overdue.model_copy(update={"principal": nothing, "interest": nothing, "penalty": nothing, "total": nothing})
    basis = _position_of(
        overdue, date(2026, 2, 1), overdue=zero, days_past_due=0, oldest_overdue_due_date=None, next_due_date=date(2026, 2, 15)
    )
    [offer] = await _handle(pool, request.model_copy(update={"basis": basis}), handlers.when_negotiation_requested_offer_plans)
    assert offer.event_type == "PlanOffered"
    assert {option.effect for option in offer.options} == {PlanEffect.RESCHEDULE}
    assert all(option.waived.total.amount == 0 for option in offer.options)
    [activated] = await _handle(
        pool, _accept(request, offer, offer.recommended_option_id, CLOSED), handlers.when_plan_accepted_activate_it
    )
    assert activated.event_type == "PlanActivated"
    assert activated.replaced_installments == (1, 2, 3)
    assert sum(line.principal.amount for line in activated.schedule) == overdue.outstanding_principal.amount
