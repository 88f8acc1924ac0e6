"""What the API's routes share: the caller and their rights, the request headers, the refusals
documented on every route, and `run`, which performs a change and answers it as JSON."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException, Query, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader

from negotiation_intake.adapters import api_keys, audit, refusals
from negotiation_intake.adapters.store import CURSOR_PATTERN as APPLICATIONS_CURSOR
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.ports import Agent, Page
from negotiation_intake.domain.access import Right, may
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.bodies import application_body, etag
from negotiation_intake.entrypoints.changes import Change, Handler, Mutation, changing, perform
from tideover_runtime.http import problem_response
from tideover_runtime.service import Resources

#: The most a JSON body may be: the longest application (a 4,000-character description) is a
#: fraction of it. A document's upload may be 10 MB, and its multipart framing and form fields.
JSON_BODY_BYTES = 64 * 1024
UPLOAD_BODY_BYTES = MAX_BYTES + 64 * 1024


async def _intake_resources(request: Request) -> Callable[[], Resources]:
    """The service's resources, as add_routes (entrypoints/http.py) left them on the app."""
    resources: Callable[[], Resources] = request.app.state.intake_resources
    return resources


#: A route's access to the service's resources (no parameter of the API).
Intake = Annotated[Callable[[], Resources], Depends(_intake_resources)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100, description="The application's ETag")]
Limit = Annotated[int, Query(ge=1, le=200)]
ApplicationsAfter = Annotated[
    str | None, Query(pattern=APPLICATIONS_CURSOR, description="The `after` cursor of the previous page")
]
AuditAfter = Annotated[str | None, Query(pattern=audit.CURSOR_PATTERN, description="The `after` cursor of the previous page")]
RefusalsAfter = Annotated[
    str | None, Query(pattern=refusals.CURSOR_PATTERN, description="The `after` cursor of the previous page")
]


def page_body(page: Page, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [render(item) for item in page.items], "after": page.after}


async def applications_page(
    resources: Callable[[], Resources], state: State | None, limit: int, after: str | None
) -> JSONResponse:
    """A page of applications, oldest first (the cursor's form is checked by its query schema)."""
    async with resources().pool.acquire() as connection:
        page = await PostgresIntakeStore(connection).applications(state, limit, after)
    return JSONResponse(page_body(page, application_body))


KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="An agent's API key (tdo_…)")


async def caller(request: Request, key: Annotated[str | None, Security(KEY_HEADER)]) -> Agent:
    """The agent whose key came with the request: 401 without a valid one (checked by the door
    before the body was read, entrypoints/door.py; here again for a route reached otherwise)."""
    if isinstance(known := request.scope.get("state", {}).get("agent"), Agent):
        return known
    if not key:
        raise HTTPException(401, "Missing API key: send it in X-API-Key", headers={"WWW-Authenticate": "ApiKey"})
    resources: Resources = request.app.state.intake_resources()
    async with resources.pool.acquire() as connection:
        agent = await api_keys.authenticate(connection, key)
    if agent is None:
        raise HTTPException(401, "Unknown or revoked API key", headers={"WWW-Authenticate": "ApiKey"})
    return agent


def holding(right: Right) -> Any:
    """A dependency: the calling agent, if their role grants `right` (else 403)."""

    async def check(agent: Annotated[Agent, Depends(caller)]) -> Agent:
        if not may(agent.role, right):
            raise HTTPException(403, f"A {agent.role.value} may not {right.value}")
        return agent

    return Depends(check)


Reader = Annotated[Agent, holding(Right.READ)]
Worker = Annotated[Agent, holding(Right.WORK)]
Approver = Annotated[Agent, holding(Right.APPROVE)]
Auditor = Annotated[Agent, holding(Right.AUDIT)]


