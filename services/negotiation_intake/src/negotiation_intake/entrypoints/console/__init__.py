"""The agents' web console: server-rendered pages under /console that drive the same commands
as the JSON API (entrypoints/http.py), signed in with an agent's API key."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from negotiation_intake.entrypoints.console import actions, pages
from negotiation_intake.entrypoints.console.rendering import PREFIX, STATIC, Console, add_error_pages
from negotiation_intake.entrypoints.console.upstream import Upstream
from tideover_runtime.service import Resources

#: A signed-in console session lasts a working day.
SESSION_SECONDS = 8 * 3600


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    console_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Signs the session cookie; the random default signs everyone out when the process restarts",
    )
    console_secure_cookie: bool = Field(default=False, description="Send the cookie over HTTPS only")
    overdue_url: str | None = Field(default=None, description="overdue-detection, for the schedule and payments")
    notification_url: str | None = Field(default=None, description="notification, for the contact log")
    tracking_url: str | None = Field(default=None, description="repayment-tracking, for the plan's progress")


def mount_console(app: FastAPI, resources: Callable[[], Resources], settings: ConsoleSettings) -> None:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    state = Console(resources, Upstream(settings.overdue_url, settings.notification_url, settings.tracking_url))
    console.add_middleware(
        SessionMiddleware,
        secret_key=settings.console_secret,
        session_cookie="tideover_console",
        max_age=SESSION_SECONDS,
        path=PREFIX,
        same_site="lax",
        https_only=settings.console_secure_cookie,
    )
    add_error_pages(console)
    pages.add_pages(console, state)
    actions.add_actions(console, state)
    console.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(PREFIX, console)
