"""The borrower's own page (issue 21), served under /b: opened from the signed link in a message
(entry.py), then the borrower's session (adapters/borrower_sessions.py) and its sections
(pages.py: *My loan* first; help_page.py: *I need help*; plan_page.py: *My plan*), server-rendered like the console, in
zh-CN, zh-Hant and en (i18n.py), mobile first, with the console's security headers and
Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from negotiation_intake.adapters.refusals import RefusalLog
from negotiation_intake.application.errors import TooManyTriesError
from negotiation_intake.entrypoints.borrower_page import contact_page, entry, help_page, options_page, pages, plan_page
from negotiation_intake.entrypoints.borrower_page.i18n import Words, accepted_language
from negotiation_intake.entrypoints.borrower_page.state import (
    PREFIX,
    STATIC,
    BorrowerPage,
    CookiePolicy,
    NoSessionError,
    OverTheLimitError,
    keep_refusal,
    render,
)
from negotiation_intake.entrypoints.console import CONSOLE_POLICY
from negotiation_intake.entrypoints.console.upstream import Upstream
from negotiation_intake.entrypoints.door import kept_path
from tideover_runtime.borrower_links import configured_link_secret
from tideover_runtime.security_headers import SecurityHeaders
from tideover_runtime.service import Resources
from tideover_runtime.settings import PaymentInstructionsSettings, PlanRulesSettings

__all__ = ["PREFIX", "BorrowerPageSettings", "mount_borrower_page"]


class BorrowerPageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    borrower_session_minutes: float = Field(default=60, gt=0, description="The longest a session lasts, never past its link")
    borrower_idle_minutes: float = Field(default=15, gt=0, description="A session nobody used for this long has ended")


def mount_borrower_page(
    app: FastAPI, resources: Callable[[], Resources], upstream: Upstream, refusals: RefusalLog, settings: BorrowerPageSettings
) -> None:
    """The page's app under PREFIX, its stylesheet beside it (no session look-up for it)."""
    development = resources().settings.development
    borrower = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
    borrower.state.borrower_page = BorrowerPage(
        resources=resources,
        upstream=upstream,
        refusals=refusals,
        cookie=CookiePolicy(development),
        longest=timedelta(minutes=settings.borrower_session_minutes),
        idle=timedelta(minutes=settings.borrower_idle_minutes),
        secret=configured_link_secret(development),
        how_to_pay=PaymentInstructionsSettings().texts(),
        plan_rules=PlanRulesSettings().rules(),
    )
    borrower.add_middleware(SecurityHeaders, policy=CONSOLE_POLICY)
    _add_error_pages(borrower)
    borrower.include_router(pages.router)
    borrower.include_router(plan_page.router)
    borrower.include_router(help_page.router)
    borrower.include_router(options_page.router)
    borrower.include_router(contact_page.router)
    borrower.include_router(entry.router)  # last: its path takes whatever the page's own do not
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="borrower-static")
    app.mount(PREFIX, borrower)


def _words(request: Request) -> Words:
    return Words(accepted_language(request.headers.get("accept-language")) or "")


def _add_error_pages(borrower: FastAPI) -> None:
    @borrower.exception_handler(NoSessionError)
    async def _no_session(request: Request, _: Exception) -> Response:
        return render(request, "message.html", _words(request), 403, message="session_ended")

    @borrower.exception_handler(OverTheLimitError)
    async def _too_many(request: Request, error: Exception) -> Response:
        assert isinstance(error, OverTheLimitError)
        return await _too_many_page(request, error.exceeded.limit.scope, error.exceeded.retry_after_seconds)

    @borrower.exception_handler(TooManyTriesError)
    async def _too_many_codes(request: Request, error: Exception) -> Response:
        """A use case's own limit (send_code: the codes a loan is sent in a day)."""
        assert isinstance(error, TooManyTriesError)
        return await _too_many_page(request, error.rule, error.retry_after)

    @borrower.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _: Exception) -> Response:
        return render(request, "message.html", _words(request), 400, message="bad_request")

    @borrower.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        # 413: a body streamed past the door's limit (tideover_runtime.door), cut off unread.
        message = {404: "not_found", 405: "not_found", 413: "too_large"}.get(error.status_code, "bad_request")
        response = render(request, "message.html", _words(request), error.status_code, message=message)
        response.headers.update(error.headers or {})
        return response


async def _too_many_page(request: Request, rule: str, wait: int) -> Response:
    """429 with Retry-After, the page's message, and the refusal kept."""
    page: BorrowerPage = request.app.state.borrower_page
    await keep_refusal(page, request, 429, rule, "over the limit", kept_path(request.url.path))
    minutes = max(1, -(-wait // 60))
    response = render(request, "message.html", _words(request), 429, message="too_many", minutes=minutes)
    response.headers["Retry-After"] = str(wait)
    return response
