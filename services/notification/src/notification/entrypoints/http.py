"""The contact log of a loan, for agents and support staff: every decision (sent, held until
when, suppressed by which rule) and every receipt; a one-time code in a message is masked
(application/deciding.py). It takes a service key granting read_contact_log
(tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from tideover_runtime.service import ServiceResources, query_api
from tideover_runtime.service_auth import REFUSALS, requires
from tideover_runtime.service_keys import Right

router = APIRouter()


@router.get("/v1/loans/{loan_id}/contact-log", dependencies=[requires(Right.READ_CONTACT_LOG)], responses=REFUSALS)
async def contact_log(loan_id: uuid.UUID, resources: ServiceResources) -> dict[str, Any]:
    rows = await resources.pool.fetch(
        """
        SELECT notification_id, purpose, channel, decision, rule, hold_until, template, subject, body, decided_at,
               receipt, receipt_reason, receipt_at
        FROM contact_log WHERE loan_id = $1 ORDER BY decided_at, id
        """,
        loan_id,
    )

    def instant(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "loan_id": str(loan_id),
        "entries": [
            {
                "notification_id": str(row["notification_id"]),
                "purpose": row["purpose"],
                "channel": row["channel"] or None,
                "decision": row["decision"],
                "rule": row["rule"],
                "held_until": instant(row["hold_until"]),
                "template": row["template"],
                "subject": row["subject"],
                "body": row["body"],
                "decided_at": instant(row["decided_at"]),
                "receipt": row["receipt"],
                "receipt_reason": row["receipt_reason"],
                "receipt_at": instant(row["receipt_at"]),
            }
            for row in rows
        ],
    }


add_routes = query_api(router)
