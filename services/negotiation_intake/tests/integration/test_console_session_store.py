"""The console's session table on the real Postgres: only a token's hash is kept, a session ends
when idle, at its expiry, when deleted, or when its key is revoked (however it is revoked)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from negotiation_intake.adapters import api_keys, console_sessions
from negotiation_intake.adapters.console_sessions import StoredSession
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS
from tideover_runtime.database import Connection
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

DAY, IDLE = timedelta(hours=8), timedelta(minutes=30)


@pytest.fixture
async def connection(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "sessions") as pool, pool.acquire() as connection:
        yield connection


async def signed_in(connection: Connection, key_id: str | None, language: str = "en") -> str:
    token = console_sessions.new_token()
    await console_sessions.start(connection, token, StoredSession(key_id, "csrf-" + token[:6], language, None), DAY, IDLE)
    return token


async def key_of(connection: Connection, agent_id: str) -> str:
    return (await api_keys.create_key(connection, agent_id, Role.AGENT)).split("_")[1]


async def test_a_session_is_found_by_its_token_and_only_the_tokens_hash_is_kept(connection: Connection) -> None:
    key_id = await key_of(connection, "agent-1")
    token = await signed_in(connection, key_id, "zh-CN")

    found = await console_sessions.resume(connection, token, IDLE)
    assert found == StoredSession(key_id, "csrf-" + token[:6], "zh-CN", None)
    stored = await connection.fetchval("SELECT token_sha256 FROM console_sessions")
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert await connection.fetchval("SELECT count(*) FROM console_sessions WHERE token_sha256 = $1", token) == 0


@pytest.mark.parametrize("token", ["", "x" * 42, "x" * 44, "a\x00" * 21 + "a", "é" * 43])
async def test_what_is_not_a_token_finds_nothing_and_reaches_no_query(connection: Connection, token: str) -> None:
    await signed_in(connection, None)
    assert await console_sessions.resume(connection, token, IDLE) is None


@pytest.mark.parametrize(
    ("column", "moved_to"), [("last_seen_at", "now() - interval '31 minutes'"), ("expires_at", "now() - interval '1 second'")]
)
async def test_a_session_idle_too_long_or_past_its_expiry_has_ended(connection: Connection, column: str, moved_to: str) -> None:
    token = await signed_in(connection, await key_of(connection, "agent-1"))
    assert await console_sessions.resume(connection, token, IDLE) is not None

    await connection.execute(f"UPDATE console_sessions SET {column} = {moved_to}")

    assert await console_sessions.resume(connection, token, IDLE) is None


async def test_a_request_starts_the_idle_time_again(connection: Connection) -> None:
    token = await signed_in(connection, await key_of(connection, "agent-1"))
    await connection.execute("UPDATE console_sessions SET last_seen_at = now() - interval '29 minutes'")

    assert await console_sessions.resume(connection, token, IDLE) is not None
    idle = await connection.fetchval("SELECT now() - last_seen_at FROM console_sessions")
    assert idle < timedelta(seconds=5)


async def test_revoking_a_key_ends_its_sessions_and_no_others(connection: Connection) -> None:
    revoked, kept = await key_of(connection, "agent-1"), await key_of(connection, "agent-2")
    first, second, other = [await signed_in(connection, key) for key in (revoked, revoked, kept)]

    assert await api_keys.revoke_key(connection, revoked)

    assert await console_sessions.resume(connection, first, IDLE) is None
    assert await console_sessions.resume(connection, second, IDLE) is None
    assert await console_sessions.resume(connection, other, IDLE) is not None


async def test_a_key_revoked_by_hand_ends_its_sessions_too(connection: Connection) -> None:
    key_id = await key_of(connection, "agent-1")
    token = await signed_in(connection, key_id)

    await connection.execute("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1", key_id)

    assert await console_sessions.resume(connection, token, IDLE) is None


async def test_an_operator_ends_one_keys_sessions_or_everyones(connection: Connection) -> None:
    one, two = await key_of(connection, "agent-1"), await key_of(connection, "agent-2")
    tokens = [await signed_in(connection, one), await signed_in(connection, two), await signed_in(connection, None)]

    assert await console_sessions.end_all(connection, one) == 1
    assert await console_sessions.resume(connection, tokens[1], IDLE) is not None
    assert await console_sessions.end_all(connection) == 2
    assert await connection.fetchval("SELECT count(*) FROM console_sessions") == 0


async def test_a_new_session_clears_away_ended_ones(connection: Connection) -> None:
    for _ in range(3):
        await signed_in(connection, None)
    await connection.execute("UPDATE console_sessions SET expires_at = now() - interval '1 second'")

    fresh = await signed_in(connection, None)

    assert await connection.fetchval("SELECT count(*) FROM console_sessions") == 1
    assert await console_sessions.resume(connection, fresh, IDLE) is not None
