"""The agents' HTTP API (v1). Errors are RFC 9457 problem+json naming the field or the rule.

Every request but the borrower's confirmation carries an agent's API key (`X-API-Key`): no or
an unknown key → 401, a role without the right → 403 (domain/access.py); an approval by the
agent who opened the application or chose the option → 403 `four_eyes`. Every POST may carry
an `Idempotency-Key` (a repeat returns the first response; the same key with another body →
422). Mutations of an application may carry `If-Match` with its ETag (stale → 412). Every
mutating request is written to the audit log with the application before and after.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, Security, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from starlette.middleware import Middleware

from negotiation_intake.adapters import api_keys, audit, refusals
from negotiation_intake.adapters.store import CURSOR_PATTERN as APPLICATIONS_CURSOR
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.ports import Agent, Page
from negotiation_intake.domain.access import Right, may
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.bodies import (
    ApplicationIn,
    ApprovalIn,
    BorrowerConfirmationIn,
    ChoiceIn,
    ConfirmationIn,
    ReasonIn,
    ReviewIn,
    application_body,
    document_body,
    etag,
    opening_command,
)
from negotiation_intake.entrypoints.borrower import borrower_of, confirming_by_borrower
from negotiation_intake.entrypoints.changes import (
    Handler,
    Mutation,
    changing,
    choosing,
    confirming,
    deciding,
    declining,
    opening,
    perform,
    reviewing,
    sending,
    submitting,
    uploading,
    withdrawing,
)
from negotiation_intake.entrypoints.door import Door
from tideover_contracts.events.negotiation import ConfirmationChannel, EvidenceKind
from tideover_runtime.http import problem, problem_response
from tideover_runtime.service import Resources

#: The most a JSON body may be: the longest application (a 4,000-character description) is a
#: fraction of it. A document's upload may be 10 MB, and its multipart framing and form fields.
JSON_BODY_BYTES = 64 * 1024
UPLOAD_BODY_BYTES = MAX_BYTES + 64 * 1024
UPLOAD_PATH = re.compile(r"/v1/applications/[^/]+/evidence")


def body_limit(method: str, path: str) -> int:
    """The most bytes a request's body may have (the door refuses more, 413)."""
    return UPLOAD_BODY_BYTES if method == "POST" and UPLOAD_PATH.fullmatch(path) else JSON_BODY_BYTES


#: Routes that take no API key: the borrower's, where the one-time code is the credential.
OPEN_PATHS = frozenset({"/v1/borrower/confirmations"})


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
) -> Response:
    """`perform` for an API request, answered as JSON (problem+json when refused)."""
    body = await request.body() if body is None else body  # a form was read already: its digest
    outcome = await perform(
        resources, agent, action, handler, method=request.method, path=request.url.path, body=body,
        idempotency_key=idempotency_key, application_id=application_id, if_match=if_match, asks_ledger=asks_ledger,
    )  # fmt: skip
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
        resources, request, agent, action, changing(mutate), idempotency_key=idempotency_key,
        application_id=application_id,
        if_match=if_match, asks_ledger=asks_ledger,
    )  # fmt: skip


async def _confirm(
    resources: Callable[[], Resources],
    request: Request, agent: Agent, application_id: uuid.UUID, code: str, via: ConfirmationChannel,
    idempotency_key: str | None, if_match: str | None,
) -> Response:  # fmt: skip
    return await run(
        resources,
        request, agent, f"confirm_via_{via.value}", confirming(code, via), idempotency_key=idempotency_key,
        application_id=application_id, if_match=if_match,
    )  # fmt: skip


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


def add_routes(app: FastAPI, resources: Callable[[], Resources], refusal_log: refusals.RefusalLog | None = None) -> None:
    """The API's routes behind its door (entrypoints/door.py), which keeps refused requests in
    `refusal_log` (by default bounded as adapters/refusals.py says)."""
    app.state.intake_resources = resources
    router = APIRouter(responses=ERRORS)
    _add_reading_routes(router, resources)
    _add_work_routes(router, resources)
    _add_supervisor_and_borrower_routes(router, resources)
    app.include_router(router)
    # Innermost of the middleware (appended, where add_middleware would put it outermost): its
    # own 401 gets the headers every answer carries.
    door = Middleware(
        Door, authenticate=lambda request: caller(request, request.headers.get(KEY_HEADER.model.name)),
        refusals=refusal_log or refusals.RefusalLog(resources), clock=lambda: resources().clock, body_limit=body_limit,
        open_paths=OPEN_PATHS,
    )  # fmt: skip
    app.user_middleware.append(door)


