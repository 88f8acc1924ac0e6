"""The query API: a plan with its schedule, the status of each installment and the payments applied."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tideover_runtime.http import problem
from tideover_runtime.service import Resources


def add_routes(app: FastAPI, resources: Callable[[], Resources]) -> None:
    async def plan_body(plan: Any) -> dict[str, Any]:
        pool = resources().pool
        currency = plan["currency"]

        def money(amount: Any) -> dict[str, str]:
            return {"amount": str(amount), "currency": currency}

        installments = await pool.fetch(
            """
            SELECT sequence, due_date, amount, paid, missed, missed_on FROM plan_installments
            WHERE plan_id = $1 ORDER BY sequence
            """,
            plan["plan_id"],
        )
        payments = await pool.fetch(
            "SELECT payment_id, value_date, amount FROM plan_payments WHERE plan_id = $1 ORDER BY value_date, payment_id",
            plan["plan_id"],
        )

        def status(row: Any) -> str:
            if row["paid"] == row["amount"]:
                return "paid"
            if row["missed"]:
                return "missed"
            return "partly_paid" if row["paid"] > 0 else "due"

        return {
            "plan_id": str(plan["plan_id"]),
            "loan_id": str(plan["loan_id"]),
            "status": plan["status"],
            "activated_on": plan["activated_on"].isoformat(),
            "ended_on": plan["ended_on"].isoformat() if plan["ended_on"] else None,
            "judged_through": plan["closed_through"].isoformat() if plan["closed_through"] else None,
            "credit": money(plan["credit"]),
            "installments": [
                {
                    "sequence": row["sequence"],
                    "due_date": row["due_date"].isoformat(),
                    "amount": money(row["amount"]),
                    "paid": money(row["paid"]),
                    "status": status(row),
                    "missed_on": row["missed_on"].isoformat() if row["missed_on"] else None,
                }
                for row in installments
            ],
            "payments": [
                {"payment_id": row["payment_id"], "value_date": row["value_date"].isoformat(), "amount": money(row["amount"])}
                for row in payments
            ],
        }

    @app.get("/v1/plans/{plan_id}")
    async def get_plan(plan_id: uuid.UUID) -> JSONResponse:
        plan = await resources().pool.fetchrow("SELECT * FROM plans WHERE plan_id = $1", plan_id)
        if plan is None:
            return problem(404, "Not found", f"no plan {plan_id}")
        return JSONResponse(await plan_body(plan))

    @app.get("/v1/loans/{loan_id}/plans")
    async def plans_of_loan(loan_id: uuid.UUID) -> JSONResponse:
        rows = await resources().pool.fetch("SELECT * FROM plans WHERE loan_id = $1 ORDER BY activated_on, plan_id", loan_id)
        return JSONResponse({"loan_id": str(loan_id), "plans": [await plan_body(row) for row in rows]})
