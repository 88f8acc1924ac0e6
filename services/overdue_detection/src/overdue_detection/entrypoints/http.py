"""Read-only query API: a loan's overdue status as of the last closed business day, with its
components and its last payments — for the intake service and for support staff — or many
loans' at once (the console's work queue, application/overdue_status.py), and its position in
the ledger, the basis a hardship request is priced on. Each route takes a service
key granting read_ledger (tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application.overdue_status import OverdueStatus, overdue_statuses
from overdue_detection.application.queries import ClosedLoanError, ledger_position
from tideover_runtime.http import TOO_MANY_LOANS, LoanIds, problem, problem_response
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
    """The loan's overdue status at the last closed business day, its remaining schedule and its
    last payments."""
    async with resources.pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        book = LoanBook(connection)
        status = (await overdue_statuses(book, [loan_id])).get(loan_id)
        if status is None:
            return problem(404, "Unknown loan", f"no loan {loan_id} is booked here")
        remaining = (await book.remaining_schedules([loan_id])).get(loan_id, [])
        payments = await book.last_payments(loan_id)
    money = _money(status.loan.currency)
    return {
        **_figures(status),
        "remaining_schedule": [
            {"sequence": item.sequence, "due_date": item.due_date.isoformat(), "outstanding": money(owed)}
            for item, owed in remaining
        ],
        "last_payments": [
            {"payment_id": row["payment_id"], "amount": money(row["amount"]), "value_date": row["value_date"].isoformat()}
            for row in payments
        ],
    }


@router.get(
    "/v1/loans/overdue-statuses",
    response_model=None,
    dependencies=READER,
    responses={**REFUSALS, **TOO_MANY_LOANS},
)
async def overdue_statuses_of_many(loan_ids: LoanIds, resources: ServiceResources) -> dict[str, Any]:
    """Many loans' overdue status at once, as /v1/loans/{loan_id}/overdue-status says it without
    the schedule and payments (the console's work queue): `loans` in the order asked, `unknown`
    the ids not booked here. All of one snapshot of the book, as of one business day."""
    async with resources.pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        book = LoanBook(connection)
        statuses = await overdue_statuses(book, loan_ids)
        as_of = await book.last_business_date()
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "loans": [_figures(status) for status in statuses.values()],
        "unknown": [str(loan_id) for loan_id in dict.fromkeys(loan_ids) if loan_id not in statuses],
    }


add_routes = query_api(router)


def _money(currency: str) -> Callable[[Decimal], dict[str, str]]:
    def money(amount: Decimal) -> dict[str, str]:
        return {"amount": str(amount), "currency": currency}

    return money


def _figures(status: OverdueStatus) -> dict[str, Any]:
    """A loan's overdue figures as the overdue-status bodies (one loan or many) write them."""
    loan, money = status.loan, _money(status.loan.currency)
    return {
        "loan_id": str(loan.loan_id),
        "as_of": status.business_date.isoformat() if status.business_date else None,
        "status": "under_plan" if loan.under_plan else loan.status,
        "overdue": status.overdue,
        "episode": loan.episode,
        "days_past_due": status.days_past_due,
        "bucket": loan.bucket,
        "oldest_overdue_due_date": status.oldest_due.isoformat() if status.oldest_due else None,
        "overdue_amounts": {part: money(amount) for part, amount in status.amounts.items()},
        "charges_cap_applied": loan.policy.cap_binds,
        "penalty_rate": str(loan.policy.penalty_rate),
        "credit": money(loan.credit),
    }
