"""For agents and support staff: the contact log of a loan, every decision (sent, held until
when, suppressed by which rule) and every receipt, a one-time code in a message masked
(application/deciding.py); and its contact window, when the borrower may next be pressed for
payment (application/contact_window.py). Each has a batch form for many loans in one request
(the console's work queue, issue 20 finding 9); and what the borrower's page offers in *How we
contact you* (application/contact_choices.py). It takes a service key granting
read_contact_log (tideover_runtime.service_auth)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from notification.adapters.store import PostgresNotificationStore
from notification.adapters.templates import render
from notification.application.contact_choices import contact_choices
from notification.application.contact_window import contact_window, contact_windows
from notification.application.ports import Notifying
from notification.domain.contact_rules import PROFILES, Decision, Outcome, Profile
from tideover_contracts.common import Jurisdiction
from tideover_runtime.database import Connection
from tideover_runtime.http import TOO_MANY_LOANS, LoanIds, problem, problem_response
from tideover_runtime.service import Routes, ServiceResources, query_api
from tideover_runtime.service_auth import REFUSALS, requires
from tideover_runtime.service_keys import Right

router = APIRouter()
READER = [requires(Right.READ_CONTACT_LOG)]


@router.get("/v1/loans/{loan_id}/contact-log", dependencies=READER, responses=REFUSALS)
async def contact_log(loan_id: uuid.UUID, resources: ServiceResources) -> dict[str, Any]:
    async with resources.pool.acquire() as connection:
        logs = await _contact_logs(connection, [loan_id])
    return {"loan_id": str(loan_id), "entries": logs[loan_id]}


@router.get("/v1/loans/contact-logs", dependencies=READER, responses={**REFUSALS, **TOO_MANY_LOANS})
async def contact_logs(
    loan_ids: LoanIds,
    resources: ServiceResources,
    decision: Annotated[Outcome | None, Query(description="Only the entries of this decision")] = None,
    latest: Annotated[int, Query(ge=1, le=100, description="Each loan's newest entries at most")] = 20,
) -> dict[str, Any]:
    """Many loans' contact logs at once (the console's work queue asks for each loan's last
    message sent: decision=sent&latest=1): each loan's newest `latest` entries, oldest first as
    /v1/loans/{loan_id}/contact-log gives them, for every loan asked (none logged: no entries)."""
    async with resources.pool.acquire() as connection:
        logs = await _contact_logs(connection, loan_ids, decision, latest)
    return {"loans": [{"loan_id": str(loan_id), "entries": entries} for loan_id, entries in logs.items()]}


async def _contact_logs(
    connection: Connection, loan_ids: list[uuid.UUID], decision: Outcome | None = None, latest: int | None = None
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each loan's log entries (of `decision`, the newest `latest`), oldest first, by loan in the
    order asked; a code in a message is masked where it is kept (application/deciding.py)."""
    rows = await connection.fetch(
        """
        SELECT * FROM (
            SELECT loan_id, notification_id, purpose, channel, decision, rule, hold_until, template, subject, body,
                   decided_at, receipt, receipt_reason, receipt_at, id,
                   row_number() OVER (PARTITION BY loan_id ORDER BY decided_at DESC, id DESC) AS newest
            FROM contact_log WHERE loan_id = ANY($1::uuid[]) AND ($2::text IS NULL OR decision = $2)
        ) logged
        WHERE $3::int IS NULL OR newest <= $3
        ORDER BY decided_at, id
        """,
        loan_ids,
        decision.value if decision else None,
        latest,
    )
    logs: dict[uuid.UUID, list[dict[str, Any]]] = {loan_id: [] for loan_id in loan_ids}
    for row in rows:
        logs[row["loan_id"]].append(_entry(row))
    return logs


def _instant(value: Any) -> str | None:
    return value.isoformat() if value else None


def _entry(row: Any) -> dict[str, Any]:
    return {
        "notification_id": str(row["notification_id"]),
        "purpose": row["purpose"],
        "channel": row["channel"] or None,
        "decision": row["decision"],
        "rule": row["rule"],
        "held_until": _instant(row["hold_until"]),
        "template": row["template"],
        "subject": row["subject"],
        "body": row["body"],
        "decided_at": _instant(row["decided_at"]),
        "receipt": row["receipt"],
        "receipt_reason": row["receipt_reason"],
        "receipt_at": _instant(row["receipt_at"]),
    }


async def _profiles(request: Request) -> Mapping[Jurisdiction, Profile]:
    """The contact rules the service was configured with (set on the app by `routes`)."""
    profiles: Mapping[Jurisdiction, Profile] = request.app.state.profiles
    return profiles


