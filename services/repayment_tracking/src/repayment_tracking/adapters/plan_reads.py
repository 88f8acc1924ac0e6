"""What the query API reads of the plans (entrypoints/http.py): the plans themselves, and for
each its book (adapters/plans.py), the days its months were missed and the payments applied."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from repayment_tracking.adapters.plans import PostgresPlans
from repayment_tracking.domain.plan_rules import PlanBook


@dataclass(frozen=True)
class PlanDetails:
    book: PlanBook
    missed_on: dict[int, date | None]
    payments: list[asyncpg.Record]  # payment_id, value_date, amount, in value-date order


class PlanReads:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def plan(self, plan_id: uuid.UUID) -> asyncpg.Record | None:
        return await self._pool.fetchrow("SELECT * FROM plans WHERE plan_id = $1", plan_id)

    async def of_loan(self, loan_id: uuid.UUID) -> list[asyncpg.Record]:
        return list(await self._pool.fetch("SELECT * FROM plans WHERE loan_id = $1 ORDER BY activated_on, plan_id", loan_id))

    async def details(self, plans: Sequence[asyncpg.Record]) -> dict[uuid.UUID, PlanDetails]:
        ids = [plan["plan_id"] for plan in plans]
        async with self._pool.acquire() as connection:
            books = await PostgresPlans(connection).books(ids)
            missed = await connection.fetch(
                "SELECT plan_id, sequence, missed_on FROM plan_installments WHERE plan_id = ANY($1::uuid[])", ids
            )
            payments = await connection.fetch(
                """
                SELECT plan_id, payment_id, value_date, amount FROM plan_payments
                WHERE plan_id = ANY($1::uuid[]) ORDER BY value_date, payment_id
                """,
                ids,
            )
        return {
            plan_id: PlanDetails(
                books[plan_id],
                {row["sequence"]: row["missed_on"] for row in missed if row["plan_id"] == plan_id},
                [row for row in payments if row["plan_id"] == plan_id],
            )
            for plan_id in ids
        }
