"""A payment holiday through plan-calculation on the real Postgres (DESIGN.md §4, issue 16): a
borrower with no income and verified unemployment proof is offered, and recommended, a holiday;
accepted, it is activated as a reschedule of the loan's whole remaining schedule (DESIGN.md §3a)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.ports import Plans
from tideover_contracts.envelope import Event, parse_message, wrap
from tideover_contracts.events.negotiation import (
    ConfirmationChannel,
    EvidenceKind,
    EvidenceRef,
    NegotiationRequested,
    OptionKind,
    PlanAccepted,
    PlanEffect,
)
from tideover_contracts.events.overdue import LoanBecameOverdue, OverdueStatusChanged
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
NO_INCOME = Money.of("0.00", "CNY")


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans") as pool:
        yield pool


async def _handle(pool: asyncpg.Pool, event: Event, handler: Any, now: datetime = CLOSED) -> list[Any]:
    """What plan-calculation published for `event`, handled as its consumer would on `now`."""
    clock = BusinessClock()
    clock.advance(now.date(), now)
    async with pool.acquire() as connection, connection.transaction():
        before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        unit = Unit(wrap(event, producer="test", occurred_at=now), "plan-calculation", clock, PostgresOutbox(connection))
        await handler(unit, Plans(PostgresPlanStore(connection), ChargeCaps()))
        rows = await connection.fetch("SELECT value FROM outbox WHERE id > $1 ORDER BY id", before)
    published = [parse_message(row["value"], PLANS_OFFERS.event_classes()) for row in rows]
    return [envelope.payload for envelope in published if envelope.causation_id == unit.envelope.event_id]


def _loan_and_request(evidence_kind: EvidenceKind) -> tuple[LoanBecameOverdue, NegotiationRequested]:
    """The golden overdue loan (1,045.31 overdue, two installments of 1,045.00 to come) and an
    unemployed borrower with no income at all and one verified document of `evidence_kind`."""
    events: dict[str, Any] = {type(event).__name__: event for event in golden_events()}
    loan_id = uuid.uuid4()
    overdue = events["LoanBecameOverdue"].model_copy(update={"loan_id": loan_id, "business_date": CLOSED.date()})
    golden = events["NegotiationRequested"]
    proof = EvidenceRef(document_id=uuid.uuid4(), kind=evidence_kind, sha256="0" * 64, verified=True)
    hardship = golden.hardship.model_copy(
        update={"monthly_income": NO_INCOME, "essential_expenses": NO_INCOME, "evidence": (proof,)}
    )
    request = golden.model_copy(update={"loan_id": loan_id, "application_id": uuid.uuid4(), "hardship": hardship, "basis": None})
    return overdue, request


def _accept(request: NegotiationRequested, offer: Any, option_id: str) -> PlanAccepted:
    return PlanAccepted(
        application_id=request.application_id,
        loan_id=request.loan_id,
        offer_id=offer.offer_id,
        option_id=option_id,
        confirmed_via=ConfirmationChannel.RECORDED_CALL,
        accepted_at=CLOSED + timedelta(days=1),
    )


async def test_a_borrower_with_no_income_and_verified_unemployment_is_offered_a_holiday(pool: asyncpg.Pool) -> None:
    overdue, request = _loan_and_request(EvidenceKind.UNEMPLOYMENT_PROOF)
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    assert offer.event_type == "PlanOffered"
    assert offer.disposable_income == NO_INCOME
    assert offer.recommended_option_id == "holiday-3"
    holiday = next(option for option in offer.options if option.option_id == "holiday-3")
    assert (holiday.kind, holiday.effect, holiday.affordable, holiday.needs_supervisor) == (
        OptionKind.TERM_EXTENSION,
        PlanEffect.RESCHEDULE,
        True,
        True,
    )
    assert holiday.waived.total == Money.of("0.00", "CNY")
    assert [line.total for line in holiday.schedule[:3]] == [Money.of("0.00", "CNY")] * 3
    assert all(line.total.amount > 0 for line in holiday.schedule[3:])
    assert [line.due_date for line in holiday.schedule[:4]] == [date(2026, m, 18) for m in (3, 4, 5, 6)]
    outstanding = sum((line.principal.amount for line in holiday.schedule), start=Decimal(0))
    assert outstanding == overdue.outstanding_principal.amount  # the whole outstanding principal, no more
    # Nothing but the holidays is affordable to a borrower with no income.
    assert {option.option_id for option in offer.options if option.affordable} == {
        "holiday-3",
        "holiday-3-extension-6",
        "holiday-3-extension-12",
        "holiday-3-extension-24",
    }
    assert "Payments resume on 2026-06-18" in holiday.explanation["en"]
    assert "推荐理由" in holiday.explanation["zh-CN"]

    [activated] = await _handle(pool, _accept(request, offer, "holiday-3"), handlers.when_plan_accepted_activate_it)
    assert activated.event_type == "PlanActivated"
    assert (activated.kind, activated.plan_effect) == (OptionKind.TERM_EXTENSION, PlanEffect.RESCHEDULE)
    assert activated.schedule == holiday.schedule
    assert activated.total_payable == holiday.total_payable
    assert activated.replaced_installments == (1, 2, 3)  # the loan's whole remaining schedule
    assert activated.continuing_installments == ()


async def test_without_proof_of_the_reason_there_is_no_holiday_and_nothing_is_affordable(pool: asyncpg.Pool) -> None:
    overdue, request = _loan_and_request(EvidenceKind.INCOME_PROOF)  # verified, but it proves no unemployment
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [rejected] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    assert rejected.event_type == "PlanRejected"
    assert [reason.code for reason in rejected.reasons] == ["unaffordable"]


async def test_a_holiday_offer_quoted_again_still_offers_the_holiday(pool: asyncpg.Pool) -> None:
    overdue, request = _loan_and_request(EvidenceKind.UNEMPLOYMENT_PROOF)
    await _handle(pool, overdue, handlers.when_loan_overdue_project_it)
    [offer] = await _handle(pool, request, handlers.when_negotiation_requested_offer_plans)
    # A payment (family help) halved the arrears before the borrower confirmed: a material change.
    changed_fields = {**overdue.__dict__, "business_date": date(2026, 2, 19)}
    changed_fields["overdue"] = overdue.overdue.model_copy(
        update={"principal": Money.of("500.00", "CNY"), "total": overdue.overdue.total - Money.of("500.00", "CNY")}
    )
    changed_fields["outstanding_principal"] = overdue.outstanding_principal - Money.of("500.00", "CNY")
    changed = OverdueStatusChanged(**changed_fields, reasons=("payment_applied",), previous_bucket=overdue.bucket)
    await _handle(pool, changed, handlers.when_loan_overdue_project_it)
    [requoted] = await _handle(pool, _accept(request, offer, "holiday-3"), handlers.when_plan_accepted_activate_it)
    assert requoted.event_type == "PlanOffered"
    assert requoted.supersedes_offer_id == offer.offer_id
    assert requoted.recommended_option_id == "holiday-3"
    holiday = next(option for option in requoted.options if option.option_id == "holiday-3")
    assert sum((line.principal.amount for line in holiday.schedule), start=Decimal(0)) == Decimal("2500.00")
