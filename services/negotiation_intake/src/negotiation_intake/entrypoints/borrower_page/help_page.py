"""*I need help*'s routes (issue 21): the section (GET /b/help, need_help.py), the application sent
(POST /b/help: kept pending and a code sent to the phone on file), a new code for it (POST
/b/help/code/new) and the code entered (POST /b/help/code: the application made).

Nothing changes without the code (domain/borrower_changes.py): the form only keeps the change,
bound to this session, and asks notification to send a code, at most as often as the code limits
allow (domain/borrower_limits.py). The right code opens the application as an agent's would be
opened (application/borrower_help.py), from the borrower's page; any other code — wrong, expired,
locked, none asked for — gets one and the same refusal, and counts against the address's refused
tries as the written plan's code does."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from negotiation_intake.adapters import borrower_tries
from negotiation_intake.adapters.borrower_changes import PostgresPendingChanges
from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.applications import loan_currency
from negotiation_intake.application.borrower_changes import Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import applying_for_help, hardship_details
from negotiation_intake.application.errors import ConflictError, NotFoundError, RuleError
from negotiation_intake.domain.borrower_changes import CODE_TRIES, CODE_VALID_MINUTES, ChangeKind, ChangeState, PendingChange
from negotiation_intake.domain.borrower_limits import CODES_PER_CLIENT, CODES_PER_LOAN, PER_CLIENT
from negotiation_intake.domain.evidence import MAX_BYTES, UnacceptableDocumentError
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.need_help import (
    MAX_DESCRIPTION,
    MAX_FILES,
    REASONS,
    HelpForm,
    SentFile,
    read_help,
    why_no_form,
)
from negotiation_intake.entrypoints.borrower_page.pages import Visit, checked_form, frame, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.plan_page import entered_code
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, PageState, client_of, counted, render
from negotiation_intake.entrypoints.code_secret import configured_code_secret

router = APIRouter(include_in_schema=False)
HELP_PATH = "/help"
#: The form's fields: the form token, the reason, two amounts, the description.
MOST_FIELDS = 8
#: What the section says after a redirect (`?done=`).
SAID = {"code_sent": "help_code_sent", "applied": "help_applied"}
#: The lender's currency when intake heard none for the loan (the seed policy's loans are in CNY).
DEFAULT_CURRENCY = "CNY"


def session_key(visit: Visit) -> str:
    """What a change is bound to: the session token's SHA-256, as borrower_sessions keeps it."""
    return hashlib.sha256(visit.token.encode()).hexdigest()


@router.get(HELP_PATH)
async def need_help_page(request: Request, page: PageState, done: str | None = None) -> Response:
    visit = await visiting(page, request)
    return await _section(request, page, visit, words_of(visit, request), said=SAID.get(done or ""))


