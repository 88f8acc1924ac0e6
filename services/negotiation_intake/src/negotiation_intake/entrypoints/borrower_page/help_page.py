"""*I need help*'s routes (issue 21): the section (GET /b/help, need_help.py), the application sent
(POST /b/help: kept pending and a code sent to the phone on file), a new code for it (POST
/b/help/code/new) and the code entered (POST /b/help/code: the application made).

Nothing changes without the code (domain/borrower_changes.py): the form only keeps the change,
bound to this session, and asks notification to send a code, at most as often as the code limits
allow (domain/borrower_limits.py). The right code opens the application as an agent's would be
opened (application/borrower_help.py), from the borrower's page; any other code — wrong, expired,
locked, none asked for — gets one and the same refusal, and counts against the address's and the
loan's refused tries (a change's own code locks after CODE_TRIES wrong tries in all, however many
codes were sent for it). Codes sent for a loan are limited as notification limits them, in any
24 hours (send_code), so the page never promises a code that is not sent.

A form sent is counted against the session's and the address's limits before it is read (up to
five documents of 10 MB), and its documents are checked a few forms at a time per process
(BorrowerPage.document_checks). A loan intake does not know as overdue is asked of the ledger
(overdue-detection) before the code's transaction, as the console asks it, so that early hardship
(domain/early_hardship.py) is judged as it is for an agent. The application made is in the audit
log as an agent's is, by `borrower-page`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.applications import loan_currency
from negotiation_intake.application.borrower_changes import Apply, ChangeFile, Confirmed
from negotiation_intake.application.borrower_help import applying_for_help, hardship_details
from negotiation_intake.application.errors import ConflictError, NotFoundError, RuleError
from negotiation_intake.application.ports import Ledger, LedgerUnavailableError
from negotiation_intake.domain.borrower_changes import CODE_TRIES, CODE_VALID_MINUTES, ChangeKind, PendingChange
from negotiation_intake.domain.borrower_limits import (
    HELP_FORMS_PER_CLIENT,
    HELP_FORMS_PER_SESSION,
)
from negotiation_intake.domain.evidence import MAX_BYTES, UnacceptableDocumentError
from negotiation_intake.entrypoints.asked_ledger import ask_ledger_first
from negotiation_intake.entrypoints.borrower_page import change_codes
from negotiation_intake.entrypoints.borrower_page.change_codes import (
    ask_code,
    audit_borrowers_change,
    confirmed_change,
    latest_change,
    session_key,
    waits_for_code,
)
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
from negotiation_intake.entrypoints.borrower_page.pages import Visit, carries_token, checked_form, frame, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.plan_page import entered_code
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, PageState, client_of, counted, render
from tideover_runtime.clock import Clock
from tideover_runtime.database import Connection

router = APIRouter(include_in_schema=False)
HELP_PATH = "/help"
#: The form's fields: the form token, the reason, two amounts, the description.
MOST_FIELDS = 8
#: What the section says after a redirect (`?done=`).
SAID = {"code_sent": "help_code_sent", "applied": "help_applied"}
#: The lender's currency when intake heard none for the loan (the seed policy's loans are in CNY).
DEFAULT_CURRENCY = "CNY"
#: The audit's name of an application opened, the agents' and the page's alike.
OPENED = "open_application"


@router.get(HELP_PATH)
async def need_help_page(request: Request, page: PageState, done: str | None = None) -> Response:
    visit = await visiting(page, request)
    return await _section(request, page, visit, words_of(visit, request), said=SAID.get(done or ""))


@router.post(HELP_PATH)
async def ask_for_help(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    async with page.resources().pool.acquire() as connection, connection.transaction():  # before the form is read
        await counted(connection, [(HELP_FORMS_PER_SESSION, session_key(visit)), (HELP_FORMS_PER_CLIENT, client_of(request))])
    form = await request.form(max_files=MAX_FILES + 1, max_fields=MOST_FIELDS)
    if not carries_token(form, visit):
        return render(request, "message.html", words, 403, message="form_expired")
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    files = [await _sent(item) for item in form.getlist("files") if isinstance(item, UploadFile)]
    async with page.document_checks:  # decoding images takes a while, and memory
        parsed = await asyncio.to_thread(read_help, fields, files, checked_document)
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
            change = _pending(visit, parsed, resources.clock.now())
            await ask_code(connection, request, page, change, new=True, files=list(parsed.files))
    if hidden:
        return await _section(request, page, visit, words, 409)
    return RedirectResponse(f"{PREFIX}{HELP_PATH}?done=code_sent", status_code=303)


@router.post(HELP_PATH + "/code/new")
async def new_code(request: Request, page: PageState) -> Response:
    return await change_codes.new_code(request, page, ChangeKind.HARDSHIP_APPLICATION, HELP_PATH)


@router.post(HELP_PATH + "/code")
async def enter_code(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    try:
        confirmed = await _confirmed(request, page, visit, form)
    except LedgerUnavailableError:  # nothing was changed nor counted: the code still works
        return await _section(request, page, visit, words, 503, error="help_try_again")
    except (ConflictError, RuleError, NotFoundError, UnacceptableDocumentError, ValueError):
        # The right code, but the application cannot be opened now (an agent opened one meanwhile,
        # a plan came into force, an amount the loan's currency cannot hold): nothing was made,
        # and the section says why.
        return await _section(request, page, visit, words, 409, error="help_not_possible")
    if confirmed.applied:
        return RedirectResponse(f"{PREFIX}{HELP_PATH}?done=applied", status_code=303)
    return await _section(request, page, visit, words, 422, error="help_code_refused")


async def _confirmed(request: Request, page: BorrowerPage, visit: Visit, form: dict[str, str]) -> Confirmed:
    """The code entered against the session's pending application (change_codes.py). A loan intake
    does not know as overdue is asked of the ledger first, outside the transaction (as the console
    opens an application)."""
    resources = page.resources()
    code = entered_code(form.get("code", ""))
    ledger = await ask_ledger_first(resources, visit.loan.loan_id, None) if code and not visit.loan.overdue else None
    kind = ChangeKind.HARDSHIP_APPLICATION
    return await confirmed_change(
        request, page, visit, kind, form, lambda connection: _audited(request, connection, resources.clock, ledger)
    )


def _audited(request: Request, connection: Connection, clock: Clock, ledger: Ledger | None) -> Apply:
    """The application opened as applying_for_help opens it, and kept in the audit log in the same
    transaction as an agent's is (`changes.perform`), by the page's own caller."""
    store = PostgresIntakeStore(connection)
    opening = applying_for_help(store, clock, checked_document, ledger)

    async def apply(change: PendingChange, files: list[ChangeFile]) -> uuid.UUID:
        application_id = await opening(change, files)
        application = await store.application(application_id)
        assert application is not None  # opened in this transaction
        await audit_borrowers_change(connection, request, clock, OPENED, 201, None, application)
        return application_id

    return apply


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


async def _section(
    request: Request, page: BorrowerPage, visit: Visit, words: Words, status: int = 200, form: HelpForm | None = None, **said: Any
) -> Response:
    """The section: the application made from the page and its state, else why there is no form,
    else the code to enter for the change sent, else the form."""
    resources = page.resources()
    async with resources.pool.acquire() as connection:
        pending = await latest_change(connection, visit, ChangeKind.HARDSHIP_APPLICATION)
        active_plan = await PostgresIntakeStore(connection).active_plan(visit.loan.loan_id)
    applications = [(a.application_id, a.state) for a in visit.applications]
    hidden = why_no_form(applications, visit.loan.loan_id, active_plan)
    now = resources.clock.now()
    waiting = pending if waits_for_code(pending) else None  # locked: the form, to send again
    context = {
        "form": form or HelpForm({}),
        "hidden": hidden,
        "application": visit.applications[-1] if hidden == "application_open" and visit.applications else None,
        "waiting": None if hidden else waiting,
        "code_expired": waiting is not None and waiting.code_expired(now),
        "reasons": REASONS,
        "max_files": MAX_FILES,
        "max_description": MAX_DESCRIPTION,
        "code_valid_minutes": CODE_VALID_MINUTES,
        "code_tries": CODE_TRIES,
        "currency": loan_currency(visit.loan.snapshot) or DEFAULT_CURRENCY,
        **frame(visit, words, "need_help"),
    }
    return render(request, "need_help.html", words, status, **context, **said)
