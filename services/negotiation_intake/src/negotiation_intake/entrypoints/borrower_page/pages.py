"""The borrower's page once a link opened it (issue 21): its frame — the borrower's language,
the sections that exist and have something to show (*My plan*, plan_page.py, once a written
plan was sent or a plan is on the loan) — and its first section, *My loan* (GET /b/); the
language switch and leaving (POSTs carrying the session's form token); the page after leaving.

Every request is counted against the page's limit per address (429, Retry-After) and, but the
page after leaving, needs a session that still holds: its loan still the borrower's, its link not
expired, not idle too long (else 403, saying how to open the page again)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from negotiation_intake.adapters import borrower_sessions
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.borrower_access import BorrowerSession
from negotiation_intake.domain.borrower_limits import PAGE_PER_CLIENT
from negotiation_intake.entrypoints.borrower_page.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    Words,
    accepted_language,
    contact_language,
    page_language,
)
from negotiation_intake.entrypoints.borrower_page.my_loan import my_loan
from negotiation_intake.entrypoints.borrower_page.my_plan import shows_my_plan
from negotiation_intake.entrypoints.borrower_page.state import (
    PREFIX,
    BorrowerPage,
    NoSessionError,
    PageState,
    client_of,
    counted,
    render,
)

router = APIRouter(include_in_schema=False)
#: The page's sections that exist, in the order the navigation lists them (issue 21 adds *I need
#: help*, *My options* and *How we contact you* as each is built): name, path.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("my_loan", "/"),
    ("need_help", "/help"),
    ("my_options", "/options"),
    ("my_plan", "/plan"),
    ("contact", "/contact"),
)
#: A form of the page has a field or two; nothing is uploaded here.
MOST_FIELDS = 5


@dataclass(frozen=True)
class Visit:
    """A request within a session that holds: the session's token, the session, its loan and
    the loan's applications (oldest first)."""

    token: str
    session: BorrowerSession
    loan: LoanView
    applications: tuple[Application, ...] = ()


async def visiting(page: BorrowerPage, request: Request) -> Visit:
    """The request counted against the page's limit, and the session its cookie names if it still
    holds (NoSessionError if not: a session that no longer holds is ended)."""
    resources = page.resources()
    token = page.cookie.presented(request)
    async with resources.pool.acquire() as connection, connection.transaction():
        await counted(connection, [(PAGE_PER_CLIENT, client_of(request))])
        session = await borrower_sessions.resume(connection, token, page.idle) if token else None
        store = PostgresIntakeStore(connection)
        loan = await store.loan(session.loan_id) if session else None
        holds = session is not None and session.holds(loan.borrower_id if loan else None, resources.clock.now())
        if token and session and not holds:
            await borrower_sessions.end(connection, token)
        applications = tuple(await store.applications_for_loan(loan.loan_id)) if loan and holds else ()
    if not (token and session and loan and holds):
        raise NoSessionError
    return Visit(token, session, loan, applications)


def words_of(visit: Visit, request: Request) -> Words:
    contact = contact_language(visit.loan.snapshot)
    return Words(page_language(visit.session.language, contact, request.headers.get("accept-language")))


def frame(visit: Visit, words: Words, current: str) -> dict[str, Any]:
    """What base.html needs beyond the words: the form token, the sections, the other languages."""
    others = [(language, LANGUAGE_NAMES[language]) for language in LANGUAGES if language != words.language]
    return {"csrf": visit.session.csrf_token, "sections": sections_of(visit), "current": current, "other_languages": others}


def sections_of(visit: Visit) -> tuple[tuple[str, str], ...]:
    """The sections the navigation lists: those with something to show."""
    plan = shows_my_plan(visit.loan, visit.applications)
    return tuple((name, path) for name, path in SECTIONS if name != "my_plan" or plan)


@router.get("/")
async def my_loan_page(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    upstream = await page.upstream.loan(visit.loan.loan_id)  # no connection held meanwhile
    view = my_loan(visit.loan, upstream.get("overdue"), page.how_to_pay, words.written_in)
    return render(request, "my_loan.html", words, view=view, **frame(visit, words, "my_loan"))


@router.post("/language")
async def switch_language(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words_of(visit, request), 403, message="form_expired")
    chosen = form.get("lang")
    if isinstance(chosen, str) and chosen in LANGUAGES:
        async with page.resources().pool.acquire() as connection:
            await borrower_sessions.set_language(connection, visit.token, chosen)
    back = dict(SECTIONS).get(form.get("back") or "", "/")  # the section it was switched on
    return RedirectResponse(PREFIX + back, status_code=303)


@router.post("/leave")
async def leave(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    if await checked_form(request, visit) is None:
        return render(request, "message.html", words_of(visit, request), 403, message="form_expired")
    async with page.resources().pool.acquire() as connection:
        await borrower_sessions.end(connection, visit.token)  # a copy of the cookie opens nothing now
    response = RedirectResponse(PREFIX + "/left", status_code=303)
    response.headers.append("Set-Cookie", page.cookie.clear_cookie(page.cookie.secure(request)))
    return response


@router.get("/left")
async def left(request: Request, page: PageState) -> Response:
    resources = page.resources()
    async with resources.pool.acquire() as connection, connection.transaction():
        await counted(connection, [(PAGE_PER_CLIENT, client_of(request))])
    words = Words(accepted_language(request.headers.get("accept-language")) or "")
    return render(request, "message.html", words, message="left")


async def checked_form(request: Request, visit: Visit, max_fields: int = MOST_FIELDS) -> dict[str, str] | None:
    """The posted form's fields (at most `max_fields`, no file) if it carries the session's form
    token (None if not)."""
    form = await request.form(max_files=0, max_fields=max_fields)
    if not carries_token(form, visit):
        return None
    return {name: value for name, value in form.items() if isinstance(value, str)}


def carries_token(form: FormData, visit: Visit) -> bool:
    """Whether a posted form carries the session's form token."""
    sent = form.get("csrf")
    # compare_digest takes ASCII text only: any other is not our token.
    return isinstance(sent, str) and sent.isascii() and hmac.compare_digest(sent, visit.session.csrf_token)
