"""The contact log of a loan, for agents and support staff."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from tideover_runtime.service import Resources


def add_routes(app: FastAPI, resources: Callable[[], Resources]) -> None:
    @app.get("/v1/loans/{loan_id}/contact-log")
    async def contact_log(loan_id: uuid.UUID) -> dict[str, Any]:
        rows = await resources().pool.fetch(
            """
            SELECT notification_id, purpose, channel, decision, rule, decided_at, receipt, receipt_reason
            FROM contact_log WHERE loan_id = $1 ORDER BY decided_at
            """,
            loan_id,
        )
        return {
            "loan_id": str(loan_id),
            "entries": [
                {
                    "notification_id": str(row["notification_id"]),
                    "purpose": row["purpose"],
                    "channel": row["channel"],
                    "decision": row["decision"],
                    "rule": row["rule"],
                    "decided_at": row["decided_at"].isoformat(),
                    "receipt": row["receipt"],
                    "receipt_reason": row["receipt_reason"],
                }
                for row in rows
            ],
        }
