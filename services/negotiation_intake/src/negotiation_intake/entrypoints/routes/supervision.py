"""The supervisors' routes (their queue, approvals, the audit log and the refused requests) and
the borrower's own confirmation, where the one-time code is the credential."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from negotiation_intake.adapters import audit, refusals
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_limits import client_subject
from negotiation_intake.entrypoints.bodies import ApprovalIn, BorrowerConfirmationIn
from negotiation_intake.entrypoints.borrower import borrower_of, confirming_by_borrower
from negotiation_intake.entrypoints.changes import Change, deciding, perform
from negotiation_intake.entrypoints.routes.common import (
    ERRORS,
    ApplicationsAfter,
    Approver,
    AuditAfter,
    Auditor,
    IdempotencyKey,
    IfMatch,
    Intake,
    Limit,
    RefusalsAfter,
    applications_page,
    change_application,
    page_body,
)
from tideover_runtime.http import problem_response

router = APIRouter(responses=ERRORS)

#: The borrower's endpoint answers only these (a 422 alike for every refusal, and no 401/403).
BORROWER_ANSWERS: dict[int | str, dict[str, Any]] = {
    422: problem_response(
        "Invalid input naming the field (`errors`), a reused Idempotency-Key, or (`rule` `confirmation_code`) "
        "the code confirms nothing, for whatever reason"
    ),
    429: {
        **problem_response(
            "Too many refused tries for the application or from the client (`rule`); try again after `Retry-After` seconds"
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


@router.get("/v1/supervisor-queue", tags=["supervisor"])
async def supervisor_queue(_: Approver, resources: Intake, limit: Limit = 50, after: ApplicationsAfter = None) -> Response:
    """Chosen options beyond an agent's authority, oldest first."""
    return await applications_page(resources, State.AWAITING_APPROVAL, limit, after)


@router.post("/v1/applications/{application_id}/approval", tags=["supervisor"])
async def decide_approval(
    application_id: uuid.UUID,
    payload: ApprovalIn,
    request: Request,
    agent: Approver,
    resources: Intake,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Approve the option beyond the agent's authority — a deeper waiver, a payment holiday — (the plan
    may then be sent) or refuse it (the borrower chooses again)."""
    action = "approve" if payload.approved else "refuse_approval"
    mutate = deciding(payload.approved, payload.note)
    return await change_application(resources, request, agent, action, application_id, idempotency_key, if_match, mutate)


@router.get("/v1/audit", tags=["supervisor"])
async def audit_log(
    _: Auditor, resources: Intake, application_id: uuid.UUID | None = None, limit: Limit = 50, after: AuditAfter = None
) -> Response:
    """Every mutating request: who, when, what, and the application before and after."""
    async with resources().pool.acquire() as connection:
        page = await audit.entries(connection, application_id, limit, after)
    return JSONResponse(page_body(page, lambda entry: entry))


@router.get("/v1/audit/refusals", tags=["supervisor"])
async def refused_requests(_: Auditor, resources: Intake, limit: Limit = 50, after: RefusalsAfter = None) -> Response:
    """Requests refused before they changed anything (no or an unknown key, a role without the right,
    invalid input, too large a body, nothing by that id, a server error), oldest first: when, the
    status and reason, the method and path, the caller if known and the client's address. At most
    10 a minute from one caller and 60 a minute from unauthenticated callers in all are kept; a row
    with `dropped` counts the rest. Kept 90 days."""
    async with resources().pool.acquire() as connection:
        page = await refusals.entries(connection, limit, after)
    return JSONResponse(page_body(page, lambda entry: entry))


@router.post("/v1/borrower/confirmations", tags=["borrower"], responses=BORROWER_ANSWERS)
async def confirm_by_borrower(
    payload: BorrowerConfirmationIn, request: Request, resources: Intake, idempotency_key: IdempotencyKey = None
) -> Response:
    """The borrower confirms the written plan with the one-time code (no API key: the code is
    the credential; 5 wrong tries lock it). Every refusal is the same 422, whatever the
    reason; refused tries are limited per application and per client address (429, an IPv6
    client by its /64). The Idempotency-Key's fingerprint is keyed with the server's secret: the
    body holds the code."""
    client = client_subject(request.client.host if request.client else "unknown")
    change = Change(
        borrower_of(payload.application_id),
        "confirm_via_borrower_confirm_endpoint",
        confirming_by_borrower(payload.application_id, payload.code, client),
        method=request.method,
        path=request.url.path,
        body=await request.body(),
        idempotency_key=idempotency_key,
        secret_in_body=True,
    )
    outcome = await perform(resources, change)
    # No ETag, nothing of the application: the caller has proven nothing unless accepted.
    if outcome.status < 400:
        return JSONResponse(outcome.body)
    retry = {"Retry-After": str(outcome.body["retry_after"])} if outcome.status == 429 else None
    return JSONResponse(outcome.body, outcome.status, headers=retry, media_type="application/problem+json")
