"""The console's sessions in Postgres: the browser holds a random token, the table only its SHA-256
(as with API keys, 32 random bytes need no slow hash), so a copy of the table opens no session.

A session ends when it is deleted (sign-out, a revoked key, an operator), after `idle` without a
request, or at its absolute expiry. Timeouts are measured by the database's clock: they protect
people at a screen, who live in real time whatever the business clock of a simulation says."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from tideover_runtime.database import Connection

#: `secrets.token_urlsafe(32)`: anything else is not a token of ours and reaches no query.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
#: Expired sessions deleted whenever a session starts, at most this many at a time.
PURGE_BATCH = 100


@dataclass(frozen=True)
class StoredSession:
    key_id: str | None
    csrf_token: str
    language: str
    flash: str | None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What a sessions table keeps of a token: its SHA-256, so a copy of the table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


async def purge_ended(connection: Connection, table: Literal["console_sessions", "borrower_sessions"], idle: timedelta) -> None:
    """Delete a few sessions of `table` that have ended (expired, or idle longer than `idle`)."""
    await connection.execute(
        f"""
        DELETE FROM {table} WHERE token_sha256 IN (
            SELECT token_sha256 FROM {table}
            WHERE expires_at <= now() OR last_seen_at <= now() - $1::interval LIMIT $2)
        """,
        idle,
        PURGE_BATCH,
    )


async def start(connection: Connection, token: str, session: StoredSession, lifetime: timedelta, idle: timedelta) -> None:
    """Store a new session under `token`, after deleting a few that have ended."""
    await purge_ended(connection, "console_sessions", idle)
    await connection.execute(
        """
        INSERT INTO console_sessions (token_sha256, key_id, csrf_token, language, flash, expires_at)
        VALUES ($1, $2, $3, $4, $5, now() + $6::interval)
        """,
        digest(token),
        session.key_id,
        session.csrf_token,
        session.language,
        session.flash,
        lifetime,
    )


async def resume(connection: Connection, token: str, idle: timedelta) -> StoredSession | None:
    """The session `token` names, if it has not ended; seen now (its idle time starts again)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    row = await connection.fetchrow(
        """
        UPDATE console_sessions SET last_seen_at = now()
        WHERE token_sha256 = $1 AND expires_at > now() AND last_seen_at > now() - $2::interval
        RETURNING key_id, csrf_token, language, flash
        """,
        digest(token),
        idle,
    )
    return StoredSession(row["key_id"], row["csrf_token"], row["language"], row["flash"]) if row else None


async def update(connection: Connection, token: str, language: str, flash: str | None) -> None:
    await connection.execute(
        "UPDATE console_sessions SET language = $2, flash = $3 WHERE token_sha256 = $1", digest(token), language, flash
    )


async def end(connection: Connection, token: str) -> None:
    await connection.execute("DELETE FROM console_sessions WHERE token_sha256 = $1", digest(token))


async def end_all(connection: Connection, key_id: str | None = None) -> int:
    """End every session (of one key if `key_id` is given); how many there were."""
    ended = await connection.fetch("DELETE FROM console_sessions WHERE $1::text IS NULL OR key_id = $1 RETURNING 1", key_id)
    return len(ended)
