"""The change code as every section of the borrower's page asks for it and takes it (issue 21:
"any change the borrower makes is confirmed with a one-time code sent to their phone on file"):
a change kept pending for the session, its code asked of notification within the code limits
(domain/borrower_limits.py), and the code entered applied once, counted as a refused try from the
address unless it applied the change (application/borrower_changes.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from negotiation_intake.adapters import audit, borrower_tries
from negotiation_intake.adapters.borrower_changes import PostgresPendingChanges
from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.application.borrower_changes import Apply, ChangeFile, Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import from_the_borrower
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.borrower_changes import CODE_TRIES, ChangeKind, ChangeState, PendingChange
from negotiation_intake.domain.borrower_limits import CHANGE_CODE_TRIES_PER_LOAN, CODES_PER_CLIENT, CODES_PER_LOAN, PER_CLIENT
from negotiation_intake.entrypoints.bodies import application_body
from negotiation_intake.entrypoints.borrower_page.pages import Visit, checked_form, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.plan_page import entered_code
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, client_of, counted, render
from negotiation_intake.entrypoints.code_secret import configured_code_secret
from tideover_runtime.clock import Clock
from tideover_runtime.database import Connection

#: The code form's hidden field naming the change it was shown for.
CHANGE_FIELD = "change"


def session_key(visit: Visit) -> str:
    """What a change is bound to: the session token's SHA-256, as borrower_sessions keeps it."""
    return hashlib.sha256(visit.token.encode()).hexdigest()


async def latest_change(connection: Connection, visit: Visit, kind: ChangeKind) -> PendingChange | None:
    """The session's latest change of `kind` for the visit's loan."""
    return await PostgresPendingChanges(connection).latest(visit.loan.loan_id, session_key(visit), kind)


def waits_for_code(pending: PendingChange | None) -> bool:
    """Whether `pending` waits for its code: sent, not applied, its tries not used up (a locked
    change is made again from its form)."""
    return (
        pending is not None
        and pending.state is ChangeState.PENDING
        and bool(pending.code_hash)
        and pending.code_tries < CODE_TRIES
    )


def code_secret(page: BorrowerPage) -> bytes:
    return configured_code_secret(page.resources().settings.development)


async def ask_code(
    connection: Connection,
    request: Request,
    page: BorrowerPage,
    change: PendingChange,
    *,
    new: bool,
    files: list[ChangeFile] | None = None,
) -> None:
    """Within the caller's transaction: counted against the code limits (OverTheLimitError beyond
    them), `change` kept if `new` (with its files), and a fresh code for it sent through
    notification."""
    await counted(connection, [(CODES_PER_LOAN, str(change.loan_id)), (CODES_PER_CLIENT, client_of(request))])
    changes = PostgresPendingChanges(connection)
    if new:
        await changes.add(change, files or [])
    resources = page.resources()
    outbox = PostgresCommandOutbox(connection, resources.clock)
    await send_code(changes, outbox, resources.clock, change, code_secret(page))


async def new_code(request: Request, page: BorrowerPage, kind: ChangeKind, path: str) -> Response:
    """POST <section>/code/new: a fresh code for the session's change of `kind` that waits for one
    (within the code limits), then back to the section at `path`; nothing waiting: back alone."""
    visit = await visiting(page, request)
    if await checked_form(request, visit) is None:
        return render(request, "message.html", words_of(visit, request), 403, message="form_expired")
    async with page.resources().pool.acquire() as connection, connection.transaction():
        pending = await latest_change(connection, visit, kind)
        if pending is None or not waits_for_code(pending):  # a locked change is made again from its form
            return RedirectResponse(PREFIX + path, status_code=303)
        await ask_code(connection, request, page, pending, new=False)
    return RedirectResponse(f"{PREFIX}{path}?done=code_sent", status_code=303)


async def audit_borrowers_change(
    connection: Connection,
    request: Request,
    clock: Clock,
    action: str,
    status: int,
    before: Application | None,
    after: Application,
) -> None:
    """An application the borrower changed on the page, kept in the audit log as an agent's change
    is (`changes.perform`), by the page's own caller, in the change's transaction."""
    await audit.append(
        connection,
        at=clock.now(),
        agent=from_the_borrower(after.loan_id),
        action=action,
        method=request.method,
        path=request.url.path,
        status=status,
        application_id=after.application_id,
        before=application_body(before) if before else None,
        after=application_body(after),
    )


async def confirmed_change(
    request: Request,
    page: BorrowerPage,
    visit: Visit,
    kind: ChangeKind,
    form: dict[str, str],
    applying: Callable[[Connection], Apply],
) -> Confirmed:
    """The code the form carries (`code`) entered against the session's latest change of `kind`
    — which must be the change the form was shown for (`change`: a code sent for a choice made
    meanwhile in another tab does not confirm the one this page showed) — applied by what
    `applying` makes of the transaction's connection; counted as a refused try from the address
    and the loan unless it applied the change. An error the change raises rolls it all back."""
    code = entered_code(form.get("code", ""))
    resources = page.resources()
    # Per loan too, across sessions, addresses and changes (the security review of issue 21).
    limits = [(PER_CLIENT, client_of(request)), (CHANGE_CODE_TRIES_PER_LOAN, str(visit.loan.loan_id))]
    async with resources.pool.acquire() as connection, connection.transaction():
        await counted(connection, limits)
        changes = PostgresPendingChanges(connection)
        pending = await changes.latest(visit.loan.loan_id, session_key(visit), kind)
        if code is None or pending is None or form.get(CHANGE_FIELD) != str(pending.change_id):
            return Confirmed(None)
        now = resources.clock.now()
        confirmed = await confirm_change(
            changes, now, pending.change_id, session_key(visit), code, code_secret(page), applying(connection)
        )
        if confirmed.applied:
            await borrower_tries.forgive_try(connection, limits)
    return confirmed
