"""The borrower's link opened (issue 21): GET /b/<token>.

A good link — well formed, signed for the current borrower of the loan it names, not expired by
the service's clock — starts a session bound to that loan and borrower (adapters/
borrower_sessions.py) and answers 303 to the page, whose address carries no token (neither the
history nor a Referer has it; every answer says Referrer-Policy: no-referrer besides). Any other
link gets one answer, the same status and body whatever was wrong with it, saying that it cannot
be opened and how to get a new one, in the browser's language: nothing tells a loan that exists
from one that does not, or an expired link from an altered one. Why it was refused is kept in
the refusal log, with the loan it named, never the token.

Every try is counted against the page's limit per address, and a refused one against the links'
limit per address, before the link is checked: beyond one, 429 with Retry-After (the page's
answer, __init__.py), whatever the link. A link refused although its signature holds for the
loan's borrower (expired) is counted against the loan's limit too, and beyond it answered 429; a
token whose signature does not hold is not: anybody can write one naming a loan id they know, and
would lock its borrower out (domain/borrower_limits.py LINK_PER_LOAN). A link signed for a
previous borrower of a moved loan cannot be told from a forged one, and counts per address only.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from negotiation_intake.adapters import borrower_sessions, borrower_tries
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.domain.borrower_access import BorrowerSession, LinkRefusal, refusal_of_link, session_lifetime
from negotiation_intake.domain.borrower_limits import LINK_PER_CLIENT, LINK_PER_LOAN, PAGE_PER_CLIENT, TryLimit
from negotiation_intake.entrypoints.borrower_page.i18n import Words, accepted_language
from negotiation_intake.entrypoints.borrower_page.state import (
    LINK_PATH,
    PREFIX,
    BorrowerPage,
    PageState,
    client_of,
    counted,
    keep_refusal,
    render,
)
from tideover_runtime.borrower_links import UnverifiedLink, read

router = APIRouter(include_in_schema=False)
#: What a messaging app may stick to the end of a link it found in a text ("…/b/<token>." or
#: "(…/b/<token>)"): never part of a token (URL-safe base64 without padding).
TRAILING = "/.,;:!?)]}>'\"。，"
#: The one answer to a link that does not open the page.
REFUSED_STATUS = 404


@router.get("/{token:path}")
async def open_link(token: str, request: Request, page: PageState) -> Response:
    link = read(token.rstrip(TRAILING))
    client = client_of(request)
    started = await _start_session(page, link, [(PAGE_PER_CLIENT, client), (LINK_PER_CLIENT, client)])
    if isinstance(started, LinkRefusal):
        await keep_refusal(page, request, REFUSED_STATUS, "borrower_link", _named(link, started.value), LINK_PATH)
        words = Words(accepted_language(request.headers.get("accept-language")) or "")
        return render(request, "message.html", words, REFUSED_STATUS, message="link_refused")
    session_token, lifetime = started
    secure = page.cookie.secure(request)
    response = RedirectResponse(PREFIX + "/", status_code=303)
    response.headers.append("Set-Cookie", page.cookie.set_cookie(session_token, secure, lifetime))
    return response


async def _start_session(
    page: BorrowerPage, link: UnverifiedLink | None, limits: list[tuple[TryLimit, str]]
) -> tuple[str, timedelta] | LinkRefusal:
    """In one transaction: the try counted, the link checked against the loan intake knows, a
    link refused whose signature holds counted against its loan too, and a good link's session
    started and its try forgiven (the session's token and lifetime)."""
    resources = page.resources()
    now = resources.clock.now()
    async with resources.pool.acquire() as connection, connection.transaction():
        await counted(connection, limits)
        loan = await PostgresIntakeStore(connection).loan(link.loan_id) if link is not None else None
        refusal = refusal_of_link(link, loan.borrower_id if loan else None, now, page.secret)
        if refusal is LinkRefusal.EXPIRED and link is not None:  # signed by us for this borrower
            await counted(connection, [(LINK_PER_LOAN, str(link.loan_id))])
        if refusal is not None or link is None or loan is None:
            return refusal or LinkRefusal.MALFORMED
        await borrower_tries.forgive_try(connection, limits[1:])
        lifetime = session_lifetime(link.expires_at, now, page.longest)
        token = borrower_sessions.new_token()
        session = BorrowerSession(link.loan_id, loan.borrower_id, borrower_sessions.new_csrf(), "", link.expires_at)
        await borrower_sessions.start(connection, token, session, lifetime, page.idle)
    return token, lifetime


def _named(link: UnverifiedLink | None, why: str) -> str:
    """What the refusal log keeps of why: the loan a well-formed link named, never the token."""
    return f"{why}; loan {link.loan_id}, link expiring {link.expires_at.isoformat()}" if link is not None else why
