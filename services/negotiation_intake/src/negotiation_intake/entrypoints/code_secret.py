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

from tideover_runtime.settings import MIN_SECRET_LENGTH, MissingSecretError, server_secret

#: What a developer's machine and the tests hash with when they set no secret: never production's.
DEVELOPMENT_CODE_SECRET = "tideover-development-code-secret-never-in-production"  # noqa: S105 — public by design
#: As many characters as a random 32-byte secret has in base64 (`openssl rand -base64 32`).
MIN_LENGTH = MIN_SECRET_LENGTH


class CodeSecretSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    code_secret: SecretStr | None = Field(default=None, description="Keys the HMAC of the one-time codes")


#: Raised outside development without a proper secret.
MissingCodeSecretError = MissingSecretError


def code_secret(settings: CodeSecretSettings, development: bool) -> bytes:
    """The secret to hash codes with; MissingCodeSecretError outside development without a
    proper one."""
    return server_secret(
        settings.code_secret,
        development,
        DEVELOPMENT_CODE_SECRET,
        f"TIDEOVER_CODE_SECRET must be set to a random secret of at least {MIN_LENGTH} characters, the same on "
        "every replica (e.g. `openssl rand -base64 32`), unless TIDEOVER_ENV=development",
    )


@cache
def configured_code_secret(development: bool) -> bytes:
    """The secret the environment names (read once)."""
    return code_secret(CodeSecretSettings(), development)
