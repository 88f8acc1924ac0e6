"""*My options*'s routes (issue 21): the section (GET /b/options, my_options.py), an option chosen
(POST /b/options/choose: kept pending and a code sent to the phone on file), a new code for it
(POST /b/options/code/new) and the code entered (POST /b/options/code: the choice made, as an
agent's is, from the borrower's page — application/borrower_options.py — and its written plan
sent at once, or after a supervisor's approval).

Nothing changes without the code (domain/borrower_changes.py), and the choice binds the borrower
to nothing: the written plan's own code does, under *My plan*. The form names the offer and the
option; the application is always the loan's latest, never one the form names. An offer replaced
meanwhile, an option it does not have, or an application that moved on is refused beside the
options (409), and nothing is kept."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.borrower_changes import Apply, Confirmed
from negotiation_intake.application.borrower_options import applying_choice, choice_details
from negotiation_intake.application.errors import ConflictError, NotFoundError, RuleError
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import Action, InvalidTransitionError, State, allowed_actions
from negotiation_intake.domain.borrower_changes import CODE_TRIES, CODE_VALID_MINUTES, ChangeKind, PendingChange
from negotiation_intake.entrypoints.bodies import application_body
from negotiation_intake.entrypoints.borrower_page import change_codes
from negotiation_intake.entrypoints.borrower_page.change_codes import (
    ask_code,
    audit_borrowers_change,
    code_secret,
    confirmed_change,
    latest_change,
    session_key,
    waits_for_code,
)
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.my_options import MyOptions, explanation, my_options, option_title
from negotiation_intake.entrypoints.borrower_page.pages import Visit, checked_form, frame, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.plan_page import PLAN_PATH, PLAN_SENT
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, PageState, render
from negotiation_intake.entrypoints.console.offer_comparison import loan_schedule, needs_loan_schedule, offer_view
from tideover_contracts.events.plans import PlanOffered
from tideover_runtime.database import Connection

router = APIRouter(include_in_schema=False)
OPTIONS_PATH = "/options"
#: What the section says after a redirect (`?done=`).
SAID = {"code_sent": "options_code_sent", "awaiting_approval": "options_waiting_approval"}
#: The audit's name of the borrower's own choice.
ACTION = "choose_on_borrower_page"


@router.get(OPTIONS_PATH)
async def my_options_page(request: Request, page: PageState, done: str | None = None, other: str | None = None) -> Response:
    visit = await visiting(page, request)
    return await _section(request, page, visit, words_of(visit, request), said=SAID.get(done or ""), other=bool(other))


@router.post(OPTIONS_PATH + "/choose")
async def choose_option(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    resources = page.resources()
    async with resources.pool.acquire() as connection, connection.transaction():
        store = PostgresIntakeStore(connection)
        application = visit.applications[-1] if visit.applications else None
        offers = await store.offers(application.application_id) if application else []
        chosen = _choosable(application, offers[-1] if offers else None, form)
        if chosen is not None:
            details = choice_details(*chosen)
            change = PendingChange(
                uuid.uuid4(), visit.loan.loan_id, visit.loan.borrower_id, session_key(visit), ChangeKind.OPTION_CHOICE,
                details, resources.clock.now(),
            )  # fmt: skip
            await ask_code(connection, request, page, change, new=True)
    if chosen is None:
        return await _section(request, page, visit, words, 409, error="options_not_possible")
    return RedirectResponse(f"{PREFIX}{OPTIONS_PATH}?done=code_sent", status_code=303)


@router.post(OPTIONS_PATH + "/code/new")
async def new_code(request: Request, page: PageState) -> Response:
    return await change_codes.new_code(request, page, ChangeKind.OPTION_CHOICE, OPTIONS_PATH)


@router.post(OPTIONS_PATH + "/code")
async def enter_code(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    try:
        confirmed = await _confirmed(request, page, visit, form)
    except (ConflictError, RuleError, NotFoundError, InvalidTransitionError):
        # The right code, but the choice cannot be made now (a new offer came, the application
        # moved on, the written plan was sent as often as a day allows): nothing was made.
        return await _section(request, page, visit, words, 409, error="options_not_possible", other=True)
    if not confirmed.applied:
        return await _section(request, page, visit, words, 422, error="options_code_refused")
    async with page.resources().pool.acquire() as connection:
        application = await PostgresIntakeStore(connection).application(confirmed.result_id)  # type: ignore[arg-type]
    if application is not None and application.state is State.AWAITING_APPROVAL:
        return RedirectResponse(f"{PREFIX}{OPTIONS_PATH}?done=awaiting_approval", status_code=303)
    return RedirectResponse(f"{PREFIX}{PLAN_PATH}?done={PLAN_SENT}", status_code=303)


def _choosable(
    application: Application | None, offer: PlanOffered | None, form: dict[str, str]
) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    """The application, offer and option the form chose, if the option may be chosen now: the
    application's current offer, one of its options, in a state that takes a choice."""
    if application is None or offer is None or Action.CHOOSE not in allowed_actions(application.state):
        return None
    option_id = form.get("option_id", "")
    if form.get("offer_id") != str(offer.offer_id) or all(option.option_id != option_id for option in offer.options):
        return None
    return application.application_id, offer.offer_id, option_id


