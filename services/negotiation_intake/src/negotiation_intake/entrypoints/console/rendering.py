"""Pages, sessions and refusals of the console: the signed-in agent, the CSRF token checked on
every POST, the language, and the templates (Jinja2, autoescaped)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from negotiation_intake.adapters import api_keys
from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Right, may
from negotiation_intake.entrypoints.console.i18n import LANGUAGES, Words
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
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def words(request: Request) -> Words:
    return Words(str(request.session.get("lang", "")))


def set_language(request: Request, language: str) -> None:
    if language in LANGUAGES:
        request.session["lang"] = language


async def checked_form(request: Request) -> FormData:
    """The posted form, if it carries the session's CSRF token (else 403)."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, str(expected)):
        raise PageError(403, "error_csrf")
    return form


async def signed_in(console: Console, request: Request, right: Right = Right.READ) -> Agent:
    """The agent of this session, while their key stands; 403 if their role lacks `right`."""
    key_id = request.session.get("key_id")
    if not key_id:
        raise SignInRequiredError
    async with console.resources().pool.acquire() as connection:
        agent = await api_keys.agent_for_key_id(connection, str(key_id))
    if agent is None:
        request.session.pop("key_id", None)
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
        flash=request.session.pop("flash", None),
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

    @console.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        message = "error_not_found" if error.status_code == 404 else "error_generic"
        return page(request, "error.html", None, status=error.status_code, message=message)
