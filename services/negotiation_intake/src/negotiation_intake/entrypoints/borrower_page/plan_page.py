"""*My plan*'s routes (issue 21): the section (GET /b/plan, my_plan.py) and the written plan
confirmed with the code the borrower got by SMS (POST /b/plan/confirmation).

The confirmation is the borrower's own, made as POST /v1/borrower/confirmations makes it
(entrypoints/borrower.py `confirming_by_borrower` through `changes.perform`): the same caller
(`borrower_of` the application, whose Idempotency-Keys are its own), the same audit entry, the
same limits on refused tries per application and per address, and one refusal whatever the
reason — a wrong, locked or expired code, or nothing to confirm; the code is never shown again.
The form carries the session's form token (as the language switch does) and a key of its own,
new each time the form is shown, as the Idempotency-Key: sent twice, it is one try. The key's
fingerprint names the code only by its HMAC with the server's code secret (`code_hash`, as the
application keeps it), so that the idempotency table does not give a six-digit code away. A code
is read as a phone types it: full-width digits and spaces are the same code."""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.decisions import current_offer
from negotiation_intake.application.errors import ConflictError
from negotiation_intake.domain.application_state import code_hash
from negotiation_intake.entrypoints.borrower import borrower_of, confirming_by_borrower
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.my_plan import (
    MyPlan,
    PlanTerms,
    asks_tracking,
    my_plan,
    written_application,
)
from negotiation_intake.entrypoints.borrower_page.pages import Visit, checked_form, frame, visiting, words_of
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, BorrowerPage, PageState, client_of, keep_refusal, render
from negotiation_intake.entrypoints.changes import Change, perform
from negotiation_intake.entrypoints.code_secret import configured_code_secret
from tideover_contracts.common import Language
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.policy import PlanRules

router = APIRouter(include_in_schema=False)
PLAN_PATH = "/plan"
#: The audit's name of the borrower's own confirmation, the API's and the page's alike.
ACTION = "confirm_via_borrower_confirm_endpoint"
#: After a confirmation, the section says so (`?done=confirmed`) if the plan stands accepted.
CONFIRMED = "confirmed"
#: Once the written plan of the borrower's own choice was sent (options_page.py), `?done=plan_sent`.
PLAN_SENT = "plan_sent"
CODE_DIGITS = 6


@router.get(PLAN_PATH)
async def my_plan_page(request: Request, page: PageState, done: str | None = None) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    view = await _my_plan(page, visit, words)
    accepted = view.progress is not None or (view.written is not None and view.written.accepted)
    sent = view.written is not None and not view.written.accepted
    said = "plan_confirmed" if done == CONFIRMED and accepted else "options_plan_sent" if done == PLAN_SENT and sent else None
    return _section(request, page, visit, words, view, said=said)


@router.post(PLAN_PATH + "/confirmation")
async def confirm_plan(request: Request, page: PageState) -> Response:
    visit = await visiting(page, request)
    words = words_of(visit, request)
    form = await checked_form(request, visit)
    if form is None:
        return render(request, "message.html", words, 403, message="form_expired")
    code = entered_code(form.get("code", ""))
    # The application to confirm is the loan's, never one the form names; with none sent, the
    # latest is refused as any other would be (and the try counted).
    application = written_application(visit.applications) or (visit.applications[-1] if visit.applications else None)
    if code is None or application is None:
        error = "code_format" if code is None else "not_confirmed"
        return _section(request, page, visit, words, await _my_plan(page, visit, words), status=422, error=error)
    outcome = await perform(page.resources, _confirmation(request, page, application.application_id, code, form))
    if outcome.status == 429:
        return await _too_many(request, page, words, outcome.body)
    if outcome.status < 400:
        return RedirectResponse(f"{PREFIX}{PLAN_PATH}?done={CONFIRMED}", status_code=303)
    view = await _my_plan(page, visit, words)
    return _section(request, page, visit, words, view, status=422, error="not_confirmed")


def entered_code(typed: str) -> str | None:
    """The code as typed on a phone — full-width digits (NFKC), spaces — or None if it is not
    six digits."""
    code = "".join(unicodedata.normalize("NFKC", typed).split())
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def _confirmation(request: Request, page: BorrowerPage, application_id: uuid.UUID, code: str, form: dict[str, str]) -> Change:
    """The borrower's confirmation as the API makes it, fingerprinted by the application and the
    code's HMAC (see above); the audit keeps neither."""
    key = form.get("once") or None
    hashed = code_hash(configured_code_secret(page.resources().settings.development), str(application_id), code)
    return Change(
        borrower_of(application_id),
        ACTION,
        confirming_by_borrower(application_id, code, client_of(request)),
        method=request.method,
        path=request.url.path,
        body=f"application_id={application_id}&code_hash={hashed}".encode(),
        idempotency_key=key if key and len(key) <= 100 and key.isascii() else None,
    )


async def _my_plan(page: BorrowerPage, visit: Visit, words: Words) -> MyPlan:
    """*My plan* for the visit: the written plan's offer read from intake, then (no connection
    held meanwhile) repayment-tracking and overdue-detection asked as the console asks them."""
    application = written_application(visit.applications)
    offer: PlanOffered | None = None
    if application is not None:
        async with page.resources().pool.acquire() as connection:
            try:  # the offer the written plan was sent from (written_plan.send)
                offer = await current_offer(PostgresIntakeStore(connection), application)
            except ConflictError:
                offer = None
    upstream = await page.upstream.loan(visit.loan.loan_id) if asks_tracking(application) else None
    terms = PlanTerms(page.plan_rules, page.how_to_pay)
    return my_plan(visit.loan, application, offer, upstream, terms, words.written_in)


def section_context(
    visit: Visit, words: Words, view: MyPlan, rules: PlanRules, how_to_pay: Mapping[Language, str]
) -> dict[str, Any]:
    """What my_plan.html needs beside the words: the section, the plan's rules, how to pay, the
    loan's reference, a new key for the form, and the frame."""
    return {
        "view": view,
        "rules": rules,
        "how_to_pay": how_to_pay[words.written_in],
        "loan_id": visit.loan.loan_id,
        "once": secrets.token_urlsafe(16),
        **frame(visit, words, "my_plan"),
    }


def _section(
    request: Request, page: BorrowerPage, visit: Visit, words: Words, view: MyPlan, status: int = 200, **said: Any
) -> Response:
    context = section_context(visit, words, view, page.plan_rules, page.how_to_pay)
    return render(request, "my_plan.html", words, status, **context, **said)


async def _too_many(request: Request, page: BorrowerPage, words: Words, problem: dict[str, Any]) -> Response:
    """Beyond a limit of refused tries: the page's own answer to one (__init__.py), kept as the
    API's is kept, in the refusal log."""
    wait = int(problem.get("retry_after") or 60)
    await keep_refusal(page, request, 429, str(problem.get("rule")), "too many tries that confirmed nothing", request.url.path)
    response = render(request, "message.html", words, 429, message="too_many", minutes=max(1, -(-wait // 60)))
    response.headers["Retry-After"] = str(wait)
    return response
