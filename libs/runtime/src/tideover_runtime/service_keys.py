"""Service credentials (DESIGN.md §5): the key a calling service or tool sends in `X-Service-Key`
to another service's query API, and the one rule of what each caller's role may do.

A key is `tsk_<key id>_<secret>`, of which only the secret's SHA-256 is stored, in the
`service_keys` table (runtime migration 0002) of each service the caller may call: one key per
caller, the same in each. The secret is 32 random bytes, so a fast hash is enough: there is
nothing to guess that a slow password hash would protect (as for the agents' keys,
negotiation_intake adapters/api_keys.py). `tideover-service-keys` creates, lists, revokes and
rotates them (service_keys_cli.py); service_auth.py checks them on every query route.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tideover_runtime.database import Connection

PREFIX = "tsk"
HEADER = "X-Service-Key"
#: A key id as `new_key` makes it (12 hex digits, up to 32 taken): anything else is not looked up.
KEY_ID = re.compile(r"[0-9a-f]{1,32}")


class Right(StrEnum):
    """What a route of a query API gives; each route names the one it needs."""

    READ_LEDGER = "read_ledger"  # overdue-detection: a loan's overdue status and its ledger position
    READ_CONTACT_LOG = "read_contact_log"  # notification: what was decided and sent to a borrower
    READ_PLANS = "read_plans"  # repayment-tracking: a plan month by month, and a loan's plans
    QUOTE = "quote"  # plan-calculation: a what-if quote


class CallerRole(StrEnum):
    """Who calls the query APIs."""

    NEGOTIATION_INTAKE = "negotiation-intake"  # the console's loan page; the ledger position at submission
    OPERATOR = "operator"  # support tooling, the simulator and the demo, the tests' harness


#: The one rule of who may do what. A role it does not name (one retired since its key was
#: created) has no right at all.
RIGHTS: Mapping[str, frozenset[Right]] = MappingProxyType(
    {
        CallerRole.NEGOTIATION_INTAKE: frozenset(Right),
        CallerRole.OPERATOR: frozenset({Right.READ_LEDGER, Right.READ_CONTACT_LOG, Right.READ_PLANS}),
    }
)

#: The services whose query API takes service keys, by name, and their schemas: where a key is
#: registered. (negotiation-intake's API takes agents' keys.)
SERVICE_SCHEMAS: Mapping[str, str] = MappingProxyType(
    {
        "overdue-detection": "overdue_detection",
        "notification": "notification",
        "plan-calculation": "plan_calculation",
        "repayment-tracking": "repayment_tracking",
    }
)


def may(role: str, right: Right) -> bool:
    """Whether a caller of `role` has `right`."""
    return right in RIGHTS.get(role, frozenset())


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ServiceKey:
    """A key as it is made: the only time its secret is known."""

    key_id: str
    secret: str = field(repr=False)

    @property
    def token(self) -> str:
        """What the caller sends in X-Service-Key."""
        return f"{PREFIX}_{self.key_id}_{self.secret}"


def new_key() -> ServiceKey:
    return ServiceKey(secrets.token_hex(6), secrets.token_urlsafe(32))


@dataclass(frozen=True)
class ServiceCaller:
    """The caller a presented key belongs to."""

    key_id: str
    caller: str
    role: str


def parse(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a key of our form, else None."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not secret or not KEY_ID.fullmatch(key_id):
        return None
    return key_id, secret


async def register(connection: Connection, key: ServiceKey, caller: str, role: CallerRole) -> None:
    """Keep `key`'s hash in the connection's schema (again: no change)."""
    await connection.execute(
        """
        INSERT INTO service_keys (key_id, caller, role, secret_sha256) VALUES ($1, $2, $3, $4)
        ON CONFLICT (key_id) DO NOTHING
        """,
        key.key_id,
        caller,
        role.value,
        digest(key.secret),
    )


async def revoke(connection: Connection, key_id: str) -> bool:
    return bool(
        await connection.fetchval(
            "UPDATE service_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING true", key_id
        )
    )


async def active_keys_of(connection: Connection, caller: str) -> list[tuple[str, CallerRole]]:
    """(key id, role) of the caller's keys not revoked, oldest first."""
    rows = await connection.fetch(
        "SELECT key_id, role FROM service_keys WHERE caller = $1 AND revoked_at IS NULL ORDER BY created_at, key_id", caller
    )
    return [(row["key_id"], CallerRole(row["role"])) for row in rows]


async def list_keys(connection: Connection) -> list[dict[str, object]]:
    rows = await connection.fetch(
        "SELECT key_id, caller, role, created_at, revoked_at FROM service_keys ORDER BY created_at, key_id"
    )
    return [dict(row) for row in rows]


async def authenticate(connection: Connection, presented: str) -> ServiceCaller | None:
    """The caller a presented key belongs to, or None for a malformed, unknown or revoked key."""
    parsed = parse(presented)
    if parsed is None:
        return None
    key_id, secret = parsed
    row = await connection.fetchrow(
        "SELECT secret_sha256, caller, role FROM service_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    if row is None or not hmac.compare_digest(row["secret_sha256"], digest(secret)):
        return None
    return ServiceCaller(key_id=key_id, caller=row["caller"], role=row["role"])


class CallerSettings(BaseSettings):
    """The key a caller (negotiation-intake, the simulator) sends to the query APIs."""

    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    service_key: str | None = Field(
        default=None, description="Sent in X-Service-Key to the services' query APIs (tideover-service-keys create)"
    )


def key_header(key: str | None) -> dict[str, str]:
    """The header that carries `key`; none without one."""
    return {HEADER: key} if key else {}
