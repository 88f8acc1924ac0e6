"""*How we contact you*'s routes (issue 21): the section (GET /b/contact, how_we_contact.py), the
choice sent (POST /b/contact: kept pending and a code sent to the phone on file), a new code for it
(POST /b/contact/code/new) and the code entered (POST /b/contact/code: ContactPreferencesChosen
published for notification, application/borrower_contact.py).

What the section offers is what notification answers (the legal window, the channels allowed and
on file, upstream's opt-outs): the rule stays there. When notification does not answer, the
section says the choice cannot be changed now, and nothing is kept. Nothing changes without the
code (domain/borrower_changes.py); any other code gets one and the same refusal."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.application.borrower_changes import Apply
from negotiation_intake.application.borrower_contact import applying_preferences, preferences_details, preferences_of
from negotiation_intake.domain.borrower_changes import CODE_TRIES, CODE_VALID_MINUTES, ChangeKind, ChangeState, PendingChange
from negotiation_intake.entrypoints.borrower_page import change_codes
from negotiation_intake.entrypoints.borrower_page.change_codes import (
    ask_code,
    confirmed_change,
    latest_change,
    session_key,
    waits_for_code,
)
from negotiation_intake.entrypoints.borrower_page.how_we_contact import (
    OFF,
    Chosen,
    ContactForm,
    ContactOffer,
    offer_of,
    read_contact,
    shown_values,
)
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.pages import Visit, checked_form, frame, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, PageState, render
from tideover_runtime.database import Connection

router = APIRouter(include_in_schema=False)
CONTACT_PATH = "/contact"
#: The form's fields: the form token, a rank for each of the four channels, the hours' start and end.
MOST_FIELDS = 8
#: What the section says after a redirect (`?done=`).
SAID = {"code_sent": "contact_code_sent", "saved": "contact_saved"}
KIND = ChangeKind.CONTACT_PREFERENCES


@router.get(CONTACT_PATH)
async def contact_page(request: Request, page: PageState, done: str | None = None, other: str | None = None) -> Response:
    visit = await visiting(page, request)
    return await _section(request, page, visit, words_of(visit, request), other=bool(other), said=SAID.get(done or ""))


@router.post(CONTACT_PATH)
async def choose_contact(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    fields = await checked_form(request, visit, MOST_FIELDS)
    if fields is None:
        return render(request, "message.html", words, 403, message="form_expired")
    offer = offer_of(await page.upstream.contact_choices(visit.loan.loan_id))  # no connection held meanwhile
    if offer is None or offer.why_no_form:
        return await _section(request, page, visit, words, 503 if offer is None else 409, offer=offer)
    form = read_contact(fields, offer)
    if form.chosen is None:
        return await _section(request, page, visit, words, 422, offer=offer, form=form)
    chosen = form.chosen
    resources = page.resources()
    details = preferences_details(chosen.preferred, chosen.opted_out, chosen.hours)
    change = PendingChange(
        uuid.uuid4(), visit.loan.loan_id, visit.loan.borrower_id, session_key(visit), KIND, details, resources.clock.now()
    )
    async with resources.pool.acquire() as connection, connection.transaction():
        await ask_code(connection, request, page, change, new=True)
    return RedirectResponse(f"{PREFIX}{CONTACT_PATH}?done=code_sent", status_code=303)


@router.post(CONTACT_PATH + "/code/new")
async def new_code(request: Request, page: PageState) -> Response:
    return await change_codes.new_code(request, page, KIND, CONTACT_PATH)


@router.post(CONTACT_PATH + "/code")
async def enter_code(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    resources = page.resources()

    def applying(connection: Connection) -> Apply:
        return applying_preferences(PostgresCommandOutbox(connection, resources.clock), resources.clock)

    confirmed = await confirmed_change(request, page, visit, KIND, form, applying)
    if confirmed.applied:
        return RedirectResponse(f"{PREFIX}{CONTACT_PATH}?done=saved", status_code=303)
    return await _section(request, page, visit, words, 422, error="contact_code_refused")


async def _section(
    request: Request,
    page: BorrowerPage,
    visit: Visit,
    words: Words,
    status: int = 200,
    *,
    offer: ContactOffer | None = None,
    form: ContactForm | None = None,
    other: bool = False,
    **said: Any,
) -> Response:
    """The section: cannot be changed now (notification silent), or why there is no form, else the
    code to enter for the choice sent (unless the borrower asked to choose again: `other`), else
    the form filled in with the choice so far."""
    if offer is None:
        offer = offer_of(await page.upstream.contact_choices(visit.loan.loan_id))
    resources = page.resources()
    async with resources.pool.acquire() as connection:
        pending = await latest_change(connection, visit, KIND)
    now = resources.clock.now()
    waiting = pending if waits_for_code(pending) and not other else None  # locked: the form, to send again
    chosen = _latest_choice(offer, pending)
    context = {
        "offer": offer,
        "hidden": offer.why_no_form if offer else None,
        "waiting": waiting if offer and not offer.why_no_form else None,
        "code_expired": waiting is not None and waiting.code_expired(now),
        "chosen": chosen,
        "form": form or ContactForm(shown_values(offer, chosen) if offer else {}),
        "off": OFF,
        "code_valid_minutes": CODE_VALID_MINUTES,
        "code_tries": CODE_TRIES,
        **frame(visit, words, "contact"),
    }
    return render(request, "contact.html", words, status, **context, **said)


def _latest_choice(offer: ContactOffer | None, pending: PendingChange | None) -> Chosen | None:
    """The choice notification keeps, or the one this session confirmed after it (notification
    takes it in a moment later)."""
    kept = offer.chosen if offer else None
    if pending is None or pending.state is not ChangeState.APPLIED:
        return kept
    if kept is not None and kept.chosen_at is not None and kept.chosen_at >= pending.created_at:
        return kept
    event = preferences_of(pending, pending.created_at)
    return Chosen(tuple(event.preferred_channels), tuple(event.opted_out_channels), event.preferred_hours)
