"""Read-only query API: a loan's overdue status as of the last closed business day."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from overdue_detection.adapters.loan_book import LoanBook
from tideover_runtime.http import problem
from tideover_runtime.service import Resources


def add_routes(app: FastAPI, resources: Callable[[], Resources]) -> None:
    @app.get("/v1/loans/{loan_id}/overdue-status", response_model=None)
    async def overdue_status(loan_id: uuid.UUID) -> dict[str, Any] | JSONResponse:
        async with resources().pool.acquire() as connection:
            book = LoanBook(connection)
            loan = await book.get(loan_id)
            if loan is None:
                return problem(404, "Unknown loan", f"no loan {loan_id} is booked here")
            remaining = await book.remaining_schedule(loan_id, loan.currency)
            payments = await connection.fetch(
                "SELECT payment_id, amount, value_date FROM repayments WHERE loan_id = $1 ORDER BY value_date DESC LIMIT 10",
                loan_id,
            )
            business_date = await book.last_business_date()
        return {
            "loan_id": str(loan_id),
            "as_of": business_date.isoformat() if business_date else None,
            "status": loan.status,
            "under_plan": loan.under_plan,
            "overdue": loan.overdue_since is not None,
            "overdue_since": loan.overdue_since.isoformat() if loan.overdue_since else None,
            "bucket": loan.bucket,
            "episode": loan.episode,
            "credit": {"amount": str(loan.credit), "currency": loan.currency},
            "remaining_schedule": [
                {"sequence": item.sequence, "due_date": item.due_date.isoformat(), "outstanding": owed.model_dump(mode="json")}
                for item, owed in remaining
            ],
            "last_payments": [
                {
                    "payment_id": row["payment_id"],
                    "amount": {"amount": str(row["amount"]), "currency": loan.currency},
                    "value_date": row["value_date"].isoformat(),
                }
                for row in payments
            ],
        }
