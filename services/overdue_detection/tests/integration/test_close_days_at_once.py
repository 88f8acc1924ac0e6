"""Closing several business days at once (or after a missed day) gives exactly the state and
the events that closing them one by one gives."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from tideover_contracts.envelope import Event, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.clock import BusinessClock, record_business_day
from tideover_runtime.consumer import Unit
from tideover_runtime.testing.database import fresh_schema
from tideover_runtime.testing.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
START = date(2026, 2, 10)
LAST = date(2026, 4, 20)  # past two due dates and a bucket change (M1 → M2)
LOANS = [uuid.UUID(int=n) for n in range(1, 5)]


@pytest.fixture
async def pools(infrastructure: Infrastructure) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    async with (
        fresh_schema(infrastructure.database_url, MIGRATIONS, "one_by_one") as one_by_one,
        fresh_schema(infrastructure.database_url, MIGRATIONS, "at_once") as at_once,
    ):
        yield one_by_one, at_once


async def booked(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_loans_booked_record_them([unit], ctx)


async def repaid(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_repayments_received_apply_them([unit], ctx)


async def _handle(pool: asyncpg.Pool, event: Event, handler: Any) -> None:
    envelope = wrap(event, producer="test", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))
    async with pool.acquire() as connection, connection.transaction():
        if isinstance(event, BusinessDayClosed):
            await record_business_day(connection, event)  # what the runtime does for every close
        await handler(
            Unit(connection, envelope, "overdue-detection", BusinessClock()), Overdue(LoanBook(connection), ChargeCaps())
        )


async def _book_and_pay(pool: asyncpg.Pool) -> None:
    for loan_id in LOANS:
        await _handle(pool, loan_booked(loan_id=loan_id, booked_on=date(2026, 1, 15)), booked)
    # Loan 2 paid its first installment on time; loan 3 paid part of it late, before the closes.
    for loan_id, amount, on in ((LOANS[1], "1045.00", date(2026, 2, 15)), (LOANS[2], "500.00", date(2026, 2, 20))):
        payment = RepaymentReceived(
            loan_id=loan_id,
            payment_id=f"P-{loan_id}",
            amount=Money.of(amount, "CNY"),
            received_at=datetime(2026, 2, 1, tzinfo=UTC),
            value_date=on,
        )
        await _handle(pool, payment, repaid)


def _close(day: date) -> BusinessDayClosed:
    return BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 14, tzinfo=UTC))


async def _snapshot(pool: asyncpg.Pool) -> tuple[Any, ...]:
    installments = await pool.fetch(
        """
        SELECT loan_id, sequence, paid_principal, paid_interest, paid_penalty, penalty_basis, accrued_through
        FROM installments ORDER BY 1, 2
        """
    )
    loans = await pool.fetch("SELECT loan_id, episode, overdue_since, bucket, last_reported_on FROM loans ORDER BY 1")
    events = await pool.fetch("SELECT event_id, event_type, value FROM outbox ORDER BY event_id")
    published = [(row["event_id"], row["event_type"], json.loads(row["value"])["payload"]) for row in events]
    return [tuple(row) for row in installments], [tuple(row) for row in loans], published


async def test_closing_days_at_once_equals_closing_them_one_by_one(pools: tuple[asyncpg.Pool, asyncpg.Pool]) -> None:
    one_by_one, at_once = pools
    for pool in pools:
        await _book_and_pay(pool)
        await _handle(pool, _close(START), handlers.when_business_day_closed_settle_overdue)
    day = START
    while day < LAST:
        day += timedelta(days=1)
        await _handle(one_by_one, _close(day), handlers.when_business_day_closed_settle_overdue)
    await _handle(at_once, _close(LAST), handlers.when_business_day_closed_settle_overdue)  # 69 days in one go
    # A late, older day changes nothing any more.
    await _handle(at_once, _close(LAST - timedelta(days=3)), handlers.when_business_day_closed_settle_overdue)

    expected, actual = await _snapshot(one_by_one), await _snapshot(at_once)
    assert actual == expected
    event_types = [event_type for _, event_type, _ in expected[2]]
    assert event_types.count("LoanBecameOverdue") == 4  # loans 1, 3, 4 from 02-16; loan 2 paid #1, missed #2
    assert "OverdueStatusChanged" in event_types
    assert "InstallmentDueSoon" in event_types
