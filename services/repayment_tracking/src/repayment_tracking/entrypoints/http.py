"""The query API: a plan month by month (its plan part, the regular installments due in it, and
what the ledger last reported left on them), with the payments the ledger applied to it. Each
route takes a service key granting read_plans (tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from repayment_tracking.adapters.plans import PostgresPlans
from repayment_tracking.domain.plan_rules import Month, PlanBook, Rules, month_status
from tideover_runtime.http import problem
from tideover_runtime.service import Resources
from tideover_runtime.service_auth import REFUSALS, guard, requires
from tideover_runtime.service_keys import Right

READER = [requires(Right.READ_PLANS)]


def routes(rules: Rules) -> Callable[[FastAPI, Callable[[], Resources]], None]:
    """The routes, judging each month's status by the service's `rules`."""

    def add(app: FastAPI, resources: Callable[[], Resources]) -> None:
        add_routes(app, resources, rules)

    return add


def add_routes(app: FastAPI, resources: Callable[[], Resources], rules: Rules) -> None:
    guard(app, lambda: resources().pool)

    async def plan_bodies(plans: list[asyncpg.Record]) -> list[dict[str, Any]]:
        ids = [plan["plan_id"] for plan in plans]
        async with resources().pool.acquire() as connection:
            books = await PostgresPlans(connection).books(ids)
            missed_on = await connection.fetch(
                "SELECT plan_id, sequence, missed_on FROM plan_installments WHERE plan_id = ANY($1::uuid[])", ids
            )
            payments = await connection.fetch(
                """
                SELECT plan_id, payment_id, value_date, amount FROM plan_payments
                WHERE plan_id = ANY($1::uuid[]) ORDER BY value_date, payment_id
                """,
                ids,
            )
        missed = {(row["plan_id"], row["sequence"]): row["missed_on"] for row in missed_on}
        return [
            _plan_body(
                plan,
                books[plan["plan_id"]],
                {sequence: day for (plan_id, sequence), day in missed.items() if plan_id == plan["plan_id"]},
                [row for row in payments if row["plan_id"] == plan["plan_id"]],
                rules,
            )
            for plan in plans
        ]

    @app.get("/v1/plans/{plan_id}", dependencies=READER, responses=REFUSALS)
    async def get_plan(plan_id: uuid.UUID) -> JSONResponse:
        plan = await resources().pool.fetchrow("SELECT * FROM plans WHERE plan_id = $1", plan_id)
        if plan is None:
            return problem(404, "Not found", f"no plan {plan_id}")
        [body] = await plan_bodies([plan])
        return JSONResponse(body)

    @app.get("/v1/loans/{loan_id}/plans", dependencies=READER, responses=REFUSALS)
    async def plans_of_loan(loan_id: uuid.UUID) -> JSONResponse:
        rows = await resources().pool.fetch("SELECT * FROM plans WHERE loan_id = $1 ORDER BY activated_on, plan_id", loan_id)
        return JSONResponse({"loan_id": str(loan_id), "plans": await plan_bodies(list(rows))})


def _plan_body(
    plan: asyncpg.Record, book: PlanBook, missed_on: dict[int, date | None], payments: list[asyncpg.Record], rules: Rules
) -> dict[str, Any]:
    currency = plan["currency"]

    def money(amount: Decimal) -> dict[str, str]:
        return {"amount": str(amount), "currency": currency}

    left, paid_by_line = book.left_on(date.max), book.paid_on_lines()
    paid_by_payment: dict[str, Decimal] = {}
    for report in book.reports:
        paid_by_payment[report.payment_id] = paid_by_payment.get(report.payment_id, Decimal(0)) + report.paid

    def month_body(month: Month) -> dict[str, Any]:
        short = sum((left[line.ref] for line in month.lines), start=Decimal(0))
        day = missed_on.get(month.sequence)
        return {
            "sequence": month.sequence,
            "due_date": month.due_date.isoformat(),
            "amount": money(month.total),
            "plan_part": money(month.plan_line.amount),
            "regular_part": money(month.regular_part),
            "paid": money(sum((paid_by_line[line.ref] for line in month.lines), start=Decimal(0))),
            "left": money(short),
            "status": month_status(month, short, month.sequence in book.missed, rules, plan["closed_through"]).value,
            "missed_on": day.isoformat() if day else None,
            "lines": [
                {
                    "kind": line.ref.kind.value,
                    "sequence": line.ref.sequence,
                    "due_date": line.due_date.isoformat(),
                    "amount": money(line.amount),
                    "left": money(left[line.ref]),
                }
                for line in month.lines
            ],
        }

    return {
        "plan_id": str(plan["plan_id"]),
        "loan_id": str(plan["loan_id"]),
        "status": plan["status"],
        "effect": plan["effect"],
        "activated_on": plan["activated_on"].isoformat(),
        "ended_on": plan["ended_on"].isoformat() if plan["ended_on"] else None,
        "judged_through": plan["closed_through"].isoformat() if plan["closed_through"] else None,
        "installments": [month_body(month) for month in book.months],  # one per plan month
        "paid": money(book.paid()),
        "payments": [
            {
                "payment_id": row["payment_id"],
                "value_date": row["value_date"].isoformat(),
                "amount": money(row["amount"]),
                "on_plan": money(paid_by_payment.get(row["payment_id"], Decimal(0))),
            }
            for row in payments
        ],
    }
