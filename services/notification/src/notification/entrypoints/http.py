"""For agents and support staff: the contact log of a loan, every decision (sent, held until
when, suppressed by which rule) and every receipt, a one-time code in a message masked
(application/deciding.py); and its contact window, when the borrower may next be pressed for
payment (application/contact_window.py). It takes a service key granting read_contact_log
(tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from notification.adapters.store import PostgresNotificationStore
from notification.adapters.templates import render
from notification.application.contact_window import contact_window
from notification.application.ports import Notifying
from notification.domain.contact_rules import PROFILES, Profile
from tideover_contracts.common import Jurisdiction
from tideover_runtime.http import problem, problem_response
from tideover_runtime.service import Routes, ServiceResources, query_api
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


def _profiles(request: Request) -> Mapping[Jurisdiction, Profile]:
    """The contact rules the service was configured with (set on the app by `routes`)."""
    profiles: Mapping[Jurisdiction, Profile] = request.app.state.profiles
    return profiles


@router.get(
    "/v1/loans/{loan_id}/contact-window",
    response_model=None,
    dependencies=[requires(Right.READ_CONTACT_LOG)],
    responses={**REFUSALS, 404: problem_response("No contact is known for the loan")},
)
async def window(
    loan_id: uuid.UUID, resources: ServiceResources, profiles: Annotated[Mapping[Jurisdiction, Profile], Depends(_profiles)]
) -> dict[str, Any] | JSONResponse:
    """Whether the contact rules let the borrower be pressed for payment now (an overdue notice,
    the channel it would take), else from when and by which rule, or not at all and why."""
    now = resources.clock.now()
    async with resources.pool.acquire() as connection:
        notifying = Notifying(PostgresNotificationStore(connection), render, profiles)
        decision = await contact_window(notifying, loan_id, now)
    if decision is None:
        return problem(404, "Not found", f"no contact is known for loan {loan_id}")
    return {
        "loan_id": str(loan_id),
        "at": now.isoformat(),
        "outcome": decision.outcome.value,
        "channel": decision.channel.value if decision.channel else None,
        "until": decision.until.isoformat() if decision.until else None,
        "rule": decision.rule,
    }


def routes(profiles: Mapping[Jurisdiction, Profile] | None = None) -> Routes:
    """The contact log and the contact window behind the service-key door, by `profiles`."""
    return query_api(router, profiles=profiles or PROFILES)


add_routes = routes()
