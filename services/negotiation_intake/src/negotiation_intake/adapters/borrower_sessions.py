"""The borrowers' sessions in Postgres (issue 21), as the console's are (console_sessions.py):
the browser holds a random token, the table only its SHA-256, so a copy of the table opens no
session. A session names the loan and the borrower its link was signed for, and when that link
expires (by the service's clock: the business clock in a simulation, which signed it).

A session ends when it is deleted (the borrower leaves), after `idle` without a request, or at
its own expiry, never later than the link's (domain/borrower_access.py `session_lifetime`).
Idle time and expiry are measured by the database's clock: they protect a person at a phone."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from negotiation_intake.adapters.console_sessions import TOKEN_PATTERN, digest, new_token, purge_ended
from negotiation_intake.domain.borrower_access import BorrowerSession
from tideover_runtime.database import Connection

__all__ = ["end", "new_csrf", "new_token", "resume", "set_language", "start"]


def new_csrf() -> str:
    """The token the session's forms carry (checked on every POST)."""
    return secrets.token_urlsafe(24)


async def start(connection: Connection, token: str, session: BorrowerSession, lifetime: timedelta, idle: timedelta) -> None:
    """Store a new session under `token` for `lifetime`, after deleting a few that have ended."""
    await purge_ended(connection, "borrower_sessions", idle)
    await connection.execute(
        """
        INSERT INTO borrower_sessions (token_sha256, loan_id, borrower_id, csrf_token, language, link_expires_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)
        """,
        digest(token),
        session.loan_id,
        session.borrower_id,
        session.csrf_token,
        session.language,
        session.link_expires_at,
        lifetime,
    )


async def resume(connection: Connection, token: str, idle: timedelta) -> BorrowerSession | None:
    """The session `token` names, if it has not ended; seen now (its idle time starts again)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    row = await connection.fetchrow(
        """
        UPDATE borrower_sessions SET last_seen_at = now()
        WHERE token_sha256 = $1 AND expires_at > now() AND last_seen_at > now() - $2::interval
        RETURNING loan_id, borrower_id, csrf_token, language, link_expires_at
        """,
        digest(token),
        idle,
    )
    if row is None:
        return None
    loan_id: uuid.UUID = row["loan_id"]
    link_expires_at: datetime = row["link_expires_at"]
    return BorrowerSession(loan_id, row["borrower_id"], row["csrf_token"], row["language"], link_expires_at)


async def set_language(connection: Connection, token: str, language: str) -> None:
    await connection.execute("UPDATE borrower_sessions SET language = $2 WHERE token_sha256 = $1", digest(token), language)


async def end(connection: Connection, token: str) -> None:
    if TOKEN_PATTERN.fullmatch(token):
        await connection.execute("DELETE FROM borrower_sessions WHERE token_sha256 = $1", digest(token))
