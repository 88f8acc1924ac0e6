"""Idempotency-Key for POSTs: a repeat returns the first response; the same key with another
body is refused. The key row is written in the same transaction as the state change.

A body that carries a secret of few possibilities — the borrower's six-digit code — is
fingerprinted by its HMAC with the server's secret (`secret`): a plain hash of it is brute-forced
in a second from a copy of the table (DESIGN.md §5: secrets hashed with a server-side secret).
The same body with the same secret gives the same fingerprint, so a repeat still replays."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from tideover_runtime.database import Connection


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


class IdempotencyKeyReusedError(Exception):
    pass


def fingerprint(method: str, path: str, body: bytes, secret: bytes | None = None) -> str:
    """The request's fingerprint: SHA-256 of it, or its HMAC-SHA256 with `secret` when given."""
    request = b"\n".join([method.encode(), path.encode(), body])
    if secret is not None:
        return "hmac-sha256:" + hmac.new(secret, request, hashlib.sha256).hexdigest()
    return hashlib.sha256(request).hexdigest()


async def claim(connection: Connection, key: str, request_hash: str) -> StoredResponse | None:
    """None if this key is new (and now ours); else the response first given for it.
    A concurrent request with the same key waits here until the first one commits."""
    inserted = await connection.fetchval(
        "INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        key,
        request_hash,
    )
    if inserted:
        return None
    row = await connection.fetchrow("SELECT request_hash, status, response FROM idempotency_keys WHERE key = $1", key)
    assert row is not None  # the conflicting row exists: keys are never deleted within a request
    if row["request_hash"] != request_hash:
        raise IdempotencyKeyReusedError(f"Idempotency-Key {key!r} was used for a different request")
    return StoredResponse(row["status"], json.loads(row["response"]))


async def remember(connection: Connection, key: str, status: int, body: Any) -> None:
    await connection.execute(
        "UPDATE idempotency_keys SET status = $2, response = $3::jsonb WHERE key = $1", key, status, json.dumps(body)
    )
