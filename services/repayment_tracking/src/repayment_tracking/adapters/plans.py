"""Plans in Postgres (schema repayment_tracking)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from repayment_tracking.application.ports import ActivePlan
from repayment_tracking.domain.plan_rules import PlanInstallment
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_runtime.database import Connection


def _plan(row: asyncpg.Record) -> ActivePlan:
    return ActivePlan(
        row["plan_id"], row["loan_id"], row["currency"], WaivedAmounts.model_validate_json(row["conditional_waiver"])
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
        return [
            _plan(row) for row in await self._connection.fetch("SELECT * FROM plans WHERE status = 'active' ORDER BY plan_id")
        ]

    async def installments(self, plan_id: uuid.UUID) -> list[PlanInstallment]:
        rows = await self._connection.fetch(
            "SELECT sequence, due_date, amount, paid, missed FROM plan_installments WHERE plan_id = $1 ORDER BY sequence", plan_id
        )
        return [PlanInstallment(r["sequence"], r["due_date"], r["amount"], r["paid"], r["missed"]) for r in rows]

    async def record_payment(self, plan_id: uuid.UUID, payment: RepaymentReceived) -> bool:
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO plan_payments (payment_id, plan_id, amount, value_date) VALUES ($1, $2, $3, $4)
                ON CONFLICT (payment_id) DO NOTHING RETURNING true
                """,
                payment.payment_id,
                plan_id,
                payment.amount.amount,
                payment.value_date,
            )
        )

    async def pay(self, plan_id: uuid.UUID, sequence: int, amount: Decimal) -> None:
        await self._connection.execute(
            "UPDATE plan_installments SET paid = paid + $3 WHERE plan_id = $1 AND sequence = $2", plan_id, sequence, amount
        )

    async def add_credit(self, plan_id: uuid.UUID, amount: Decimal) -> None:
        await self._connection.execute("UPDATE plans SET credit = credit + $2 WHERE plan_id = $1", plan_id, amount)

    async def mark_missed(self, plan_id: uuid.UUID, sequence: int) -> None:
        await self._connection.execute(
            "UPDATE plan_installments SET missed = true WHERE plan_id = $1 AND sequence = $2", plan_id, sequence
        )

    async def set_status(self, plan_id: uuid.UUID, status: str) -> None:
        await self._connection.execute("UPDATE plans SET status = $2 WHERE plan_id = $1", plan_id, status)
