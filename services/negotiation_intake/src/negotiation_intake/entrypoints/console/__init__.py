"""The agents' web console: server-rendered pages under /console that drive the same commands
as the JSON API (entrypoints/http.py), signed in with an agent's API key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.staticfiles import StaticFiles

from negotiation_intake.entrypoints.console import actions, pages
from negotiation_intake.entrypoints.console.i18n import DEFAULT_TIME_ZONE
from negotiation_intake.entrypoints.console.rendering import PREFIX, STATIC, Console, add_error_pages
from negotiation_intake.entrypoints.console.sessions import ConsoleSessions, SessionPolicy
from negotiation_intake.entrypoints.console.upstream import Upstream
from tideover_contracts.common import TimeZone
from tideover_runtime.security_headers import SecurityHeaders
from tideover_runtime.service import Resources

#: The console's pages load their script, styles and images from the console only (no inline
#: script or style); an upload is previewed from the file the agent chose (a blob: URL: Chromium
#: counts a PDF in an <object> as a frame); no other site may frame them (the one-click "send
#: plan" cannot be clickjacked).
CONSOLE_POLICY = (
    "default-src 'self'; img-src 'self' blob:; object-src 'self' blob:; frame-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    console_session_hours: float = Field(default=8, gt=0, description="A signed-in session lasts a working day at most")
    console_idle_minutes: float = Field(default=30, gt=0, description="A session nobody used for this long has ended")
    overdue_url: str | None = Field(default=None, description="overdue-detection, for the schedule and payments")
    notification_url: str | None = Field(default=None, description="notification, for the contact log")
    tracking_url: str | None = Field(default=None, description="repayment-tracking, for the plan's progress")
    service_key: str | None = Field(default=None, description="Sent to those three (tideover-service-keys)")
    console_time_zone: TimeZone = Field(default=DEFAULT_TIME_ZONE, description="The lender's: every time shown is in it")


def mount_console(app: FastAPI, resources: Callable[[], Resources], settings: ConsoleSettings) -> None:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    upstream = Upstream(settings.overdue_url, settings.notification_url, settings.tracking_url, settings.service_key)
    state = Console(resources, upstream)
    console.state.time_zone = settings.console_time_zone  # rendering.words
    policy = SessionPolicy(
        secure=not resources().settings.development,
        lifetime=timedelta(hours=settings.console_session_hours),
        idle=timedelta(minutes=settings.console_idle_minutes),
    )
    console.add_middleware(ConsoleSessions, resources=resources, policy=policy)
    console.add_middleware(SecurityHeaders, policy=CONSOLE_POLICY)
    add_error_pages(console)
    pages.add_pages(console, state)
    actions.add_actions(console, state)
    # Before the console, so that a stylesheet costs no session look-up.
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="console-static")
    app.mount(PREFIX, console)
