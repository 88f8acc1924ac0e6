"""The console's session as one request sees it, and the middleware that finds it in Postgres
before the page and stores what the page changed before the answer leaves (issue 17, M5).

The cookie holds only the session's random token: nothing in it can be read, and it means
something only while the row it names exists."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from negotiation_intake.adapters import console_sessions
from negotiation_intake.adapters.console_sessions import StoredSession
from tideover_runtime.service import Resources

STATE_KEY = "console_session"


@dataclass
class Session:
    """What the pages and forms read and change; `ConsoleSessions` stores the change."""

    token: str | None = None  # of the session the request came with, if it is still valid
    key_id: str | None = None
    csrf: str | None = None
    language: str = ""
    flash: str | None = None
    issue: bool = False  # store as a new session with a new token (a visitor's first form, sign-in)
    ended: bool = False
    changed: bool = False

    def csrf_token(self) -> str:
        """The session's CSRF token; a visitor's first makes the session."""
        if self.csrf is None:
            self.csrf, self.issue = secrets.token_urlsafe(24), True
        return self.csrf

    def sign_in(self, key_id: str) -> None:
        """A new session for the agent (new token, new CSRF token: no fixation); the visitor's
        session it replaces is deleted."""
        self.key_id, self.csrf, self.flash, self.issue = key_id, secrets.token_urlsafe(24), None, True

    def sign_out(self) -> None:
        self.key_id, self.csrf, self.flash, self.ended, self.issue = None, None, None, True, False

    def set_language(self, language: str) -> None:
        self.language, self.changed = language, True

    def put_flash(self, flash: str) -> None:
        self.flash, self.changed = flash, True

    def take_flash(self) -> str | None:
        flash, self.flash = self.flash, None
        self.changed = self.changed or flash is not None
        return flash


def session_of(request: Request) -> Session:
    session = getattr(request.state, STATE_KEY, None)
    assert isinstance(session, Session), "ConsoleSessions middleware not installed"
    return session


@dataclass(frozen=True)
class SessionPolicy:
    """`secure`: HTTPS only, and the `__Host-` prefix (no Domain, Path=/: no other host or path
    can set it); off only in local development (TIDEOVER_ENV=development)."""

    secure: bool
    lifetime: timedelta
    idle: timedelta

    @property
    def cookie(self) -> str:
        return "__Host-tideover_console" if self.secure else "tideover_console"

    def set_cookie(self, token: str) -> str:
        return f"{self.cookie}={token}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")

    def clear_cookie(self) -> str:
        return f"{self.cookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")


class ConsoleSessions:
    """ASGI middleware: `request.state.console_session` for the pages; the change stored, and the
    cookie set or cleared, as the answer starts."""

    def __init__(self, app: ASGIApp, resources: Callable[[], Resources], policy: SessionPolicy) -> None:
        self.app = app
        self.resources = resources
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = await self._resume(HTTPConnection(scope).cookies.get(self.policy.cookie))
        scope.setdefault("state", {})[STATE_KEY] = session

        async def storing(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._store(session, MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, storing)

    async def _resume(self, token: str | None) -> Session:
        if not token:
            return Session()
        async with self.resources().pool.acquire() as connection:
            stored = await console_sessions.resume(connection, token, self.policy.idle)
        if stored is None:
            return Session()
        return Session(token, stored.key_id, stored.csrf_token, stored.language, stored.flash)

    async def _store(self, session: Session, headers: MutableHeaders) -> None:
        if not (session.issue or session.ended or (session.changed and session.token)):
            return
        async with self.resources().pool.acquire() as connection:
            if session.token and (session.issue or session.ended):
                await console_sessions.end(connection, session.token)
            if session.issue and session.csrf is not None:
                token = console_sessions.new_token()
                lifetime = self.policy.lifetime if session.key_id else self.policy.idle
                stored = StoredSession(session.key_id, session.csrf, session.language, session.flash)
                await console_sessions.start(connection, token, stored, lifetime, self.policy.idle)
                headers.append("Set-Cookie", self.policy.set_cookie(token))
            elif session.ended:
                headers.append("Set-Cookie", self.policy.clear_cookie())
            elif session.token:
                await console_sessions.update(connection, session.token, session.language, session.flash)
