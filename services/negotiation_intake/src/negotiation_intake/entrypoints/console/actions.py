"""What the console's forms do: each POST checks the CSRF token and the agent's right, then runs
the API's own command through `changes.perform` (one transaction with its audit entry), and either
redirects to the page that shows the result or shows the refusal next to the field it concerns.
Here: signing in and out, the language, and an application's opening, evidence and submission;
the decisions on its offer are in console/decisions.py."""

from __future__ import annotations

import hashlib
import uuid

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from negotiation_intake.adapters import api_keys
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.domain.access import Right
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints import bodies, changes
from negotiation_intake.entrypoints.console import decisions
from negotiation_intake.entrypoints.console.forms import ConsoleState, act, after, may_be_a_key, refusal_errors, text, validated
from negotiation_intake.entrypoints.console.pages import loan_view, render_application, render_loan
from negotiation_intake.entrypoints.console.rendering import (
    PREFIX,
    Console,
    PageError,
    checked_form,
    page,
    see_other,
    set_language,
    signed_in,
    words,
)
from negotiation_intake.entrypoints.console.sessions import session_of
from negotiation_intake.entrypoints.console.status_message import OPENED
from tideover_contracts.events.negotiation import EvidenceKind

router = APIRouter(include_in_schema=False)


def add_actions(app: FastAPI, console: Console) -> None:
    """The forms' routes on the console's app, which keeps `console` for them."""
    app.state.console = console
    app.include_router(router)
    app.include_router(decisions.router)


@router.post("/sign-in")
async def sign_in(request: Request, console: ConsoleState) -> Response:
    form = await checked_form(request)
    presented = text(form, "api_key")
    agent = None
    if may_be_a_key(presented):
        async with console.resources().pool.acquire() as connection:
            agent = await api_keys.authenticate(connection, presented)
    if agent is None:
        return page(request, "sign_in.html", None, status=401, errors={"api_key": "error_unknown_key"})
    session_of(request).sign_in(agent.key_id)
    return see_other("/supervisor" if agent.role.value == "supervisor" else "/")


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    session_of(request).sign_out()  # the row goes: a copy of the cookie opens nothing
    return see_other("/sign-in")


@router.post("/language")
async def language(request: Request) -> Response:
    form = await checked_form(request)
    set_language(request, text(form, "lang"))
    back = text(form, "next")
    return see_other(back.removeprefix(PREFIX) if back.startswith(PREFIX + "/") and "//" not in back else "/")


@router.post("/loans/{loan_id}/applications")
async def open_application(loan_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    values = {name: text(form, name) for name in ("reason", "description", "monthly_income", "essential_expenses")}
    async with console.resources().pool.acquire() as connection:
        loan = await loan_view(PostgresIntakeStore(connection), loan_id)
    if loan is None:
        raise PageError(404, "error_not_found")
    currency = loan.snapshot.get("overdue", {}).get("total", {}).get("currency", "CNY")
    body = {
        "loan_id": str(loan_id),
        "hardship": {
            "reason": values["reason"],
            "description": values["description"],
            "monthly_income": {"amount": values["monthly_income"], "currency": currency},
            "essential_expenses": {"amount": values["essential_expenses"], "currency": currency},
        },
    }
    fields = {name: name for name in values}
    payload, errors = validated(bodies.ApplicationIn, body, fields)
    status = 422
    if payload is not None:
        outcome = await act(
            console,
            request,
            agent,
            "open_application",
            changes.opening(bodies.opening_command(payload)),
            None,
            form,
            asks_ledger=loan_id,
        )
        if outcome.status < 400 and outcome.application is not None:
            session_of(request).put_flash(OPENED)
            return see_other(f"/applications/{outcome.application.application_id}")
        # As the API refused it (409: another application open or a plan in force).
        status, errors = outcome.status, refusal_errors(outcome, words(request))
    return await render_loan(console, request, agent, loan_id, status=status, errors=errors, values=values)


@router.post("/applications/{application_id}/evidence")
async def upload(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    file, kind = form.get("file"), text(form, "kind")
    errors: dict[str, str] = {}
    if kind not in {item.value for item in EvidenceKind}:
        errors["kind"] = "error_choose"
    if not isinstance(file, UploadFile) or not file.filename:
        errors["file"] = "error_choose_file"
    if errors or not isinstance(file, UploadFile):
        return await render_application(console, request, agent, application_id, status=422, errors=errors)
    content = await file.read(MAX_BYTES + 1)
    digest = f"{kind}|{file.filename}|{hashlib.sha256(content).hexdigest()}".encode()
    handler = changes.uploading(EvidenceKind(kind), file.filename or "document", content)
    outcome = await act(console, request, agent, "upload_evidence", handler, application_id, form, digest)
    return await after(console, request, agent, application_id, outcome, {"kind": kind})


@router.post("/applications/{application_id}/evidence/{document_id}/review")
async def review(application_id: uuid.UUID, document_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    note = text(form, "note")
    body = {"verified": text(form, "verified") == "true", "note": note}
    payload, errors = validated(bodies.ReviewIn, body, {"note": f"note-{document_id}"})
    if payload is None:
        return await render_application(console, request, agent, application_id, status=422, errors=errors)
    handler = changes.reviewing(document_id, payload.verified, payload.note)
    outcome = await act(console, request, agent, "review_evidence", handler, application_id, form)
    return await after(console, request, agent, application_id, outcome, {f"note-{document_id}": note})


@router.post("/applications/{application_id}/submit")
async def submit(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    handler = changes.changing(changes.submitting)
    outcome = await act(console, request, agent, "submit", handler, application_id, form, asks_ledger="application")
    return await after(console, request, agent, application_id, outcome, {})