Profiles = Annotated[Mapping[Jurisdiction, Profile], Depends(_profiles)]


@router.get(
    "/v1/loans/{loan_id}/contact-window",
    response_model=None,
    dependencies=READER,
    responses={**REFUSALS, 404: problem_response("No contact is known for the loan")},
)
async def window(loan_id: uuid.UUID, resources: ServiceResources, profiles: Profiles) -> dict[str, Any] | JSONResponse:
    """Whether the contact rules let the borrower be pressed for payment now (an overdue notice,
    the channel it would take), else from when and by which rule, or not at all and why."""
    now = resources.clock.now()
    async with resources.pool.acquire() as connection:
        notifying = Notifying(PostgresNotificationStore(connection), render, profiles)
        decision = await contact_window(notifying, loan_id, now)
    if decision is None:
        return problem(404, "Not found", f"no contact is known for loan {loan_id}")
    return {**_window(loan_id, decision), "at": now.isoformat()}


@router.get("/v1/loans/contact-windows", dependencies=READER, responses={**REFUSALS, **TOO_MANY_LOANS})
async def windows(loan_ids: LoanIds, resources: ServiceResources, profiles: Profiles) -> dict[str, Any]:
    """/v1/loans/{loan_id}/contact-window of many loans at once, all at one instant `at` (the
    console's work queue): `loans` in the order asked, `unknown` those whose contact is not known."""
    now = resources.clock.now()
    async with resources.pool.acquire() as connection:
        notifying = Notifying(PostgresNotificationStore(connection), render, profiles)
        decisions = await contact_windows(notifying, loan_ids, now)
    return {
        "at": now.isoformat(),
        "loans": [_window(loan_id, decision) for loan_id, decision in decisions.items()],
        "unknown": [str(loan_id) for loan_id in dict.fromkeys(loan_ids) if loan_id not in decisions],
    }


def _window(loan_id: uuid.UUID, decision: Decision) -> dict[str, Any]:
    return {
        "loan_id": str(loan_id),
        "outcome": decision.outcome.value,
        "channel": decision.channel.value if decision.channel else None,
        "until": decision.until.isoformat() if decision.until else None,
        "rule": decision.rule,
    }


@router.get(
    "/v1/loans/{loan_id}/contact-choices",
    response_model=None,
    dependencies=READER,
    responses={**REFUSALS, 404: problem_response("No contact is known for the loan")},
)
async def choices(loan_id: uuid.UUID, resources: ServiceResources, profiles: Profiles) -> dict[str, Any] | JSONResponse:
    """What the borrower's page offers in *How we contact you* (application/contact_choices.py):
    the legal window (`quiet_hours`, and the half-hour `slots` preferred hours may be chosen from),
    the channels allowed, those on file (masked), upstream's opt-outs and do-not-contact, the
    borrower's choice on the page so far, and whether a change code would reach them now."""
    async with resources.pool.acquire() as connection:
        notifying = Notifying(PostgresNotificationStore(connection), render, profiles)
        found = await contact_choices(notifying, loan_id, resources.clock.now())
    if found is None:
        return problem(404, "Not found", f"no contact is known for loan {loan_id}")
    chosen = found.chosen
    hours = chosen.hours if chosen else None
    return {
        "loan_id": str(loan_id),
        "jurisdiction": found.jurisdiction.value,
        "time_zone": found.time_zone,
        "quiet_hours": {"from": _hhmm(found.quiet_from), "until": _hhmm(found.quiet_until)},
        "slots": [_hhmm(slot) for slot in found.slots],
        "allowed_channels": [channel.value for channel in found.allowed_channels],
        "on_file": [{"channel": channel.value, "address": address} for channel, address in found.on_file],
        "upstream_opted_out": [channel.value for channel in found.upstream_opted_out],
        "do_not_contact": found.do_not_contact,
        "code_reaches": found.code_reaches,
        "chosen": None
        if chosen is None
        else {
            "preferred_channels": [channel.value for channel in chosen.preferred_channels],
            "opted_out_channels": [channel.value for channel in chosen.opted_out_channels],
            "preferred_hours": {"start": _hhmm(hours.start), "end": _hhmm(hours.end)} if hours else None,
            "chosen_at": chosen.chosen_at.isoformat(),
        },
    }


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def routes(profiles: Mapping[Jurisdiction, Profile] | None = None) -> Routes:
    """The contact log and the contact window behind the service-key door, by `profiles`."""
    return query_api(router, profiles=profiles or PROFILES)


add_routes = routes()
