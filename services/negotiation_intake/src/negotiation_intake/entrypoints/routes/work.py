"""The agents' work on an application: open it, add and review its evidence, submit it, record
the borrower's choice, send the written plan, confirm it on a recorded call, decline, withdraw."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.bodies import ApplicationIn, ChoiceIn, ConfirmationIn, ReasonIn, ReviewIn, opening_command
from negotiation_intake.entrypoints.changes import (
    choosing,
    confirming,
    declining,
    opening,
    reviewing,
    sending,
    submitting,
    uploading,
    withdrawing,
)
from negotiation_intake.entrypoints.routes.common import ERRORS, Asking, IdempotencyKey, IfMatch, Intake, Worker, run
from tideover_contracts.events.negotiation import ConfirmationChannel, EvidenceKind
from tideover_runtime.http import problem

router = APIRouter(responses=ERRORS)


@router.post("/v1/applications", status_code=201, tags=["applications"])
async def open_application(
    payload: ApplicationIn, request: Request, agent: Worker, resources: Intake, idempotency_key: IdempotencyKey = None
) -> Response:
    """Open a hardship application for an overdue loan (a draft until submitted); refused (409)
    while the loan has another application open or a plan in force."""
    handler = opening(opening_command(payload))
    return await run(
        resources,
        request,
        agent,
        "open_application",
        handler,
        idempotency_key=idempotency_key,
        asks_ledger=payload.loan_id,
    )


@router.post("/v1/applications/{application_id}/evidence", status_code=201, tags=["evidence"])
async def upload_evidence(
    application_id: uuid.UUID,
    request: Request,
    agent: Worker,
    resources: Intake,
    kind: Annotated[EvidenceKind, Form()],
    file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_BYTES} bytes")],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    """Add a document; its type is decided by its content, never by its name."""
    if file.filename and "\0" in file.filename:  # Postgres text cannot hold it
        return problem(
            422,
            "Invalid request",
            "file: the filename has a NUL character",
            errors=[{"field": "file", "message": "the filename has a NUL character"}],
        )
    content = await file.read(MAX_BYTES + 1)
    handler = uploading(kind, file.filename or "document", content)

    return await run(
        resources,
        request,
        agent,
        "upload_evidence",
        handler,
        idempotency_key=idempotency_key,
        application_id=application_id,
        if_match=if_match,
        body=f"{kind.value}|{file.filename}|{hashlib.sha256(content).hexdigest()}".encode(),
    )


@router.post("/v1/applications/{application_id}/evidence/{document_id}/review", tags=["evidence"])
async def review_evidence(
    application_id: uuid.UUID,
    document_id: uuid.UUID,
    payload: ReviewIn,
    asked: Asking,
) -> Response:
    """Verify or reject a document, with a note."""
    return await asked.run("review_evidence", reviewing(document_id, payload.verified, payload.note), application_id)


@router.post("/v1/applications/{application_id}/submit", tags=["applications"])
async def submit(application_id: uuid.UUID, asked: Asking) -> Response:
    """Submit for plans: publishes NegotiationRequested. Needs verified proof for the reasons that need it."""
    return await asked.change("submit", application_id, submitting, "application")


@router.post("/v1/applications/{application_id}/choice", tags=["decisions"])
async def choose(
    application_id: uuid.UUID,
    payload: ChoiceIn,
    asked: Asking,
) -> Response:
    """The borrower's choice of an option: publishes PlanOptionChosen; an option beyond the
    agent's authority waits in the supervisor queue."""
    return await asked.change("choose", application_id, choosing(payload.offer_id, payload.option_id))


@router.post("/v1/applications/{application_id}/sending", tags=["decisions"])
async def send_written_plan(application_id: uuid.UUID, asked: Asking) -> Response:
    """Send the written plan and a fresh one-time code to the borrower (PlanSentToBorrower)."""
    return await asked.change("send_written_plan", application_id, sending)


@router.post("/v1/applications/{application_id}/confirmation", tags=["decisions"])
async def confirm_on_recorded_call(
    application_id: uuid.UUID,
    payload: ConfirmationIn,
    asked: Asking,
) -> Response:
    """The code the borrower read out on a recorded call: the right one publishes PlanAccepted."""
    via = ConfirmationChannel.RECORDED_CALL
    return await asked.run(f"confirm_via_{via.value}", confirming(payload.code, via), application_id, secret_in_body=True)


@router.post("/v1/applications/{application_id}/decline", tags=["decisions"])
async def decline(
    application_id: uuid.UUID,
    payload: ReasonIn,
    asked: Asking,
) -> Response:
    """The borrower refuses the plan: publishes PlanDeclined."""
    return await asked.change("decline", application_id, declining(payload.reason))


@router.post("/v1/applications/{application_id}/withdrawal", tags=["applications"])
async def withdraw(
    application_id: uuid.UUID,
    payload: ReasonIn,
    asked: Asking,
) -> Response:
    """Withdraw the application: publishes NegotiationWithdrawn."""
    return await asked.change("withdraw", application_id, withdrawing(payload.reason))