def _add_reading_routes(app: APIRouter, resources: Callable[[], Resources]) -> None:
    @app.get("/v1/loans/{loan_id}", tags=["loans"])
    async def loan_view(loan_id: uuid.UUID, _: Reader) -> JSONResponse:
        """The loan's overdue status, its applications with their offers, and its plan."""
        async with resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            loan = await store.loan(loan_id)
            if loan is None:
                return problem(404, "Not found", f"no loan {loan_id} is known to intake")
            applications = [
                {**application_body(application), "offers": await _offers(store, application.application_id)}
                for application in await store.applications_for_loan(loan_id)
            ]
        return JSONResponse(
            {
                "loan_id": str(loan_id),
                "overdue": loan.overdue,
                "status": loan.snapshot,
                "plan": {"plan_id": str(loan.plan_id), "status": loan.plan_status} if loan.plan_id else None,
                "applications": applications,
            }
        )

    async def _offers(store: PostgresIntakeStore, application_id: uuid.UUID) -> list[dict[str, Any]]:
        return [offer.model_dump(mode="json") for offer in await store.offers(application_id)]

    @app.get("/v1/applications", tags=["applications"])
    async def list_applications(
        _: Reader, state: State | None = None, limit: Limit = 50, after: ApplicationsAfter = None
    ) -> Response:
        """Applications, oldest first, a page at a time."""
        return await applications_page(resources, state, limit, after)

    @app.get("/v1/applications/{application_id}", tags=["applications"])
    async def get_application(application_id: uuid.UUID, _: Reader) -> Response:
        """The application, its evidence and its offers (or the reasons no plan could be offered)."""
        async with resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            application = await store.application(application_id)
            if application is None:
                return problem(404, "Not found", f"no application {application_id}")
            body = {
                **application_body(application),
                "evidence": [document_body(document) for document in await store.documents(application_id)],
                "offers": await _offers(store, application_id),
            }
        return JSONResponse(body, headers={"ETag": etag(application)})

    @app.get("/v1/applications/{application_id}/evidence/{document_id}/content", tags=["evidence"])
    async def download_evidence(application_id: uuid.UUID, document_id: uuid.UUID, _: Reader) -> Response:
        async with resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            document = await store.document(document_id)
            if document is None or document.application_id != application_id:
                return problem(404, "Not found", f"application {application_id} has no document {document_id}")
            content = await store.document_content(document_id)
        return Response(
            content,
            media_type=document.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{document.document_id}"',
                "X-Content-SHA256": document.sha256,
            },
        )


