"""TIDEOVER_CODE_SECRET: required outside development (issue 17, M4)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from negotiation_intake.entrypoints.code_secret import (
    DEVELOPMENT_CODE_SECRET,
    CodeSecretSettings,
    MissingCodeSecretError,
    code_secret,
)

PROPER = "q0Jm3cJ0r4gJb8mFv0yN9kqM0Wz5m2lXc1tq7hQpUeI="


def settings(secret: str | None) -> CodeSecretSettings:
    return CodeSecretSettings(code_secret=SecretStr(secret) if secret is not None else None)


@pytest.mark.parametrize("secret", [None, "", "too-short", DEVELOPMENT_CODE_SECRET])
def test_production_refuses_to_start_without_a_proper_secret(secret: str | None) -> None:
    with pytest.raises(MissingCodeSecretError, match=r"TIDEOVER_CODE_SECRET must be set.*unless TIDEOVER_ENV=development"):
        code_secret(settings(secret), development=False)


def test_production_hashes_with_the_secret_it_is_given() -> None:
    assert code_secret(settings(PROPER), development=False) == PROPER.encode()


def test_development_hashes_with_the_development_secret_unless_given_one() -> None:
    assert code_secret(settings(None), development=True) == DEVELOPMENT_CODE_SECRET.encode()
    assert code_secret(settings("short is fine here"), development=True) == b"short is fine here"


def test_the_secret_is_not_shown_in_the_settings() -> None:
    assert PROPER not in repr(settings(PROPER))
