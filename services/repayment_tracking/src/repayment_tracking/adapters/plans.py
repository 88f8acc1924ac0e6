"""Plans in Postgres (schema repayment_tracking)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from decimal import Decimal

import asyncpg

from repayment_tracking.application.ports import ActivePlan, PlanBook
from repayment_tracking.domain.plan_rules import Due, Payment, Rules
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

    async def active_for_loans(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ActivePlan]:
        rows = await self._connection.fetch(
            "SELECT * FROM plans WHERE loan_id = ANY($1::uuid[]) AND status = 'active' ORDER BY plan_id FOR UPDATE",
            list(loan_ids),
        )
        return {row["loan_id"]: _plan(row) for row in rows}

    async def plans_to_judge(self, business_date: date, rules: Rules) -> list[ActivePlan]:
        """The active plans not judged through `business_date` in which something may happen by
        then: an installment past its grace short beyond the tolerance (a miss, or 30 days unpaid),
        an installment coming up to remind of, or a payment value-dated after the last day judged
        (it may change what earlier days saw). Every other plan only moves its closed day."""
        rows = await self._connection.fetch(
            """
            WITH open AS (
                SELECT * FROM plans
                WHERE status = 'active' AND coalesce(closed_through, activated_on - 1) < $1
            )
            SELECT * FROM open WHERE plan_id IN (
                SELECT i.plan_id FROM plan_installments i JOIN open USING (plan_id)
                WHERE (i.due_date + $2::int < $1 AND i.amount - i.paid > greatest(i.amount * $3, $4)
                       AND (NOT i.missed OR i.due_date + $5::int <= $1))
                   OR ((i.due_date - $1) = ANY($6::int[]) AND i.paid < i.amount)
                UNION
                SELECT pp.plan_id FROM plan_payments pp JOIN open USING (plan_id)
                WHERE pp.value_date > coalesce(open.closed_through, open.activated_on - 1)
            )
            ORDER BY plan_id FOR UPDATE
            """,
            business_date,
            rules.grace_days,
            rules.tolerance_share,
            rules.tolerance_floor,
            rules.unpaid_days_to_break,
            list(rules.reminder_days),
        )
        return [_plan(row) for row in rows]

    async def book(self, plan_id: uuid.UUID) -> PlanBook:
        return (await self.books([plan_id]))[plan_id]

    async def books(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanBook]:
        ids = list(plan_ids)
        dues = await self._connection.fetch(
            """
            SELECT plan_id, sequence, due_date, amount, missed FROM plan_installments
            WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, sequence
            """,
            ids,
        )
        payments = await self._connection.fetch(
            """
            SELECT plan_id, payment_id, value_date, amount FROM plan_payments
            WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, value_date, payment_id
            """,
            ids,
        )
        plan_dues: dict[uuid.UUID, list[Due]] = {plan_id: [] for plan_id in ids}
        plan_missed: dict[uuid.UUID, set[int]] = {plan_id: set() for plan_id in ids}
        plan_payments: dict[uuid.UUID, list[Payment]] = {plan_id: [] for plan_id in ids}
        for row in dues:
            plan_dues[row["plan_id"]].append(Due(row["sequence"], row["due_date"], row["amount"]))
            if row["missed"]:
                plan_missed[row["plan_id"]].add(row["sequence"])
        for row in payments:
            plan_payments[row["plan_id"]].append(Payment(row["payment_id"], row["value_date"], row["amount"]))
        return {
            plan_id: PlanBook(tuple(plan_dues[plan_id]), frozenset(plan_missed[plan_id]), tuple(plan_payments[plan_id]))
            for plan_id in ids
        }

    async def record_payments(self, payments: list[tuple[uuid.UUID, RepaymentReceived]]) -> set[str]:
        """The ids of the payments that are new: each payment id is applied once."""
        rows = await self._connection.fetch(
            """
            INSERT INTO plan_payments (payment_id, plan_id, amount, value_date, received_at)
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::numeric[], $4::date[], $5::timestamptz[])
            ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id
            """,
            [payment.payment_id for _, payment in payments],
            [plan_id for plan_id, _ in payments],
            [payment.amount.amount for _, payment in payments],
            [payment.value_date for _, payment in payments],
            [payment.received_at for _, payment in payments],
        )
        return {row["payment_id"] for row in rows}

    async def set_paid(self, paid: dict[uuid.UUID, tuple[dict[int, Decimal], Decimal]]) -> None:
        """Each plan's installments as filled, and its credit."""
        rows = [
            (plan_id, sequence, amount) for plan_id, (by_sequence, _) in paid.items() for sequence, amount in by_sequence.items()
        ]
        await self._connection.execute(
            """
            UPDATE plan_installments i SET paid = p.paid
            FROM unnest($1::uuid[], $2::int[], $3::numeric[]) AS p(plan_id, sequence, paid)
            WHERE i.plan_id = p.plan_id AND i.sequence = p.sequence
            """,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2] for row in rows],
        )
        await self._connection.execute(
            """
            UPDATE plans SET credit = c.credit FROM unnest($1::uuid[], $2::numeric[]) AS c(plan_id, credit)
            WHERE plans.plan_id = c.plan_id
            """,
            list(paid),
            [credit for _, credit in paid.values()],
        )

    async def mark_missed(self, missed: dict[uuid.UUID, dict[int, date]]) -> None:
        rows = [(plan_id, sequence, day) for plan_id, by_sequence in missed.items() for sequence, day in by_sequence.items()]
        if not rows:
            return
        await self._connection.execute(
            """
            UPDATE plan_installments i SET missed = true, missed_on = m.day
            FROM unnest($1::uuid[], $2::int[], $3::date[]) AS m(plan_id, sequence, day)
            WHERE i.plan_id = m.plan_id AND i.sequence = m.sequence
            """,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2] for row in rows],
        )

    async def end(self, ended: dict[uuid.UUID, date], status: str) -> None:
        """Plans completed or broken, on the day they ended."""
        if not ended:
            return
        await self._connection.execute(
            """
            UPDATE plans SET status = $3, ended_on = e.day FROM unnest($1::uuid[], $2::date[]) AS e(plan_id, day)
            WHERE plans.plan_id = e.plan_id
            """,
            list(ended),
            list(ended.values()),
            status,
        )

    async def close_all(self, business_date: date) -> None:
        """Every active plan is judged through `business_date` now."""
        await self._connection.execute(
            """
            UPDATE plans SET closed_through = $1
            WHERE status = 'active' AND coalesce(closed_through, activated_on - 1) < $1
            """,
            business_date,
        )
