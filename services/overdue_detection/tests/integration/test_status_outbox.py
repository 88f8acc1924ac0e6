"""The overdue.status.v1 events that Postgres renders (adapters/status_outbox.py) are the
contracts' events: they parse with libs/contracts and carry the ledger's numbers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from tideover_contracts.envelope import Event, parse_message, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.overdue import (
    CureReason,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RepaymentApplied,
)
from tideover_contracts.examples import contact_ref, loan_booked
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_contracts.topics import OVERDUE_STATUS
from tideover_runtime.clock import BusinessClock, record_business_day
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "overdue_detection" / "migrations"


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "status_outbox") as pool:
        yield pool


async def booked(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_loans_booked_record_them([unit], ctx)


async def repaid(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_repayments_received_apply_them([unit], ctx)


async def _handle(pool: asyncpg.Pool, event: Event, handler: Any) -> list[Any]:
    envelope = wrap(event, producer="test", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    async with pool.acquire() as connection, connection.transaction():
        before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        if isinstance(event, BusinessDayClosed):
            await record_business_day(connection, event)
        await handler(
            Unit(envelope, "overdue-detection", BusinessClock(), PostgresOutbox(connection)),
            Overdue(LoanBook(connection), ChargeCaps()),
        )
        rows = await connection.fetch(
            "SELECT value FROM outbox WHERE id > $1 AND topic = 'overdue.status.v1' ORDER BY id", before
        )
    return [parse_message(row["value"], OVERDUE_STATUS.event_classes()) for row in rows]


def _pay(loan_id: uuid.UUID, amount: str, on: date, hour: int = 9) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id,
        payment_id=f"P-{uuid.uuid4()}",
        amount=Money.of(amount, "CNY"),
        received_at=datetime(on.year, on.month, on.day, hour, tzinfo=UTC),
        value_date=on,
    )


async def test_rendered_events_parse_as_contracts_and_carry_the_ledger(pool: asyncpg.Pool) -> None:
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await _handle(pool, loan, booked)
    close = BusinessDayClosed(business_date=date(2026, 2, 18), closed_at=datetime(2026, 2, 18, 14, tzinfo=UTC))

    [became] = await _handle(pool, close, handlers.when_business_day_closed_settle_overdue)
    event = became.payload
    assert isinstance(event, LoanBecameOverdue)
    assert became.producer == "overdue-detection"
    assert became.causation_id is not None  # the close that caused it
    assert (event.episode, event.days_past_due, event.bucket.value) == (1, 3, "M1")
    # 3 days at 3.6% on 1,045.00: 1045 × 0.036 × 3 / 365 = 0.309 → 0.31
    assert event.overdue.penalty == Money.of("0.31", "CNY")
    assert event.overdue.total == Money.of("1045.31", "CNY")
    assert event.outstanding_principal == Money.of("3000.00", "CNY")
    assert [item.outstanding.amount for item in event.remaining_schedule] == [
        Decimal("1045.31"),
        Decimal("1045.00"),
        Decimal("1045.00"),
    ]
    assert event.remaining_schedule[0].installment == loan.installments[0]
    assert event.contract_rate == Decimal("0.0720")
    assert event.contact == contact_ref()
    assert not event.charges_cap_applied

    changed, applied = await _handle(pool, _pay(loan.loan_id, "45.31", date(2026, 2, 18)), repaid)
    assert isinstance(changed.payload, OverdueStatusChanged)
    # What the payment covered, as the ledger (the book of record) applied it (DESIGN.md §3a).
    assert isinstance(applied.payload, RepaymentApplied)
    [line] = applied.payload.covered
    assert (line.line.sequence, line.line.plan_id, line.line.due_date) == (1, None, date(2026, 2, 15))
    assert (line.penalty, line.interest, line.principal) == (
        Money.of("0.31", "CNY"),
        Money.of("45.00", "CNY"),
        Money.of("0", "CNY"),
    )
    assert line.left == Money.of("1000.00", "CNY")
    assert applied.payload.outstanding == Money.of("3090.00", "CNY")
    assert changed.payload.reasons == (OverdueChangeReason.PAYMENT_APPLIED,)
    assert changed.payload.previous_bucket.value == "M1"
    assert changed.payload.overdue.total == Money.of("1000.00", "CNY")  # penalty 0.31 and interest 45.00 paid first

    # Paid later the same day: applied after the first (payments of a day in the order they came),
    # so the first one's statement stands and only this one is told.
    cured, _ = await _handle(pool, _pay(loan.loan_id, "1000.00", date(2026, 2, 18), hour=15), repaid)
    assert isinstance(cured.payload, LoanCured)
    assert cured.payload.reason == CureReason.PAID
    assert cured.payload.outstanding_principal == Money.of("2000.00", "CNY")
