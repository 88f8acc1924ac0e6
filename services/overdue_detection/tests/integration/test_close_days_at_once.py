"""Closing several days at once (a business calendar's skipped days, or a missed day) and a
scheduler's catch-up (each date closed, `catching_up_to` the latest) settle exactly the ledger
that closing them one by one settles; what borrowers are told is decided once, on the latest day,
with its figures (DESIGN.md §6)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "overdue_detection" / "migrations"
START = date(2026, 2, 10)
LAST = date(2026, 4, 20)  # past two due dates and a bucket change (M1 → M2)
LOANS = [uuid.UUID(int=n) for n in range(1, 5)]
STATUSES = ("LoanBecameOverdue", "OverdueStatusChanged", "LoanCured")


@pytest.fixture
async def pools(infrastructure: Infrastructure) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool, asyncpg.Pool]]:
    async with (
        fresh_schema(infrastructure.database_url, MIGRATIONS, "one_by_one") as one_by_one,
        fresh_schema(infrastructure.database_url, MIGRATIONS, "at_once") as at_once,
        fresh_schema(infrastructure.database_url, MIGRATIONS, "catch_up") as catch_up,
    ):
        yield one_by_one, at_once, catch_up


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
            Unit(envelope, "overdue-detection", BusinessClock(), PostgresOutbox(connection)),
            Overdue(LoanBook(connection), ChargeCaps()),
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


def _close(day: date, catching_up_to: date | None = None) -> BusinessDayClosed:
    at = datetime(day.year, day.month, day.day, 14, tzinfo=UTC)
    return BusinessDayClosed(business_date=day, closed_at=at, catching_up_to=catching_up_to)


async def _ledger(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    installments = await pool.fetch(
        """
        SELECT loan_id, sequence, paid_principal, paid_interest, paid_penalty, penalty_basis, accrued_through
        FROM installments ORDER BY 1, 2
        """
    )
    return [tuple(row) for row in installments]


async def _told(pool: asyncpg.Pool) -> list[tuple[str, dict[str, Any]]]:
    rows = await pool.fetch("SELECT event_type, value FROM outbox ORDER BY event_id")
    return [(row["event_type"], json.loads(row["value"])["payload"]) for row in rows]


async def _episodes(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    rows = await pool.fetch("SELECT loan_id, episode, overdue_since, bucket FROM loans ORDER BY 1")
    return [tuple(row) for row in rows]


async def test_closing_days_at_once_settles_the_ledger_of_one_by_one_and_tells_the_latest_day_once(
    pools: tuple[asyncpg.Pool, asyncpg.Pool, asyncpg.Pool],
) -> None:
    one_by_one, at_once, catch_up = pools
    for pool in pools:
        await _book_and_pay(pool)
        await _handle(pool, _close(START), handlers.when_business_day_closed_settle_overdue)
    day = START
    while day < LAST:
        day += timedelta(days=1)
        await _handle(one_by_one, _close(day), handlers.when_business_day_closed_settle_overdue)
        await _handle(catch_up, _close(day, catching_up_to=LAST), handlers.when_business_day_closed_settle_overdue)
    await _handle(at_once, _close(LAST), handlers.when_business_day_closed_settle_overdue)  # 69 days in one go
    # A late, older day changes nothing any more.
    await _handle(at_once, _close(LAST - timedelta(days=3)), handlers.when_business_day_closed_settle_overdue)

    ledger = await _ledger(one_by_one)
    assert await _ledger(at_once) == ledger
    assert await _ledger(catch_up) == ledger
    told_at_once, told_in_catch_up = await _told(at_once), await _told(catch_up)
    assert told_in_catch_up == told_at_once
    assert await _episodes(catch_up) == await _episodes(at_once)
    # Told once, on the latest day, what is due then: every loan overdue since February, each
    # episode begun in between told as begun, with the latest figures.
    statuses = [
        (kind, payload)
        for kind, payload in told_at_once
        if kind in STATUSES and date.fromisoformat(payload["business_date"]) > START
    ]
    assert {payload["business_date"] for _, payload in statuses} == {LAST.isoformat()}
    assert sorted(kind for kind, _ in statuses) == ["LoanBecameOverdue"] * 4
    assert len({payload["loan_id"] for _, payload in statuses}) == 4
    async with one_by_one.acquire() as connection:  # the figures the day-by-day close reached then
        reached = {str(row["loan_id"]): row for row in await LoanBook(connection).positions(LAST)}
    for _, payload in statuses:
        row = reached[payload["loan_id"]]
        assert payload["days_past_due"] == (LAST - row["oldest_due"]).days
        owed = row["principal"] + row["interest"] + row["fee"] + row["penalty"]
        assert Decimal(payload["overdue"]["total"]["amount"]) == owed > 0
    one_by_one_told = await _told(one_by_one)
    # Day by day, each day was told on its day: begun, buckets changed, reminders on their days.
    kinds = [kind for kind, _ in one_by_one_told]
    assert kinds.count("LoanBecameOverdue") == 4
    assert "OverdueStatusChanged" in kinds
    assert "InstallmentDueSoon" in kinds
    assert not [
        kind for kind, payload in told_at_once if kind == "InstallmentDueSoon" and payload["business_date"] != LAST.isoformat()
    ]


async def _told_since(pool: asyncpg.Pool, seen: int) -> list[tuple[str, dict[str, Any]]]:
    """What was published after the first `seen` outbox rows, in order."""
    rows = await pool.fetch("SELECT event_type, value FROM outbox ORDER BY id OFFSET $1", seen)
    return [(row["event_type"], json.loads(row["value"])["payload"]) for row in rows]


async def _outbox_size(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox"))


async def test_what_a_catch_up_passes_is_told_once_at_its_latest_date_with_its_figures(
    pools: tuple[asyncpg.Pool, asyncpg.Pool, asyncpg.Pool],
) -> None:
    """A loan told overdue before the scheduler went down: its third day past due (a report day)
    passes in a catch-up, and a part payment arrives between two of its dates. In a later
    catch-up an installment's 3-day reminder day passes. Each is told once, at the catch-up's
    latest date with its figures (the payment when it comes, as a payment's own status) — nothing
    told stale, nothing lost; the 1-day reminder still goes on its own day."""
    pool = pools[0]
    loan_id = LOANS[0]
    await _handle(pool, loan_booked(loan_id=loan_id, booked_on=date(2026, 1, 15)), booked)
    for day in (date(2026, 2, 15), date(2026, 2, 16), date(2026, 2, 17)):  # told: begun on the 16th
        await _handle(pool, _close(day), handlers.when_business_day_closed_settle_overdue)
    seen = await _outbox_size(pool)
    latest = date(2026, 2, 21)
    for day in (date(2026, 2, 18), date(2026, 2, 19)):
        await _handle(pool, _close(day, catching_up_to=latest), handlers.when_business_day_closed_settle_overdue)
    part = RepaymentReceived(
        loan_id=loan_id,
        payment_id="P-part",
        amount=Money.of("100.00", "CNY"),
        received_at=datetime(2026, 2, 19, 12, tzinfo=UTC),
        value_date=date(2026, 2, 19),
    )
    await _handle(pool, part, repaid)
    for day in (date(2026, 2, 20), latest):
        await _handle(pool, _close(day, catching_up_to=latest), handlers.when_business_day_closed_settle_overdue)
    told_in_catch_up = await _told_since(pool, seen)
    async with pool.acquire() as connection:  # the ledger's figures at the latest date
        [row] = await LoanBook(connection).positions(latest, [loan_id])

    for day in (latest + timedelta(days=n) for n in range(1, 18)):  # to 10 March, told day by day
        await _handle(pool, _close(day), handlers.when_business_day_closed_settle_overdue)
    seen = await _outbox_size(pool)
    march = date(2026, 3, 13)  # the 3-day reminder of the 15 March installment falls on the 12th
    for day in (date(2026, 3, 11), date(2026, 3, 12), march):
        await _handle(pool, _close(day, catching_up_to=march), handlers.when_business_day_closed_settle_overdue)
    await _handle(pool, _close(march + timedelta(days=1)), handlers.when_business_day_closed_settle_overdue)
    reminded = [payload for kind, payload in await _told_since(pool, seen) if kind == "InstallmentDueSoon"]

    statuses = [(kind, payload) for kind, payload in told_in_catch_up if kind in STATUSES]
    # The payment is told when it comes (a payment's own status: no notice), the report day at the latest date.
    assert [(kind, payload["business_date"], payload["reasons"]) for kind, payload in statuses] == [
        ("OverdueStatusChanged", "2026-02-19", ["payment_applied"]),
        ("OverdueStatusChanged", "2026-02-21", ["weekly"]),
    ]
    last = statuses[-1][1]
    assert last["days_past_due"] == (latest - row["oldest_due"]).days == 6
    owed = row["principal"] + row["interest"] + row["fee"] + row["penalty"]
    assert Decimal(last["overdue"]["total"]["amount"]) == owed
    assert [(payload["due_date"], payload["days_before"], payload["business_date"]) for payload in reminded] == [
        ("2026-03-15", 2, "2026-03-13"),
        ("2026-03-15", 1, "2026-03-14"),
    ]
