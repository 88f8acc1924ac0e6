"""The signed link that opens a borrower's own page (issue 21): short enough for an SMS, bound to
one loan and its borrower, expiring, signed with a server-side secret.

Notification signs it into the messages that need one; negotiation-intake reads it when the
borrower opens it. Both must have the same TIDEOVER_LINK_SECRET.

The token is 40 URL-safe characters, the base64 of 30 bytes:

    version (1) | loan id (16) | expiry, whole hours since the epoch (3) | HMAC-SHA256, first 10 bytes

The MAC covers the first 20 bytes and the borrower's id, which the token does not carry: a link
is valid only for the borrower the loan belongs to when it is opened (a loan sold or moved to
another borrower voids the links sent before). 80 bits of MAC against a guesser who is limited
to a few tries a minute (the page is rate limited) is ample; the full 32 bytes would make the
link 22 characters longer, a second SMS segment in Chinese.

Written by hand rather than with itsdangerous: its tokens carry the payload as text and a full
signature (about 100 characters for the same facts), too long for an SMS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tideover_runtime.settings import MIN_SECRET_LENGTH, MissingSecretError, server_secret

VERSION = 1
MAC_BYTES = 10
TOKEN_BYTES = 1 + 16 + 3 + MAC_BYTES
TOKEN_LENGTH = TOKEN_BYTES * 4 // 3
DEFAULT_VALID_DAYS = 7
#: What a developer's machine and the tests sign with when they set no secret: never production's.
DEVELOPMENT_LINK_SECRET = "tideover-development-link-secret-never-in-production"  # noqa: S105 — public by design
_HOUR = 3600


class LinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    link_secret: SecretStr | None = Field(default=None, description="Keys the HMAC of the borrowers' links")
    borrower_page_url: str = Field(
        default="http://127.0.0.1:8103/b/",
        description="Where the borrower's page is served; the token is appended to it",
    )
    link_valid_days: int = Field(default=DEFAULT_VALID_DAYS, ge=1, le=90)


#: The link secret's error, by its own name for callers that catch it.
MissingLinkSecretError = MissingSecretError


def link_secret(settings: LinkSettings, development: bool) -> bytes:
    """The secret to sign links with; MissingLinkSecretError outside development without a proper one."""
    return server_secret(
        settings.link_secret,
        development,
        DEVELOPMENT_LINK_SECRET,
        f"TIDEOVER_LINK_SECRET must be set to a random secret of at least {MIN_SECRET_LENGTH} characters, the "
        "same for notification and negotiation-intake (e.g. `openssl rand -base64 32`), unless "
        "TIDEOVER_ENV=development",
    )


@cache
def configured_link_secret(development: bool) -> bytes:
    """The secret the environment names (read once)."""
    return link_secret(LinkSettings(), development)


def _mac(body: bytes, borrower_id: str, secret: bytes) -> bytes:
    return hmac.new(secret, body + b"\x00" + borrower_id.encode(), hashlib.sha256).digest()[:MAC_BYTES]


def _expiry_hours(expires_at: datetime) -> int:
    """Whole hours since the epoch, rounded up: a link never expires before it says."""
    seconds = int(expires_at.timestamp())
    return -(-seconds // _HOUR)


def sign(loan_id: uuid.UUID, borrower_id: str, expires_at: datetime, secret: bytes) -> str:
    """The token of a link to `loan_id`'s page for `borrower_id`, valid until `expires_at` (to the hour, up)."""
    body = bytes([VERSION]) + loan_id.bytes + _expiry_hours(expires_at).to_bytes(3, "big")
    return base64.urlsafe_b64encode(body + _mac(body, borrower_id, secret)).decode()


def link_for(loan_id: uuid.UUID, borrower_id: str, now: datetime, settings: LinkSettings, secret: bytes) -> str:
    """The whole link a message carries: the page's address and a token valid `link_valid_days` from `now`."""
    expires_at = now + timedelta(days=settings.link_valid_days)
    return settings.borrower_page_url + sign(loan_id, borrower_id, expires_at, secret)


@dataclass(frozen=True)
class UnverifiedLink:
    """What a token claims, before its MAC is checked against the loan's borrower."""

    loan_id: uuid.UUID
    expires_at: datetime
    _body: bytes
    _mac: bytes

    def valid_for(self, borrower_id: str, now: datetime, secret: bytes) -> bool:
        """True when the token was signed for `borrower_id` with `secret` and has not expired at `now`."""
        signed = hmac.compare_digest(self._mac, _mac(self._body, borrower_id, secret))
        return signed and now < self.expires_at


def read(token: str) -> UnverifiedLink | None:
    """The claims of a well-formed token; None for anything else (never an exception)."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        return None
    if len(raw) != TOKEN_BYTES or raw[0] != VERSION or base64.urlsafe_b64encode(raw).decode() != token:
        return None
    body, mac = raw[:20], raw[20:]
    hours = int.from_bytes(body[17:20], "big")
    expires_at = datetime.fromtimestamp(hours * _HOUR, tz=UTC)
    return UnverifiedLink(uuid.UUID(bytes=body[1:17]), expires_at, body, mac)
