"""What the console's forms do: each POST checks the CSRF token and the agent's right, then runs
the API's own command through `changes.perform` (one transaction with its audit entry), and either
redirects to the page that shows the result or shows the refusal next to the field it concerns."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from negotiation_intake.adapters import api_keys
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Right
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints import bodies, changes
from negotiation_intake.entrypoints.console.i18n import Words
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
from tideover_contracts.events.negotiation import ConfirmationChannel, EvidenceKind

#: Which form field a refusal by a rule concerns (the rest are shown above the form).
RULE_FIELDS = {
    "evidence_type_and_size": "file",
    "evidence_malformed": "file",
    "evidence_trailing_data": "file",
    "evidence_active_content": "file",
    "evidence_encrypted": "file",
    "evidence_image_dimensions": "file",
    "file_name": "file",
    "one_currency": "essential_expenses",
    "loan_currency": "monthly_income",
    "confirmation_code": "code",
}
#: Longer than any agent's key (`tdo_` + 12 + `_` + 43 characters) with room to spare.
MAX_KEY_LENGTH = 200
#: Refusals the console words itself, in the agent's language, naming what stands in the way.
RULE_WORDS = {"application_open": "error_application_open", "plan_active": "error_plan_active"}


def field_errors(error: ValidationError, fields: dict[str, str]) -> dict[str, str]:
    """The API model's validation errors by form field: the first step of the location that
    names a field of the form (`hardship.monthly_income.amount` → `monthly_income`)."""
    errors: dict[str, str] = {}
    for item in error.errors():
        steps = [str(step) for step in item["loc"]]
        field = next((fields[step] for step in steps if step in fields), "_form")
        errors.setdefault(field, item["msg"].removeprefix("Value error, "))
    return errors


def refusal_errors(outcome: changes.Outcome, speak: Words | None = None) -> dict[str, str]:
    rule = str(outcome.body.get("rule"))
    field = RULE_FIELDS.get(rule, "_form")
    if speak is not None and rule in RULE_WORDS:
        named = {name: str(outcome.body.get(name)) for name in ("application_id", "plan_id")}
        return {field: speak(RULE_WORDS[rule], **named)}
    return {field: str(outcome.body.get("detail") or outcome.body.get("title"))}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _may_be_a_key(presented: str) -> bool:
    """Printable ASCII of a key's length: anything else (a NUL, a megabyte) reaches no query."""
    return 0 < len(presented) <= MAX_KEY_LENGTH and presented.isascii() and presented.isprintable()


def _if_match(form: FormData) -> str | None:
    version = _text(form, "version")
    # ASCII digits only: "²" is a digit to str.isdigit, not to int.
    return f'"{version}"' if version.isascii() and version.isdigit() and len(version) <= 18 else None


