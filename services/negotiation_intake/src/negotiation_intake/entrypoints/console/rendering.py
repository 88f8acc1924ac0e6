"""Pages and refusals of the console: the signed-in agent of the session (sessions.py), the
CSRF token checked on every POST, the language, and the templates (Jinja2, autoescaped)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from negotiation_intake.adapters import api_keys
from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Right, may
from negotiation_intake.entrypoints.console.i18n import DEFAULT_TIME_ZONE, LANGUAGES, Words
from negotiation_intake.entrypoints.console.sessions import session_of
from negotiation_intake.entrypoints.console.upstream import Upstream
from tideover_runtime.service import Resources

PREFIX = "/console"
HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), auto_reload=False
)


@dataclass
class Console:
    resources: Callable[[], Resources]
    upstream: Upstream


class PageError(Exception):
    """A refusal shown as a page: `message` is a key of the console's words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequiredError(Exception):
    pass


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made with the session, signed-in or not)."""
    return session_of(request).csrf_token()


def words(request: Request) -> Words:
    """The session's language; times in the lender's zone (mount_console sets it on the console app)."""
    return Words(session_of(request).language, getattr(request.app.state, "time_zone", DEFAULT_TIME_ZONE))


def set_language(request: Request, language: str) -> None:
    if language in LANGUAGES:
        session_of(request).set_language(language)


async def checked_form(request: Request) -> FormData:
    """The posted form, if it carries the session's CSRF token (else 403)."""
    form = await request.form()
    sent = form.get("csrf")
    expected = session_of(request).csrf
    # compare_digest takes ASCII text only: any other is not our token.
    if not isinstance(sent, str) or not sent.isascii() or not expected or not hmac.compare_digest(sent, expected):
        raise PageError(403, "error_csrf")
    return form


async def signed_in(console: Console, request: Request, right: Right = Right.READ) -> Agent:
    """The agent of this session, while their key stands; 403 if their role lacks `right`."""
    session = session_of(request)
    if not session.key_id:
        raise SignInRequiredError
    async with console.resources().pool.acquire() as connection:
        agent = await api_keys.agent_for_key_id(connection, session.key_id)
    if agent is None:
        session.sign_out()
        raise SignInRequiredError
    request.state.agent = agent  # for the navigation of a refusal page
    if not may(agent.role, right):
        raise PageError(403, "error_forbidden")
    return agent


def page(request: Request, template: str, agent: Agent | None, status: int = 200, **context: Any) -> HTMLResponse:
    speak = words(request)
    html = TEMPLATES.get_template(template).render(
        t=speak,
        lang=speak.language,
        base=PREFIX,
        agent=agent,
        may_approve=bool(agent and may(agent.role, Right.APPROVE)),
        may_audit=bool(agent and may(agent.role, Right.AUDIT)),
        may_work=bool(agent and may(agent.role, Right.WORK)),
        csrf=csrf_token(request),
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        flash=session_of(request).take_flash(),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def add_error_pages(console: FastAPI) -> None:
    @console.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, _: Exception) -> Response:
        return see_other("/sign-in")

    @console.exception_handler(PageError)
    async def _refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        agent = getattr(request.state, "agent", None)
        return page(request, "error.html", agent, status=error.status, message=error.message)

    @console.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: Exception) -> Response:
        """A path that names no loan or application (not a UUID), or a query out of bounds."""
        assert isinstance(error, RequestValidationError)
        in_path = any(item["loc"][:1] == ("path",) for item in error.errors())
        status, message = (404, "error_not_found") if in_path else (422, "error_bad_request")
        return page(request, "error.html", getattr(request.state, "agent", None), status=status, message=message)

    @console.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        # 413: a body streamed past the door's limit (tideover_runtime.door), cut off unread.
        message = {404: "error_not_found", 413: "error_too_large"}.get(error.status_code, "error_generic")
        return page(request, "error.html", None, status=error.status_code, message=message)