def _add_work_routes(app: APIRouter, resources: Callable[[], Resources]) -> None:
    @app.post("/v1/applications", status_code=201, tags=["applications"])
    async def open_application(
        payload: ApplicationIn, request: Request, agent: Worker, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Open a hardship application for an overdue loan (a draft until submitted); refused (409)
        while the loan has another application open or a plan in force."""
        handler = opening(opening_command(payload))
        return await run(
            resources, request, agent, "open_application", handler, idempotency_key=idempotency_key,
            asks_ledger=payload.loan_id,
        )  # fmt: skip

    @app.post("/v1/applications/{application_id}/evidence", status_code=201, tags=["evidence"])
    async def upload_evidence(
        application_id: uuid.UUID,
        request: Request,
        agent: Worker,
        kind: Annotated[EvidenceKind, Form()],
        file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_BYTES} bytes")],
        idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Add a document; its type is decided by its content, never by its name."""
        if file.filename and "\0" in file.filename:  # Postgres text cannot hold it
            return problem(
                422, "Invalid request", "file: the filename has a NUL character",
                errors=[{"field": "file", "message": "the filename has a NUL character"}],
            )  # fmt: skip
        content = await file.read(MAX_BYTES + 1)
        handler = uploading(kind, file.filename or "document", content)

        return await run(
            resources,
            request, agent, "upload_evidence", handler, idempotency_key=idempotency_key, application_id=application_id,
            if_match=if_match, body=f"{kind.value}|{file.filename}|{hashlib.sha256(content).hexdigest()}".encode(),
        )  # fmt: skip

    @app.post("/v1/applications/{application_id}/evidence/{document_id}/review", tags=["evidence"])
    async def review_evidence(
        application_id: uuid.UUID,
        document_id: uuid.UUID,
        payload: ReviewIn,
        request: Request,
        agent: Worker,
        idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Verify or reject a document, with a note."""
        handler = reviewing(document_id, payload.verified, payload.note)

        return await run(
            resources,
            request, agent, "review_evidence", handler, idempotency_key=idempotency_key, application_id=application_id,
            if_match=if_match,
        )  # fmt: skip

    @app.post("/v1/applications/{application_id}/submit", tags=["applications"])
    async def submit(
        application_id: uuid.UUID, request: Request, agent: Worker, idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """Submit for plans: publishes NegotiationRequested. Needs verified proof for the reasons that need it."""
        return await change_application(
            resources, request, agent, "submit", application_id, idempotency_key, if_match, submitting, "application"
        )

    @app.post("/v1/applications/{application_id}/choice", tags=["decisions"])
    async def choose(
        application_id: uuid.UUID, payload: ChoiceIn, request: Request, agent: Worker,
        idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """The borrower's choice of an option: publishes PlanOptionChosen; an option beyond the
        agent's authority waits in the supervisor queue."""
        mutate = choosing(payload.offer_id, payload.option_id)
        return await change_application(resources, request, agent, "choose", application_id, idempotency_key, if_match, mutate)

    @app.post("/v1/applications/{application_id}/sending", tags=["decisions"])
    async def send_written_plan(
        application_id: uuid.UUID, request: Request, agent: Worker, idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """Send the written plan and a fresh one-time code to the borrower (PlanSentToBorrower)."""
        return await change_application(
            resources, request, agent, "send_written_plan", application_id, idempotency_key, if_match, sending
        )

    @app.post("/v1/applications/{application_id}/confirmation", tags=["decisions"])
    async def confirm_on_recorded_call(
        application_id: uuid.UUID, payload: ConfirmationIn, request: Request, agent: Worker,
        idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """The code the borrower read out on a recorded call: the right one publishes PlanAccepted."""
        return await _confirm(resources, request, agent, application_id, payload.code, ConfirmationChannel.RECORDED_CALL,
                              idempotency_key, if_match)  # fmt: skip

    @app.post("/v1/applications/{application_id}/decline", tags=["decisions"])
    async def decline(
        application_id: uuid.UUID, payload: ReasonIn, request: Request, agent: Worker,
        idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """The borrower refuses the plan: publishes PlanDeclined."""
        mutate = declining(payload.reason)
        return await change_application(resources, request, agent, "decline", application_id, idempotency_key, if_match, mutate)

    @app.post("/v1/applications/{application_id}/withdrawal", tags=["applications"])
    async def withdraw(
        application_id: uuid.UUID, payload: ReasonIn, request: Request, agent: Worker,
        idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """Withdraw the application: publishes NegotiationWithdrawn."""
        mutate = withdrawing(payload.reason)
        return await change_application(resources, request, agent, "withdraw", application_id, idempotency_key, if_match, mutate)


def _add_supervisor_and_borrower_routes(app: APIRouter, resources: Callable[[], Resources]) -> None:
    @app.get("/v1/supervisor-queue", tags=["supervisor"])
    async def supervisor_queue(_: Approver, limit: Limit = 50, after: ApplicationsAfter = None) -> Response:
        """Chosen options beyond an agent's authority, oldest first."""
        return await applications_page(resources, State.AWAITING_APPROVAL, limit, after)

    @app.post("/v1/applications/{application_id}/approval", tags=["supervisor"])
    async def decide_approval(
        application_id: uuid.UUID, payload: ApprovalIn, request: Request, agent: Approver,
        idempotency_key: IdempotencyKey = None, if_match: IfMatch = None,
    ) -> Response:  # fmt: skip
        """Approve the option beyond the agent's authority — a deeper waiver, a payment holiday — (the plan
        may then be sent) or refuse it (the borrower chooses again)."""
        action = "approve" if payload.approved else "refuse_approval"
        mutate = deciding(payload.approved, payload.note)
        return await change_application(resources, request, agent, action, application_id, idempotency_key, if_match, mutate)

    @app.get("/v1/audit", tags=["supervisor"])
    async def audit_log(
        _: Auditor, application_id: uuid.UUID | None = None, limit: Limit = 50, after: AuditAfter = None
    ) -> Response:
        """Every mutating request: who, when, what, and the application before and after."""
        async with resources().pool.acquire() as connection:
            page = await audit.entries(connection, application_id, limit, after)
        return JSONResponse(page_body(page, lambda entry: entry))

    @app.get("/v1/audit/refusals", tags=["supervisor"])
    async def refused_requests(_: Auditor, limit: Limit = 50, after: RefusalsAfter = None) -> Response:
        """Requests refused before they changed anything (no or an unknown key, a role without the right,
        invalid input, too large a body, nothing by that id, a server error), oldest first: when, the
        status and reason, the method and path, the caller if known and the client's address. At most
        10 a minute from one caller and 60 a minute from unauthenticated callers in all are kept; a row
        with `dropped` counts the rest. Kept 90 days."""
        async with resources().pool.acquire() as connection:
            page = await refusals.entries(connection, limit, after)
        return JSONResponse(page_body(page, lambda entry: entry))

    @app.post("/v1/borrower/confirmations", tags=["borrower"], responses=BORROWER_ANSWERS)
    async def confirm_by_borrower(
        payload: BorrowerConfirmationIn, request: Request, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """The borrower confirms the written plan with the one-time code (no API key: the code is
        the credential; 5 wrong tries lock it). Every refusal is the same 422, whatever the
        reason; refused tries are limited per application and per client address (429)."""
        client = request.client.host if request.client else "unknown"
        outcome = await perform(
            resources, borrower_of(payload.application_id), "confirm_via_borrower_confirm_endpoint",
            confirming_by_borrower(payload.application_id, payload.code, client),
            method=request.method, path=request.url.path, body=await request.body(), idempotency_key=idempotency_key,
        )  # fmt: skip
        # No ETag, nothing of the application: the caller has proven nothing unless accepted.
        if outcome.status < 400:
            return JSONResponse(outcome.body)
        retry = {"Retry-After": str(outcome.body["retry_after"])} if outcome.status == 429 else None
        return JSONResponse(outcome.body, outcome.status, headers=retry, media_type="application/problem+json")
