"""One change of an application, as the API and the console make it: the idempotency key, the
state change, its events (outbox) and the audit entry commit in one transaction; a refused change
is audited on its own and answered with a problem document."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from negotiation_intake.adapters import audit, idempotency
from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application import applications, borrower_options, decisions, errors, evidence, written_plan
from negotiation_intake.application.ports import Agent, Ledger, LedgerUnavailableError, Outbox
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import InvalidTransitionError
from negotiation_intake.domain.evidence import UnacceptableDocumentError
from negotiation_intake.entrypoints.asked_ledger import ask_ledger_first
from negotiation_intake.entrypoints.bodies import application_body, document_body, expected_version
from negotiation_intake.entrypoints.code_secret import configured_code_secret
from tideover_contracts.events.negotiation import ConfirmationChannel, EvidenceKind
from tideover_runtime.clock import Clock
from tideover_runtime.database import Connection
from tideover_runtime.http import problem_body
from tideover_runtime.service import Resources


@dataclass
class Work:
    """What a mutation runs with, in one transaction."""

    store: PostgresIntakeStore
    outbox: Outbox
    connection: Connection
    application: Application | None
    agent: Agent
    clock: Clock
    #: What the one-time codes are hashed with (TIDEOVER_CODE_SECRET).
    code_secret: bytes
    #: overdue-detection's ledger, when TIDEOVER_OVERDUE_URL names it.
    ledger: Ledger | None = None

    @property
    def current(self) -> Application:
        """The application the request names (loaded, locked and version-checked by `run`)."""
        assert self.application is not None
        return self.application


Handler = Callable[[Work], Awaitable[tuple[int, dict[str, Any], Application | None]]]
#: A change of the application in hand (through `changing` it becomes a Handler).
Mutation = Callable[[Work], Awaitable[Application]]


@dataclass(frozen=True)
class Outcome:
    """What a mutation came to: the status and body the API answers with, and the application
    after it (None when refused or replayed)."""

    status: int
    body: dict[str, Any]
    application: Application | None = None


def _refusal(error: Exception) -> tuple[int, dict[str, Any]] | None:
    """The problem document for an error a mutation may be refused with (None: not one of ours)."""
    detail = str(error)
    body: dict[str, Any] | None = None
    match error:
        case idempotency.IdempotencyKeyReusedError():
            body = problem_body(422, "Idempotency-Key reused", detail, rule="idempotency_key_reuse")
        case errors.NotFoundError():
            body = problem_body(404, "Not found", detail)
        case errors.FourEyesError():
            body = problem_body(403, "Approval by another person", detail, rule=error.rule)
        case errors.TooManyTriesError():
            body = problem_body(429, "Too many tries", detail, rule=error.rule, retry_after=error.retry_after)
        case errors.StaleVersionError():
            body = problem_body(412, "Stale application", detail, current_version=error.current)
        case InvalidTransitionError():
            body = problem_body(409, "Invalid transition", detail, current_state=error.state.value, rule="state_machine")
        case errors.OneAtATimeError():
            body = problem_body(409, "One negotiation at a time", detail, rule=error.rule, **error.names)
        case errors.ConflictError():
            body = problem_body(409, "Conflict", detail)
        case LedgerUnavailableError():
            body = problem_body(503, "Ledger not available", f"{detail}; nothing was changed, try again", rule="ledger")
        case errors.RuleError():
            named = {"errors": [{"field": error.field, "message": detail}]} if error.field else {}
            body = problem_body(422, "Refused by a rule", detail, rule=error.rule, **named)
        case UnacceptableDocumentError():
            named = {"errors": [{"field": "file", "message": detail}]}
            body = problem_body(error.status, "Document refused", detail, rule=error.rule, **named)
    return (body["status"], body) if body else None


@dataclass(frozen=True)
class Change:
    """One change an agent, a supervisor or the borrower asks for, as the API and the console
    both make it: who, what (`action`, for the audit; `handler`, what it does), the request it
    came in (`method`, `path`, `body`: the idempotency fingerprint), and what it needs first.

    `asks_ledger`: the loan whose position in overdue-detection's ledger the change needs (or
    that of the application named), asked before the transaction opens, so that no row lock or
    pooled connection is held while another service answers.

    `secret_in_body`: the body carries a one-time code, so its fingerprint is keyed with the code
    secret (adapters/idempotency.py)."""

    agent: Agent
    action: str
    handler: Handler
    method: str
    path: str
    body: bytes
    idempotency_key: str | None = None
    application_id: uuid.UUID | None = None
    if_match: str | None = None
    asks_ledger: uuid.UUID | Literal["application"] | None = None
    secret_in_body: bool = False


async def perform(resources: Callable[[], Resources], change: Change) -> Outcome:
    """One transaction: idempotency key, state change, outbox rows and audit entry commit
    together; a refused change is audited on its own. The one function every change goes through."""
    res = resources()
    loaded: list[Application] = []  # the application before the change, once loaded
    try:
        ledger = await ask_ledger_first(res, change.asks_ledger, change.application_id)
        async with res.pool.acquire() as connection, connection.transaction():
            return await _commit(res, connection, change, ledger, loaded)
    except Exception as error:
        refused = _refusal(error)
        if refused is None:
            raise
        status, payload = refused
        if isinstance(error, errors.TooManyTriesError):
            # A flood of tries beyond the limit: kept by the door's bounded log of refused
            # requests (entrypoints/door.py), not one audit entry each.
            return Outcome(status, payload)
    async with res.pool.acquire() as connection:
        await _audit(connection, res, change, status, change.application_id, loaded[0] if loaded else None, None)
    return Outcome(status, payload)


async def _commit(
    res: Resources, connection: Connection, change: Change, ledger: Ledger | None, loaded: list[Application]
) -> Outcome:
    scoped_key = f"{change.agent.key_id}:{change.idempotency_key}" if change.idempotency_key else None
    secret = configured_code_secret(res.settings.development)
    if scoped_key:
        keyed = secret if change.secret_in_body else None
        fingerprint = idempotency.fingerprint(change.method, change.path, change.body, keyed)
        stored = await idempotency.claim(connection, scoped_key, fingerprint)
        if stored is not None:
            return Outcome(stored.status, stored.body)
    store = PostgresIntakeStore(connection)
    before = None
    if change.application_id is not None:
        before = await applications.load(store, change.application_id, expected_version(change.if_match))
        loaded.append(before)
    outbox = PostgresCommandOutbox(connection, res.clock)
    work = Work(store, outbox, connection, before, change.agent, res.clock, secret, ledger)
    status, payload, after = await change.handler(work)
    if scoped_key:
        await idempotency.remember(connection, scoped_key, status, payload)
    application_id = after.application_id if after else change.application_id
    await _audit(connection, res, change, status, application_id, before, after)
    return Outcome(status, payload, after)


async def _audit(
    connection: Connection,
    res: Resources,
    change: Change,
    status: int,
    application_id: uuid.UUID | None,
    before: Application | None,
    after: Application | None,
) -> None:
    await audit.append(
        connection,
        at=res.clock.now(),
        agent=change.agent,
        action=change.action,
        method=change.method,
        path=change.path,
        status=status,
        application_id=application_id,
        before=application_body(before) if before else None,
        after=application_body(after) if after else None,
    )


def changing(mutate: Mutation) -> Handler:
    """A handler that changes the application the request names and answers with it."""

    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        application = await mutate(work)
        return 200, application_body(application), application

    return handler


def opening(command: applications.OpenApplication) -> Handler:
    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        application = await applications.open_application(work.store, work.clock, command, work.agent, work.ledger)
        return 201, application_body(application), application

    return handler


def uploading(kind: EvidenceKind, filename: str, content: bytes) -> Handler:
    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        application = work.current
        document = await evidence.upload_evidence(
            work.store, work.clock, application, kind, filename, content, work.agent, checked_document
        )
        return 201, document_body(document), await work.store.application(application.application_id)

    return handler


def reviewing(document_id: uuid.UUID, verified: bool, note: str) -> Handler:
    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        document = await evidence.review_evidence(work.store, work.clock, work.current, document_id, verified, note, work.agent)
        return 200, document_body(document), await work.store.application(work.current.application_id)

    return handler


def confirming(code: str, via: ConfirmationChannel) -> Handler:
    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        result = await written_plan.confirm(work.store, work.outbox, work.clock, work.current, code, via, work.code_secret)
        if not result.accepted:
            detail = f"the confirmation code is wrong; {result.tries_left} tries left"
            body = problem_body(422, "Wrong confirmation code", detail, rule="confirmation_code", tries_left=result.tries_left)
            return 422, body, result.application
        return 200, application_body(result.application), result.application

    return handler


async def submitting(work: Work) -> Application:
    return await applications.submit(work.store, work.outbox, work.clock, work.current, work.ledger)


def choosing(offer_id: uuid.UUID, option_id: str) -> Mutation:
    async def mutate(work: Work) -> Application:
        return await decisions.choose(work.store, work.outbox, work.clock, work.current, offer_id, option_id, work.agent)

    return mutate


async def sending(work: Work) -> Application:
    application, _ = await written_plan.send(work.store, work.outbox, work.clock, work.current, work.code_secret)
    return application


def declining(reason: str) -> Mutation:
    async def mutate(work: Work) -> Application:
        return await decisions.decline(work.store, work.outbox, work.clock, work.current, reason)

    return mutate


def withdrawing(reason: str) -> Mutation:
    async def mutate(work: Work) -> Application:
        return await applications.withdraw(work.store, work.outbox, work.clock, work.current, reason)

    return mutate


def deciding(approved: bool, note: str) -> Mutation:
    """The supervisor's decision; an approved choice the borrower made on their page has its
    written plan sent at once (application/borrower_options.py)."""

    async def mutate(work: Work) -> Application:
        decided = await decisions.decide_approval(work.store, work.clock, work.current, approved, note, work.agent)
        return await borrower_options.send_when_borrowers_choice(work.store, work.outbox, work.clock, decided, work.code_secret)

    return mutate
