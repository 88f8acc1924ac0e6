"""Journeys of a loan under a plan, handled as the service handles them on the real Postgres:
shared by test_plans_in_the_ledger.py and test_plans_read_out_of_order.py."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from overdue_detection.adapters.ledger_sql import OWED
from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from tideover_contracts.common import PlanInstallmentLine, WaivedAmounts
from tideover_contracts.envelope import Event, parse_message, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanCompleted
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_contracts.topics import OVERDUE_STATUS
from tideover_runtime.clock import BusinessClock, record_business_day
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "overdue_detection" / "migrations"
D = Decimal


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


async def _booked(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_loans_booked_record_them([unit], ctx)


async def _repaid(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_repayments_received_apply_them([unit], ctx)


HANDLERS: dict[str, Any] = {
    "LoanBooked": _booked,
    "RepaymentReceived": _repaid,
    "BusinessDayClosed": handlers.when_business_day_closed_settle_overdue,
    "PlanActivated": handlers.when_plan_activated_apply_it,
    "PlanBroken": handlers.when_plan_broken_resume_clock,
    "PlanCompleted": handlers.when_plan_completed_cure_loan,
}


async def handle(pool: asyncpg.Pool, event: Event) -> list[Any]:
    envelope = wrap(event, producer="test", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    async with pool.acquire() as connection, connection.transaction():
        before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        if isinstance(event, BusinessDayClosed):
            await record_business_day(connection, event)
        unit = Unit(envelope, "overdue-detection", BusinessClock(), PostgresOutbox(connection))
        await HANDLERS[event.event_type](unit, Overdue(LoanBook(connection), ChargeCaps()))
        rows = await connection.fetch(
            "SELECT value FROM outbox WHERE id > $1 AND topic = 'overdue.status.v1' ORDER BY id", before
        )
    return [parse_message(row["value"], OVERDUE_STATUS.event_classes()).payload for row in rows]


def close(day: date) -> BusinessDayClosed:
    return BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


def pay(loan_id: uuid.UUID, amount: str, on: date) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id,
        payment_id=f"P-{uuid.uuid4()}",
        amount=cny(amount),
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        value_date=on,
    )


def arrears_plan(loan_id: uuid.UUID) -> PlanActivated:
    """The arrears of 18 Feb (installment 1: 1,000.00 + 45.00, penalty 0.31 waived) over three months."""
    parts = [("333.33", "15.00"), ("333.33", "15.00"), ("333.34", "15.00")]
    schedule = tuple(
        PlanInstallmentLine(
            sequence=n,
            due_date=date(2026, 2 + n, 18),
            principal=cny(p),
            interest=cny(i),
            penalty=cny("0.00"),
            fee=cny("0.00"),
            total=cny(str(D(p) + D(i))),
        )
        for n, (p, i) in enumerate(parts, start=1)
    )
    waiver = WaivedAmounts(penalty=cny("0.31"), interest=cny("0.00"), fee=cny("0.00"), total=cny("0.31"))
    return PlanActivated(
        plan_id=uuid.uuid4(),
        offer_id=uuid.uuid4(),
        option_id="waiver-arrears-3",
        application_id=uuid.uuid4(),
        loan_id=loan_id,
        kind=OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS,
        activated_on=date(2026, 2, 19),
        schedule=schedule,
        total_payable=cny("1045.00"),
        conditional_waiver=waiver,
        effect=PlanEffect.ARREARS,
        basis_business_date=date(2026, 2, 18),
        replaced_installments=(1,),
    )


async def under_an_arrears_plan(pool: asyncpg.Pool) -> tuple[LoanBooked, PlanActivated]:
    """A loan of 3 × (1,000.00 + 45.00) from 15 Feb, overdue on 18 Feb, under `arrears_plan` since 19 Feb."""
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await handle(pool, loan)
    await handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)
    await handle(pool, plan)
    return loan, plan


def completed(plan: PlanActivated) -> PlanCompleted:
    return PlanCompleted(
        plan_id=plan.plan_id,
        loan_id=plan.loan_id,
        completed_on=date(2026, 5, 18),
        total_paid=cny("1045.00"),
        final_waiver=plan.conditional_waiver,
    )


async def lines(pool: asyncpg.Pool, loan_id: uuid.UUID) -> dict[int, asyncpg.Record]:
    rows = await pool.fetch(
        f"SELECT i.*, {OWED} AS owed FROM installments i JOIN loans l USING (loan_id) WHERE loan_id = $1 ORDER BY sequence",
        loan_id,
    )
    return {row["sequence"]: row for row in rows}


async def balanced(pool: asyncpg.Pool, loan_id: uuid.UUID) -> None:
    """charged = paid + waived + written off + rescheduled + owed, per line and component, and
    every payment is on the lines or kept as credit (DESIGN.md §3a)."""
    for row in (await lines(pool, loan_id)).values():
        for part in ("principal", "interest", "fee"):
            settled = sum(row.get(f"{prefix}_{part}") or 0 for prefix in ("paid", "waived", "written_off", "rescheduled"))
            assert 0 <= settled <= row[part], (row["sequence"], part)
    paid = await pool.fetchval(
        "SELECT sum(paid_principal + paid_interest + paid_fee + paid_penalty) FROM installments WHERE loan_id = $1", loan_id
    )
    received = await pool.fetchval("SELECT coalesce(sum(amount), 0) FROM repayments WHERE loan_id = $1", loan_id)
    credit = await pool.fetchval("SELECT credit FROM loans WHERE loan_id = $1", loan_id)
    assert paid + credit == received