@router.post(HELP_PATH)
async def ask_for_help(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await request.form(max_files=MAX_FILES + 1, max_fields=MOST_FIELDS)
    if not _carries_token(form, visit):
        return render(request, "message.html", words, 403, message="form_expired")
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    files = [await _sent(item) for item in form.getlist("files") if isinstance(item, UploadFile)]
    parsed = await asyncio.to_thread(read_help, fields, files, checked_document)  # parsing takes a while
    if parsed.errors:
        return await _section(request, page, visit, words, 422, form=parsed)
    resources = page.resources()
    async with resources.pool.acquire() as connection, connection.transaction():
        store = PostgresIntakeStore(connection)
        applications = [(a.application_id, a.state) for a in await store.applications_for_loan(visit.loan.loan_id)]
        if why_no_form(applications, visit.loan.loan_id, await store.active_plan(visit.loan.loan_id)):
            hidden = True
        else:
            hidden = False
            await counted(connection, [(CODES_PER_LOAN, str(visit.loan.loan_id)), (CODES_PER_CLIENT, client_of(request))])
            change = _pending(visit, parsed, resources.clock.now())
            changes = PostgresPendingChanges(connection)
            await changes.add(change, list(parsed.files))
            outbox = PostgresCommandOutbox(connection, resources.clock)
            await send_code(changes, outbox, resources.clock, change, _code_secret(page))
    if hidden:
        return await _section(request, page, visit, words, 409)
    return RedirectResponse(f"{PREFIX}{HELP_PATH}?done=code_sent", status_code=303)


@router.post(HELP_PATH + "/code/new")
async def new_code(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    if await checked_form(request, visit) is None:
        return render(request, "message.html", words_of(visit, request), 403, message="form_expired")
    resources = page.resources()
    async with resources.pool.acquire() as connection, connection.transaction():
        changes = PostgresPendingChanges(connection)
        pending = await changes.latest(visit.loan.loan_id, session_key(visit), ChangeKind.HARDSHIP_APPLICATION)
        if pending is None or pending.state is not ChangeState.PENDING:  # nothing waits for a code
            return RedirectResponse(PREFIX + HELP_PATH, status_code=303)
        await counted(connection, [(CODES_PER_LOAN, str(visit.loan.loan_id)), (CODES_PER_CLIENT, client_of(request))])
        outbox = PostgresCommandOutbox(connection, resources.clock)
        await send_code(changes, outbox, resources.clock, pending, _code_secret(page))
    return RedirectResponse(f"{PREFIX}{HELP_PATH}?done=code_sent", status_code=303)


@router.post(HELP_PATH + "/code")
async def enter_code(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    try:
        confirmed = await _confirmed(request, page, visit, entered_code(form.get("code", "")))
    except (ConflictError, RuleError, NotFoundError, UnacceptableDocumentError, ValueError):
        # The right code, but the application cannot be opened now (an agent opened one meanwhile,
        # a plan came into force, an amount the loan's currency cannot hold): nothing was made,
        # and the section says why.
        return await _section(request, page, visit, words, 409, error="help_not_possible")
    if confirmed.applied:
        return RedirectResponse(f"{PREFIX}{HELP_PATH}?done=applied", status_code=303)
    return await _section(request, page, visit, words, 422, error="help_code_refused")


async def _confirmed(request: Request, page: BorrowerPage, visit: Visit, code: str | None) -> Confirmed:
    """The code entered against the session's latest change, counted as a refused try from the
    address unless it applied the change."""
    resources = page.resources()
    limits = [(PER_CLIENT, client_of(request))]
    async with resources.pool.acquire() as connection, connection.transaction():
        await counted(connection, limits)
        changes = PostgresPendingChanges(connection)
        pending = await changes.latest(visit.loan.loan_id, session_key(visit), ChangeKind.HARDSHIP_APPLICATION)
        if code is None or pending is None:
            return Confirmed(None)
        apply = applying_for_help(PostgresIntakeStore(connection), resources.clock, checked_document)
        now = resources.clock.now()
        confirmed = await confirm_change(changes, now, pending.change_id, session_key(visit), code, _code_secret(page), apply)
        if confirmed.applied:
            await borrower_tries.forgive_try(connection, limits)
    return confirmed


def _pending(visit: Visit, form: HelpForm, now: datetime) -> PendingChange:
    """The application the form made, pending its code (read_help filled every field in)."""
    if form.reason is None or form.income is None or form.expenses is None:
        raise ValueError("a form with refusals makes no change")
    currency = loan_currency(visit.loan.snapshot) or DEFAULT_CURRENCY
    details = hardship_details(form.reason, form.income, form.expenses, currency, form.values["description"])
    kind = ChangeKind.HARDSHIP_APPLICATION
    return PendingChange(uuid.uuid4(), visit.loan.loan_id, visit.loan.borrower_id, session_key(visit), kind, details, now)


async def _sent(upload: UploadFile) -> SentFile:
    return SentFile(upload.filename or "", await upload.read(MAX_BYTES + 1))


def _carries_token(form: FormData, visit: Visit) -> bool:
    sent = form.get("csrf")
    # compare_digest takes ASCII text only: any other is not our token.
    return isinstance(sent, str) and sent.isascii() and hmac.compare_digest(sent, visit.session.csrf_token)


def _code_secret(page: BorrowerPage) -> bytes:
    return configured_code_secret(page.resources().settings.development)


async def _section(
    request: Request, page: BorrowerPage, visit: Visit, words: Words, status: int = 200, form: HelpForm | None = None, **said: Any
) -> Response:
    """The section: the application made from the page and its state, else why there is no form,
    else the code to enter for the change sent, else the form."""
    resources = page.resources()
    async with resources.pool.acquire() as connection:
        pending = await PostgresPendingChanges(connection).latest(visit.loan.loan_id, session_key(visit), ChangeKind.HARDSHIP_APPLICATION)
        active_plan = await PostgresIntakeStore(connection).active_plan(visit.loan.loan_id)
    applications = [(a.application_id, a.state) for a in visit.applications]
    hidden = why_no_form(applications, visit.loan.loan_id, active_plan)
    now = resources.clock.now()
    waiting = pending if pending is not None and pending.state is ChangeState.PENDING and pending.code_hash else None
    context = {
        "form": form or HelpForm({}),
        "hidden": hidden,
        "application": visit.applications[-1] if hidden == "application_open" and visit.applications else None,
        "waiting": None if hidden else waiting,
        "code_expired": bool(waiting and waiting.code_expires_at and now >= waiting.code_expires_at),
        "reasons": REASONS,
        "max_files": MAX_FILES,
        "max_description": MAX_DESCRIPTION,
        "code_valid_minutes": CODE_VALID_MINUTES,
        "code_tries": CODE_TRIES,
        "currency": loan_currency(visit.loan.snapshot) or DEFAULT_CURRENCY,
        **frame(visit, words, "need_help"),
    }
    return render(request, "need_help.html", words, status, **context, **said)
