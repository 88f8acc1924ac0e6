"""Read-only query API: a loan's overdue status as of the last closed business day, with its
components and its last payments — for the intake service and for support staff — and its
position in the ledger, the basis a hardship request is priced on. Each route takes a service
key granting read_ledger (tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application.queries import ClosedLoanError, ledger_position
from overdue_detection.domain.delinquency import shown_days_past_due
from overdue_detection.domain.loan import LoanRow
from tideover_runtime.http import problem, problem_response
from tideover_runtime.service import ServiceResources, query_api
from tideover_runtime.service_auth import REFUSALS, requires
from tideover_runtime.service_keys import Right

READER = [requires(Right.READ_LEDGER)]


router = APIRouter()


@router.get(
    "/v1/loans/{loan_id}/position",
    response_model=None,
    dependencies=READER,
    responses={**REFUSALS, 409: problem_response("The loan left the book: nothing to price a plan on")},
)
async def position(loan_id: uuid.UUID, resources: ServiceResources) -> dict[str, Any] | JSONResponse:
    """The loan's LedgerPosition (contracts) at the last closed business day."""
    async with resources.pool.acquire() as connection:
        try:
            # One snapshot: a close or a payment committing meanwhile is either all in or all out.
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                found = await ledger_position(LoanBook(connection), loan_id)
        except ClosedLoanError as closed:
            return problem(409, "Loan closed", str(closed))
    if found is None:
        return problem(404, "Unknown loan", f"no loan {loan_id} is booked here, or no business day was closed yet")
    return found.model_dump(mode="json")


@router.get("/v1/loans/{loan_id}/overdue-status", response_model=None, dependencies=READER, responses=REFUSALS)
async def overdue_status(loan_id: uuid.UUID, resources: ServiceResources) -> dict[str, Any] | JSONResponse:
    async with resources.pool.acquire() as connection:
        book = LoanBook(connection)
        loan = await book.get(loan_id)
        if loan is None:
            return problem(404, "Unknown loan", f"no loan {loan_id} is booked here")
        business_date = await book.last_business_date()
        positions = await book.positions(business_date, [loan_id], include_under_plan=True) if business_date else []
        remaining = (await book.remaining_schedules([loan_id])).get(loan_id, [])
        payments = await book.last_payments(loan_id)
        paused_since = await book.open_pause(loan_id) if loan.under_plan else None
    return _status(loan_id, loan, business_date, positions[0] if positions else {}, remaining, payments, paused_since)


add_routes = query_api(router)


def _status(
    loan_id: uuid.UUID,
    loan: LoanRow,
    business_date: date | None,
    position: Any,
    remaining: list[Any],
    payments: list[Any],
    paused_since: date | None,
) -> dict[str, Any]:
    """The overdue-status body: the loan's position at `business_date`, its schedule and payments."""

    def money(amount: Decimal) -> dict[str, str]:
        return {"amount": str(amount), "currency": loan.currency}

    oldest_due = position.get("oldest_due")
    overdue = business_date is not None and oldest_due is not None
    components = ("principal", "interest", "fee", "penalty")
    return {
        "loan_id": str(loan_id),
        "as_of": business_date.isoformat() if business_date else None,
        "status": "under_plan" if loan.under_plan else loan.status,
        "overdue": overdue,
        "episode": loan.episode,
        "days_past_due": shown_days_past_due(
            business_date, oldest_due, position.get("paused_days", 0), loan.overdue_since, paused_since
        ),
        "bucket": loan.bucket,
        "oldest_overdue_due_date": oldest_due.isoformat() if oldest_due else None,
        "overdue_amounts": {part: money(position[part] if overdue else Decimal(0)) for part in components},
        "charges_cap_applied": loan.policy.cap_binds,
        "penalty_rate": str(loan.policy.penalty_rate),
        "credit": money(loan.credit),
        "remaining_schedule": [
            {"sequence": item.sequence, "due_date": item.due_date.isoformat(), "outstanding": money(owed)}
            for item, owed in remaining
        ],
        "last_payments": [
            {"payment_id": row["payment_id"], "amount": money(row["amount"]), "value_date": row["value_date"].isoformat()}
            for row in payments
        ],
    }
