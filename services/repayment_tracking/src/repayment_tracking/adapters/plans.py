"""Plans in Postgres (schema repayment_tracking)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import asyncpg

from repayment_tracking.application.ports import ActivePlan, PlanBook
from repayment_tracking.domain.plan_rules import Due, Payment
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_runtime.database import Connection


def _plan(row: asyncpg.Record) -> ActivePlan:
    return ActivePlan(
        row["plan_id"],
        row["loan_id"],
        row["currency"],
        WaivedAmounts.model_validate_json(row["conditional_waiver"]),
        row["activated_on"],
        row["closed_through"],
    )


class PostgresPlans:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, plan: PlanActivated) -> bool:
        inserted = await self._connection.fetchval(
            """
            INSERT INTO plans (plan_id, loan_id, currency, status, activated_on, conditional_waiver)
            VALUES ($1, $2, $3, 'active', $4, $5::jsonb) ON CONFLICT (plan_id) DO NOTHING RETURNING true
            """,
            plan.plan_id,
            plan.loan_id,
            plan.total_payable.currency,
            plan.activated_on,
            plan.conditional_waiver.model_dump_json(),
        )
        if inserted:
            await self._connection.executemany(
                "INSERT INTO plan_installments (plan_id, sequence, due_date, amount) VALUES ($1, $2, $3, $4)",
                [(plan.plan_id, line.sequence, line.due_date, line.total.amount) for line in plan.schedule],
            )
        return bool(inserted)

    async def active_for_loan(self, loan_id: uuid.UUID) -> ActivePlan | None:
        row = await self._connection.fetchrow("SELECT * FROM plans WHERE loan_id = $1 AND status = 'active' FOR UPDATE", loan_id)
        return _plan(row) if row else None

    async def active_plans(self) -> list[ActivePlan]:
        rows = await self._connection.fetch("SELECT * FROM plans WHERE status = 'active' ORDER BY plan_id FOR UPDATE")
        return [_plan(row) for row in rows]

    async def book(self, plan_id: uuid.UUID) -> PlanBook:
        dues = await self._connection.fetch(
            "SELECT sequence, due_date, amount, missed FROM plan_installments WHERE plan_id = $1 ORDER BY sequence", plan_id
        )
        payments = await self._connection.fetch(
            "SELECT payment_id, value_date, amount FROM plan_payments WHERE plan_id = $1 ORDER BY value_date, payment_id",
            plan_id,
        )
        return PlanBook(
            tuple(Due(row["sequence"], row["due_date"], row["amount"]) for row in dues),
            frozenset(row["sequence"] for row in dues if row["missed"]),
            tuple(Payment(row["payment_id"], row["value_date"], row["amount"]) for row in payments),
        )

    async def record_payment(self, plan_id: uuid.UUID, payment: RepaymentReceived) -> bool:
        """False for a payment seen before: each payment id is applied once."""
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO plan_payments (payment_id, plan_id, amount, value_date, received_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (payment_id) DO NOTHING RETURNING true
                """,
                payment.payment_id,
                plan_id,
                payment.amount.amount,
                payment.value_date,
                payment.received_at,
            )
        )

    async def set_paid(self, plan_id: uuid.UUID, paid: dict[int, Decimal], credit: Decimal) -> None:
        await self._connection.execute(
            """
            UPDATE plan_installments i SET paid = p.paid
            FROM unnest($2::int[], $3::numeric[]) AS p(sequence, paid)
            WHERE i.plan_id = $1 AND i.sequence = p.sequence
            """,
            plan_id,
            list(paid),
            list(paid.values()),
        )
        await self._connection.execute("UPDATE plans SET credit = $2 WHERE plan_id = $1", plan_id, credit)

    async def mark_missed(self, plan_id: uuid.UUID, missed: dict[int, date]) -> None:
        await self._connection.execute(
            """
            UPDATE plan_installments i SET missed = true, missed_on = m.day
            FROM unnest($2::int[], $3::date[]) AS m(sequence, day)
            WHERE i.plan_id = $1 AND i.sequence = m.sequence
            """,
            plan_id,
            list(missed),
            list(missed.values()),
        )

    async def set_status(self, plan_id: uuid.UUID, status: str, ended_on: date | None = None) -> None:
        await self._connection.execute(
            "UPDATE plans SET status = $2, ended_on = $3 WHERE plan_id = $1", plan_id, status, ended_on
        )

    async def set_closed_through(self, plan_id: uuid.UUID, day: date) -> None:
        await self._connection.execute("UPDATE plans SET closed_through = $2 WHERE plan_id = $1", plan_id, day)
