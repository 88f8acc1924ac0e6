"""What every part of the borrower's page shares: its state on the page's app, the session cookie,
the client's address and the limits it is counted against, the refusals it keeps, and rendering
(Jinja2, autoescaped, like the console)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from negotiation_intake.adapters import borrower_tries
from negotiation_intake.adapters.refusals import Refusal, RefusalLog, note_kept
from negotiation_intake.domain.borrower_limits import TryLimit, client_subject
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.console.upstream import Upstream
from tideover_contracts.common import Language
from tideover_contracts.policy import PlanRules
from tideover_runtime.database import Connection
from tideover_runtime.service import Resources

PREFIX = "/b"
HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), auto_reload=False
)
#: The path a refusal of a link is kept under: never the token, which may be a good one.
LINK_PATH = PREFIX + "/{token}"
#: *I need help* forms whose documents are checked at once, per process: two forms of five images
#: decoded one after another stay within the pod's memory (deploy/helm values, 1 GiB).
DOCUMENT_CHECKS = 2


@dataclass(frozen=True)
class CookiePolicy:
    """The session's cookie: HttpOnly, SameSite=Lax (a link opened from a message is a
    navigation from another site: Strict would drop the cookie on its redirect), the id alone.
    Secure, with the `__Host-` prefix (no Domain, Path=/), outside local development and
    whenever the page is served over https."""

    development: bool

    def secure(self, request: Request) -> bool:
        return not self.development or request.url.scheme == "https"

    @staticmethod
    def name(secure: bool) -> str:
        return "__Host-tideover_borrower" if secure else "tideover_borrower"

    def set_cookie(self, token: str, secure: bool, lifetime: timedelta) -> str:
        seconds = max(1, int(lifetime.total_seconds()))
        return f"{self.name(secure)}={token}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    def clear_cookie(self, secure: bool) -> str:
        return f"{self.name(secure)}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    def presented(self, request: Request) -> str | None:
        return request.cookies.get(self.name(self.secure(request))) or None


@dataclass(frozen=True)
class BorrowerPage:
    """The page's state: the service's resources, overdue-detection and the others asked as the
    console asks them, the refusal log the door keeps too, the cookie, the session's longest
    life and idle time, the link secret, how and where to pay, and the terms every plan is kept
    by (TIDEOVER_PLAN_*, as repayment-tracking judges plans and the written plan states them)."""

    resources: Callable[[], Resources]
    upstream: Upstream
    refusals: RefusalLog
    cookie: CookiePolicy
    longest: timedelta
    idle: timedelta
    secret: bytes
    how_to_pay: Mapping[Language, str]
    plan_rules: PlanRules = field(default_factory=PlanRules)
    #: The documents checked at once in this process (each decodes an image of up to
    #: evidence_content.MAX_PIXELS): more forms wait their turn rather than take memory.
    document_checks: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(DOCUMENT_CHECKS))


async def _page(request: Request) -> BorrowerPage:
    page: BorrowerPage = request.app.state.borrower_page
    return page


#: A route's access to the page's state.
PageState = Annotated[BorrowerPage, Depends(_page)]


class OverTheLimitError(Exception):
    """A request beyond a limit of domain/borrower_limits.py: 429, Retry-After."""

    def __init__(self, exceeded: borrower_tries.Exceeded) -> None:
        super().__init__(exceeded.limit.scope)
        self.exceeded = exceeded


class NoSessionError(Exception):
    """No session holds for the request: it ended, or never was."""


def address_of(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For, as uvicorn reads it)."""
    return request.client.host if request.client else "unknown"


def client_of(request: Request) -> str:
    """The client as the limits count it: its address, an IPv6 one by its /64 (client_subject)."""
    return client_subject(address_of(request))


async def counted(connection: Connection, limits: list[tuple[TryLimit, str]]) -> None:
    """Counts the request against `limits`, within the caller's transaction; OverTheLimitError
    (which rolls it back: a request refused by a limit is not counted) beyond one."""
    if exceeded := await borrower_tries.count_try(connection, limits):
        raise OverTheLimitError(exceeded)


async def keep_refusal(page: BorrowerPage, request: Request, status: int, reason: str, detail: str, path: str) -> None:
    """Keeps a refused request in the refusal log (adapters/refusals.py) under `path`, with
    what the door cannot see (why), and tells the door it is kept."""
    refusal = Refusal(
        at=page.resources().clock.now(),
        status=status,
        reason=reason,
        detail=detail,
        method=request.method,
        path=path,
        client=address_of(request),
    )
    await page.refusals.record(refusal)
    note_kept()


def render(request: Request, template: str, words: Words, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(t=words, lang=words.language, base=PREFIX, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
