"""The server-side secret the borrowers' one-time codes are hashed with (DESIGN.md §5: secrets
hashed with a server-side secret, so that a copy of the table does not reveal them).

TIDEOVER_CODE_SECRET is required unless TIDEOVER_ENV=development (deploy/services.sh and the
test harness set that): the service refuses to start without one, or with the development one.
Every replica must have the same secret, and changing it makes the codes already sent unusable
(each is valid 24 hours at most; the agent sends the plan again).
"""

from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: What a developer's machine and the tests hash with when they set no secret: never production's.
DEVELOPMENT_CODE_SECRET = "tideover-development-code-secret-never-in-production"  # noqa: S105 — public by design
#: As many characters as a random 32-byte secret has in base64 (`openssl rand -base64 32`).
MIN_LENGTH = 32


class CodeSecretSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    code_secret: SecretStr | None = Field(default=None, description="Keys the HMAC of the one-time codes")


class MissingCodeSecretError(RuntimeError):
    pass


def code_secret(settings: CodeSecretSettings, development: bool) -> bytes:
    """The secret to hash codes with; MissingCodeSecretError outside development without a
    proper one."""
    secret = settings.code_secret.get_secret_value() if settings.code_secret is not None else None
    if development:
        return (secret or DEVELOPMENT_CODE_SECRET).encode()
    if secret is None or secret == DEVELOPMENT_CODE_SECRET or len(secret) < MIN_LENGTH:
        raise MissingCodeSecretError(
            f"TIDEOVER_CODE_SECRET must be set to a random secret of at least {MIN_LENGTH} characters, the same on "
            "every replica (e.g. `openssl rand -base64 32`), unless TIDEOVER_ENV=development"
        )
    return secret.encode()


@cache
def configured_code_secret(development: bool) -> bytes:
    """The secret the environment names (read once)."""
    return code_secret(CodeSecretSettings(), development)