async def _confirmed(request: Request, page: BorrowerPage, visit: Visit, form: dict[str, str]) -> Confirmed:
    """The code entered against the session's pending choice: applied as the borrower's choice,
    audited as theirs, in the code's transaction."""
    resources = page.resources()

    def applying(connection: Connection) -> Apply:
        async def recorded(before: Application, after: Application) -> None:
            await audit_borrowers_change(connection, request, resources.clock, ACTION, 200, before, after)

        store = PostgresIntakeStore(connection)
        outbox = PostgresCommandOutbox(connection, resources.clock)
        return applying_choice(store, outbox, resources.clock, code_secret(page), recorded)

    return await confirmed_change(request, page, visit, ChangeKind.OPTION_CHOICE, form, applying)


async def _section(
    request: Request, page: BorrowerPage, visit: Visit, words: Words, status: int = 200, other: bool = False, **said: Any
) -> Response:
    """The section: the loan's latest application and its current offer as the borrower compares
    it; the code to enter for a choice waiting for one (unless the borrower asked to choose again)."""
    application = visit.applications[-1] if visit.applications else None
    async with page.resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        offers = await store.offers(application.application_id) if application else []
        copy = await store.loan(visit.loan.loan_id) if needs_loan_schedule(offers) else None
        pending = await latest_change(connection, visit, ChangeKind.OPTION_CHOICE)
    schedule = await loan_schedule(visit.loan.loan_id, copy) if needs_loan_schedule(offers) else None  # no connection held
    view = offer_view(offers[-1], application_body(application), schedule) if application and offers else None
    waiting = _waiting(pending, application, offers[-1].offer_id if offers else None, other)
    options = my_options(application, view, waiting.details["option_id"] if waiting else None)
    expired = waiting is not None and waiting.code_expired(page.resources().clock.now())
    context = section_context(visit, words, options, expired, waiting)
    return render(request, "my_options.html", words, status, **context, **said)


def section_context(
    visit: Visit, words: Words, view: MyOptions, code_expired: bool = False, waiting: PendingChange | None = None
) -> dict[str, Any]:
    """What my_options.html needs beside the words (`waiting`: the choice whose code is asked for)."""
    return {
        "view": view,
        "waiting_change": waiting,
        "option_title": option_title,
        "explanation": explanation,
        "code_expired": code_expired,
        "code_valid_minutes": CODE_VALID_MINUTES,
        "code_tries": CODE_TRIES,
        **frame(visit, words, "my_options"),
    }


def _waiting(
    pending: PendingChange | None, application: Application | None, offer_id: uuid.UUID | None, other: bool
) -> PendingChange | None:
    """The pending choice whose code the section asks for: sent, still for the current offer of
    the loan's application, and the borrower did not ask to choose again."""
    if other or pending is None or not waits_for_code(pending) or application is None:
        return None
    details = pending.details
    current = details.get("application_id") == str(application.application_id) and details.get("offer_id") == str(offer_id)
    return pending if current else None
