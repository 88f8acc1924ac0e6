"""The console's forms for the decisions on an offer: the borrower's choice, the written plan
sent and confirmed on a recorded call, a refused plan or a withdrawal, and a supervisor's
approval (routes added by console/actions.py add_actions)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from negotiation_intake.domain.access import Right
from negotiation_intake.entrypoints import bodies, changes
from negotiation_intake.entrypoints.console.forms import ConsoleState, act, after, refusal_errors, text, validated
from negotiation_intake.entrypoints.console.pages import render_application
from negotiation_intake.entrypoints.console.rendering import Console, checked_form, page, see_other, signed_in
from negotiation_intake.entrypoints.console.sessions import session_of
from tideover_contracts.events.negotiation import ConfirmationChannel

router = APIRouter(include_in_schema=False)


@router.post("/applications/{application_id}/choice")
async def choose(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    body = {"offer_id": text(form, "offer_id"), "option_id": text(form, "option_id")}
    payload, errors = validated(bodies.ChoiceIn, body, {})
    if payload is None:
        return await render_application(console, request, agent, application_id, status=422, errors=errors)
    handler = changes.changing(changes.choosing(payload.offer_id, payload.option_id))
    outcome = await act(console, request, agent, "choose", handler, application_id, form)
    return await after(console, request, agent, application_id, outcome, {})


@router.post("/applications/{application_id}/sending")
async def send(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    handler = changes.changing(changes.sending)
    outcome = await act(console, request, agent, "send_written_plan", handler, application_id, form)
    return await after(console, request, agent, application_id, outcome, {})


@router.post("/applications/{application_id}/confirmation")
async def confirm(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    code = text(form, "code")
    payload, errors = validated(bodies.ConfirmationIn, {"code": code}, {"code": "code"})
    if payload is None:
        return await render_application(console, request, agent, application_id, status=422, errors=errors)
    handler = changes.confirming(payload.code, ConfirmationChannel.RECORDED_CALL)
    outcome = await act(console, request, agent, "confirm_via_recorded_call", handler, application_id, form)
    return await after(console, request, agent, application_id, outcome, {"code": code})


async def _closing(
    console: Console, request: Request, application_id: uuid.UUID, action: str, mutate: Callable[[str], changes.Mutation]
) -> Response:
    """The borrower declines the plan, or the application is withdrawn: a reason is required."""
    agent = await signed_in(console, request, Right.WORK)
    form = await checked_form(request)
    field = f"{action}_reason"
    reason = text(form, field)
    payload, errors = validated(bodies.ReasonIn, {"reason": reason}, {"reason": field})
    if not reason:
        errors = {field: "error_reason_required"}
    if payload is None:
        return await render_application(
            console, request, agent, application_id, status=422, errors=errors, values={field: reason}
        )
    outcome = await act(console, request, agent, action, changes.changing(mutate(payload.reason)), application_id, form)
    return await after(console, request, agent, application_id, outcome, {field: reason})


@router.post("/applications/{application_id}/decline")
async def decline(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    return await _closing(console, request, application_id, "decline", changes.declining)


@router.post("/applications/{application_id}/withdrawal")
async def withdraw(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    return await _closing(console, request, application_id, "withdraw", changes.withdrawing)


@router.post("/applications/{application_id}/approval")
async def approval(application_id: uuid.UUID, request: Request, console: ConsoleState) -> Response:
    agent = await signed_in(console, request, Right.APPROVE)
    form = await checked_form(request)
    approved = text(form, "approved") == "true"
    payload, errors = validated(bodies.ApprovalIn, {"approved": approved, "note": text(form, "note")}, {"note": "note"})
    if payload is not None:
        handler = changes.changing(changes.deciding(payload.approved, payload.note))
        outcome = await act(console, request, agent, "approve" if approved else "refuse_approval", handler, application_id, form)
        if outcome.status < 400:
            session_of(request).put_flash("flash_approved" if approved else "flash_refused")
            return see_other("/supervisor")
        errors = refusal_errors(outcome)
    return page(request, "error.html", agent, status=422, message=next(iter(errors.values())))
