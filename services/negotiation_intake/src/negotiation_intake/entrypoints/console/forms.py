"""What the console's forms share: a form's fields read and validated with the API's models,
refusals shown next to the field they concern, and `act`, which runs a change as the API does."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from negotiation_intake.application.ports import Agent
from negotiation_intake.entrypoints import changes
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.pages import render_application
from negotiation_intake.entrypoints.console.rendering import Console, see_other
from negotiation_intake.entrypoints.console.sessions import session_of
from negotiation_intake.entrypoints.console.status_message import status_after

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


async def _console(request: Request) -> Console:
    """The console's state, as add_actions (console/actions.py) left it on the console's app."""
    console: Console = request.app.state.console
    return console


#: A form's access to the console's state.
ConsoleState = Annotated[Console, Depends(_console)]


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


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def may_be_a_key(presented: str) -> bool:
    """Printable ASCII of a key's length: anything else (a NUL, a megabyte) reaches no query."""
    return 0 < len(presented) <= MAX_KEY_LENGTH and presented.isascii() and presented.isprintable()


def if_match(form: FormData) -> str | None:
    version = text(form, "version")
    # ASCII digits only: "²" is a digit to str.isdigit, not to int.
    return f'"{version}"' if version.isascii() and version.isdigit() and len(version) <= 18 else None


def validated(model: type[BaseModel], body: dict[str, Any], fields: dict[str, str]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(body), {}
    except ValidationError as error:
        return None, field_errors(error, fields)


async def act(
    console: Console,
    request: Request,
    agent: Agent,
    action: str,
    handler: changes.Handler,
    application_id: uuid.UUID | None,
    form: FormData,
    body: bytes | None = None,
    asks_ledger: uuid.UUID | Literal["application"] | None = None,
) -> changes.Outcome:
    """The change, performed as the API performs it (the form's fields are its fingerprint)."""
    fingerprint = body or "&".join(f"{key}={value}" for key, value in form.items() if key != "csrf").encode()
    change = changes.Change(
        agent,
        action,
        handler,
        method="POST",
        path=request.url.path,
        body=fingerprint,
        application_id=application_id,
        if_match=if_match(form),
        asks_ledger=asks_ledger,
    )
    return await changes.perform(console.resources, change)


async def after(
    console: Console,
    request: Request,
    agent: Agent,
    application_id: uuid.UUID,
    outcome: changes.Outcome,
    values: dict[str, str],
) -> Response:
    """The application's page: after a change, or with the refusal next to its field."""
    if outcome.status < 400:
        session_of(request).put_flash(status_after(outcome))
        return see_other(f"/applications/{application_id}")
    return await render_application(
        console, request, agent, application_id, status=outcome.status, errors=refusal_errors(outcome), values=values
    )