async def run(
    resources: Callable[[], Resources],
    request: Request,
    agent: Agent,
    action: str,
    handler: Handler,
    *,
    idempotency_key: str | None = None,
    application_id: uuid.UUID | None = None,
    if_match: str | None = None,
    body: bytes | None = None,
    asks_ledger: uuid.UUID | Literal["application"] | None = None,
    secret_in_body: bool = False,
) -> Response:
    """`perform` for an API request, answered as JSON (problem+json when refused); `secret_in_body`:
    the body carries a one-time code (its idempotency fingerprint is keyed, changes.Change)."""
    body = await request.body() if body is None else body  # a form was read already: its digest
    change = Change(
        agent,
        action,
        handler,
        method=request.method,
        path=request.url.path,
        body=body,
        idempotency_key=idempotency_key,
        application_id=application_id,
        if_match=if_match,
        asks_ledger=asks_ledger,
        secret_in_body=secret_in_body,
    )
    outcome = await perform(resources, change)
    headers = {"ETag": etag(outcome.application)} if outcome.application else None
    media_type = "application/problem+json" if outcome.status >= 400 else "application/json"
    return JSONResponse(outcome.body, status_code=outcome.status, media_type=media_type, headers=headers)


async def change_application(
    resources: Callable[[], Resources],
    request: Request,
    agent: Agent,
    action: str,
    application_id: uuid.UUID,
    idempotency_key: str | None,
    if_match: str | None,
    mutate: Mutation,
    asks_ledger: Literal["application"] | None = None,
) -> Response:
    """A POST that changes the application it names and answers with it."""
    return await run(
        resources,
        request,
        agent,
        action,
        changing(mutate),
        idempotency_key=idempotency_key,
        application_id=application_id,
        if_match=if_match,
        asks_ledger=asks_ledger,
    )


class Asked:
    """What an agent's change of an application carries besides its body (a dependency of the
    work routes): the request, the agent, the service's resources, and its Idempotency-Key and
    If-Match headers."""

    def __init__(
        self, request: Request, agent: Worker, resources: Intake, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
    ) -> None:
        self.request, self.agent, self.resources = request, agent, resources
        self.idempotency_key, self.if_match = idempotency_key, if_match

    async def run(
        self, action: str, handler: Handler, application_id: uuid.UUID, *, body: bytes | None = None, secret_in_body: bool = False
    ) -> Response:
        """`run` for this request, on the application it names."""
        return await run(
            self.resources,
            self.request,
            self.agent,
            action,
            handler,
            idempotency_key=self.idempotency_key,
            application_id=application_id,
            if_match=self.if_match,
            body=body,
            secret_in_body=secret_in_body,
        )

    async def change(
        self, action: str, application_id: uuid.UUID, mutate: Mutation, asks_ledger: Literal["application"] | None = None
    ) -> Response:
        """`change_application` for this request."""
        return await change_application(
            self.resources,
            self.request,
            self.agent,
            action,
            application_id,
            self.idempotency_key,
            self.if_match,
            mutate,
            asks_ledger,
        )


async def _asked(
    request: Request, agent: Worker, resources: Intake, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Asked:
    return Asked(request, agent, resources, idempotency_key, if_match)


#: A work route's request (Asked), as a dependency.
Asking = Annotated[Asked, Depends(_asked)]

#: Every refusal the API may answer with, documented on every route.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: problem_response("A body that cannot be parsed at all (a multipart body without its boundary, text that is not UTF-8)"),
    401: problem_response("No API key, or an unknown or revoked one"),
    403: problem_response(
        "The caller's role does not grant this, or (`rule` `four_eyes`) the approver opened the application or chose the option"
    ),
    404: problem_response("No such loan, application, document, offer or option"),
    409: problem_response(
        "The application's state refuses it (`current_state`), or the loan's: one open application and one plan "
        "in force per loan (`rule` `application_open` naming `application_id`, or `plan_active` naming `plan_id`)"
    ),
    412: problem_response("If-Match named a stale version (`current_version`)"),
    413: problem_response(f"The body is larger than the route takes: {JSON_BODY_BYTES} bytes of JSON, a document of 10 MB"),
    415: problem_response("The document is not a PDF, JPEG or PNG by its content"),
    422: problem_response("Invalid input naming the field (`errors`), a reused Idempotency-Key, or a rule (`rule`)"),
}
