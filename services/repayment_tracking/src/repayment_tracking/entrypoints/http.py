"""The query API: a plan month by month (its plan part, the regular installments due in it, and
what the ledger last reported left on them), with the payments the ledger applied to it. Each
route takes a service key granting read_plans (tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from repayment_tracking.adapters.plan_reads import PlanDetails, PlanReads
from repayment_tracking.domain.plan_rules import Month, Rules, month_status
from tideover_runtime.http import problem
from tideover_runtime.service import Routes, ServiceResources, query_api
from tideover_runtime.service_auth import REFUSALS, requires
from tideover_runtime.service_keys import Right

READER = [requires(Right.READ_PLANS)]


router = APIRouter()


async def _rules(request: Request) -> Rules:
    """The plan rules the service was configured with (set on the app by `routes`)."""
    rules: Rules = request.app.state.rules
    return rules


PlanRules = Annotated[Rules, Depends(_rules)]


@router.get("/v1/plans/{plan_id}", dependencies=READER, responses=REFUSALS)
async def get_plan(plan_id: uuid.UUID, resources: ServiceResources, rules: PlanRules) -> JSONResponse:
    reads = PlanReads(resources.pool)
    plan = await reads.plan(plan_id)
    if plan is None:
        return problem(404, "Not found", f"no plan {plan_id}")
    [body] = await _plan_bodies(reads, [plan], rules)
    return JSONResponse(body)


@router.get("/v1/loans/{loan_id}/plans", dependencies=READER, responses=REFUSALS)
async def plans_of_loan(loan_id: uuid.UUID, resources: ServiceResources, rules: PlanRules) -> JSONResponse:
    reads = PlanReads(resources.pool)
    return JSONResponse({"loan_id": str(loan_id), "plans": await _plan_bodies(reads, await reads.of_loan(loan_id), rules)})


def routes(rules: Rules) -> Routes:
    """The routes behind the service-key door, judging each month's status by `rules`."""
    return query_api(router, rules=rules)


async def _plan_bodies(reads: PlanReads, plans: list[asyncpg.Record], rules: Rules) -> list[dict[str, Any]]:
    details = await reads.details(plans)
    return [_plan_body(plan, details[plan["plan_id"]], rules) for plan in plans]


def _plan_body(plan: asyncpg.Record, details: PlanDetails, rules: Rules) -> dict[str, Any]:
    currency, book, missed_on, payments = plan["currency"], details.book, details.missed_on, details.payments

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