def _validated(model: type[BaseModel], body: dict[str, Any], fields: dict[str, str]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(body), {}
    except ValidationError as error:
        return None, field_errors(error, fields)


def add_actions(app: FastAPI, console: Console) -> None:  # noqa: PLR0915 — one closure per form
    async def act(
        request: Request, agent: Agent, action: str, handler: changes.Handler, application_id: uuid.UUID | None,
        form: FormData, body: bytes | None = None, asks_ledger: uuid.UUID | Literal["application"] | None = None,
    ) -> changes.Outcome:  # fmt: skip
        fingerprint = body or "&".join(f"{key}={value}" for key, value in form.items() if key != "csrf").encode()
        return await changes.perform(
            console.resources, agent, action, handler, method="POST", path=request.url.path, body=fingerprint,
            application_id=application_id, if_match=_if_match(form), asks_ledger=asks_ledger,
        )  # fmt: skip

    async def after(
        request: Request, agent: Agent, application_id: uuid.UUID, outcome: changes.Outcome, values: dict[str, str]
    ) -> Response:
        if outcome.status < 400:
            return see_other(f"/applications/{application_id}")
        return await render_application(
            console, request, agent, application_id, status=outcome.status, errors=refusal_errors(outcome), values=values
        )

    @app.post("/sign-in", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = await checked_form(request)
        presented = _text(form, "api_key")
        agent = None
        if _may_be_a_key(presented):
            async with console.resources().pool.acquire() as connection:
                agent = await api_keys.authenticate(connection, presented)
        if agent is None:
            return page(request, "sign_in.html", None, status=401, errors={"api_key": "error_unknown_key"})
        session_of(request).sign_in(agent.key_id)
        return see_other("/supervisor" if agent.role.value == "supervisor" else "/")

    @app.post("/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        await checked_form(request)
        session_of(request).sign_out()  # the row goes: a copy of the cookie opens nothing
        return see_other("/sign-in")

    @app.post("/language", include_in_schema=False)
    async def language(request: Request) -> Response:
        form = await checked_form(request)
        set_language(request, _text(form, "lang"))
        back = _text(form, "next")
        return see_other(back.removeprefix(PREFIX) if back.startswith(PREFIX + "/") and "//" not in back else "/")

    @app.post("/loans/{loan_id}/applications", include_in_schema=False)
    async def open_application(loan_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        values = {name: _text(form, name) for name in ("reason", "description", "monthly_income", "essential_expenses")}
        async with console.resources().pool.acquire() as connection:
            loan = await loan_view(PostgresIntakeStore(connection), loan_id)
        if loan is None:
            raise PageError(404, "error_not_found")
        currency = loan.snapshot.get("overdue", {}).get("total", {}).get("currency", "CNY")
        body = {
            "loan_id": str(loan_id),
            "hardship": {
                "reason": values["reason"], "description": values["description"],
                "monthly_income": {"amount": values["monthly_income"], "currency": currency},
                "essential_expenses": {"amount": values["essential_expenses"], "currency": currency},
            },
        }  # fmt: skip
        fields = {name: name for name in values}
        payload, errors = _validated(bodies.ApplicationIn, body, fields)
        status = 422
        if payload is not None:
            outcome = await act(
                request, agent, "open_application", changes.opening(bodies.opening_command(payload)), None, form,
                asks_ledger=loan_id,
            )  # fmt: skip
            if outcome.status < 400 and outcome.application is not None:
                return see_other(f"/applications/{outcome.application.application_id}")
            # As the API refused it (409: another application open or a plan in force).
            status, errors = outcome.status, refusal_errors(outcome, words(request))
        return await render_loan(console, request, agent, loan_id, status=status, errors=errors, values=values)

    @app.post("/applications/{application_id}/evidence", include_in_schema=False)
    async def upload(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        file, kind = form.get("file"), _text(form, "kind")
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
        outcome = await act(request, agent, "upload_evidence", handler, application_id, form, digest)
        return await after(request, agent, application_id, outcome, {"kind": kind})

    @app.post("/applications/{application_id}/evidence/{document_id}/review", include_in_schema=False)
    async def review(application_id: uuid.UUID, document_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        note = _text(form, "note")
        body = {"verified": _text(form, "verified") == "true", "note": note}
        payload, errors = _validated(bodies.ReviewIn, body, {"note": f"note-{document_id}"})
        if payload is None:
            return await render_application(console, request, agent, application_id, status=422, errors=errors)
        handler = changes.reviewing(document_id, payload.verified, payload.note)
        outcome = await act(request, agent, "review_evidence", handler, application_id, form)
        return await after(request, agent, application_id, outcome, {f"note-{document_id}": note})

    @app.post("/applications/{application_id}/submit", include_in_schema=False)
    async def submit(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        outcome = await act(
            request, agent, "submit", changes.changing(changes.submitting), application_id, form, asks_ledger="application"
        )
        return await after(request, agent, application_id, outcome, {})

    @app.post("/applications/{application_id}/choice", include_in_schema=False)
    async def choose(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        body = {"offer_id": _text(form, "offer_id"), "option_id": _text(form, "option_id")}
        payload, errors = _validated(bodies.ChoiceIn, body, {})
        if payload is None:
            return await render_application(console, request, agent, application_id, status=422, errors=errors)
        handler = changes.changing(changes.choosing(payload.offer_id, payload.option_id))
        return await after(request, agent, application_id, await act(request, agent, "choose", handler, application_id, form), {})

    @app.post("/applications/{application_id}/sending", include_in_schema=False)
    async def send(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        outcome = await act(request, agent, "send_written_plan", changes.changing(changes.sending), application_id, form)
        return await after(request, agent, application_id, outcome, {})

    @app.post("/applications/{application_id}/confirmation", include_in_schema=False)
    async def confirm(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        code = _text(form, "code")
        payload, errors = _validated(bodies.ConfirmationIn, {"code": code}, {"code": "code"})
        if payload is None:
            return await render_application(console, request, agent, application_id, status=422, errors=errors)
        handler = changes.confirming(payload.code, ConfirmationChannel.RECORDED_CALL)
        outcome = await act(request, agent, "confirm_via_recorded_call", handler, application_id, form)
        return await after(request, agent, application_id, outcome, {"code": code})

    async def closing(
        request: Request, application_id: uuid.UUID, action: str, mutate: Callable[[str], changes.Mutation]
    ) -> Response:
        """The borrower declines the plan, or the application is withdrawn: a reason is required."""
        agent = await signed_in(console, request, Right.WORK)
        form = await checked_form(request)
        field = f"{action}_reason"
        reason = _text(form, field)
        payload, errors = _validated(bodies.ReasonIn, {"reason": reason}, {"reason": field})
        if not reason:
            errors = {field: "error_reason_required"}
        if payload is None:
            return await render_application(
                console, request, agent, application_id, status=422, errors=errors, values={field: reason}
            )
        outcome = await act(request, agent, action, changes.changing(mutate(payload.reason)), application_id, form)
        return await after(request, agent, application_id, outcome, {field: reason})

    @app.post("/applications/{application_id}/decline", include_in_schema=False)
    async def decline(application_id: uuid.UUID, request: Request) -> Response:
        return await closing(request, application_id, "decline", changes.declining)

    @app.post("/applications/{application_id}/withdrawal", include_in_schema=False)
    async def withdraw(application_id: uuid.UUID, request: Request) -> Response:
        return await closing(request, application_id, "withdraw", changes.withdrawing)

    @app.post("/applications/{application_id}/approval", include_in_schema=False)
    async def approval(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request, Right.APPROVE)
        form = await checked_form(request)
        approved = _text(form, "approved") == "true"
        payload, errors = _validated(bodies.ApprovalIn, {"approved": approved, "note": _text(form, "note")}, {"note": "note"})
        if payload is not None:
            handler = changes.changing(changes.deciding(payload.approved, payload.note))
            outcome = await act(request, agent, "approve" if approved else "refuse_approval", handler, application_id, form)
            if outcome.status < 400:
                session_of(request).put_flash("flash_approved" if approved else "flash_refused")
                return see_other("/supervisor")
            errors = refusal_errors(outcome)
        return page(request, "error.html", agent, status=422, message=next(iter(errors.values())))
