"""Agents' API keys: `tdo_<key id>_<secret>`, of which only the secret's SHA-256 is stored.

The secret is 32 random bytes, so a fast hash is enough: there is nothing to guess that a slow
password hash would protect (unlike a password a person chose)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Role, refusal_to_issue
from tideover_runtime.database import Connection

PREFIX = "tdo"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(connection: Connection, agent_id: str, role: Role) -> str:
    """A new key for `agent_id`; the only time the whole key is seen. ValueError for a reserved
    id (domain/access.py `refusal_to_issue`)."""
    if refusal := refusal_to_issue(agent_id):
        raise ValueError(refusal)
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    await connection.execute(
        "INSERT INTO api_keys (key_id, secret_sha256, agent_id, role) VALUES ($1, $2, $3, $4)",
        key_id,
        _digest(secret),
        agent_id,
        role.value,
    )
    return f"{PREFIX}_{key_id}_{secret}"


async def revoke_key(connection: Connection, key_id: str) -> bool:
    return bool(
        await connection.fetchval(
            "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING true", key_id
        )
    )


async def list_keys(connection: Connection) -> list[dict[str, object]]:
    rows = await connection.fetch("SELECT key_id, agent_id, role, created_at, revoked_at FROM api_keys ORDER BY created_at")
    return [dict(row) for row in rows]


async def authenticate(connection: Connection, presented: str) -> Agent | None:
    """The agent a presented key belongs to, or None for a malformed, unknown or revoked key."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    row = await connection.fetchrow(
        "SELECT secret_sha256, agent_id, role FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(secret)):
        return None
    return Agent(agent_id=row["agent_id"], role=Role(row["role"]), key_id=key_id)


async def agent_for_key_id(connection: Connection, key_id: str) -> Agent | None:
    """The agent of a key already authenticated (the console's session keeps only its id), or
    None once the key is revoked: a revocation takes effect on the next page."""
    row = await connection.fetchrow("SELECT agent_id, role FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id)
    return Agent(agent_id=row["agent_id"], role=Role(row["role"]), key_id=key_id) if row else None
