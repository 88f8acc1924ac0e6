"""The borrower's signed link (issue 21): valid for its loan's borrower until it expires, and
nothing else reads as valid — not an altered token, another borrower, another secret, or junk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tideover_runtime.borrower_links import (
    DEVELOPMENT_LINK_SECRET,
    TOKEN_LENGTH,
    LinkSettings,
    MissingLinkSecretError,
    link_for,
    link_secret,
    read,
    sign,
)

SECRET = b"s" * 32
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LOAN = uuid.UUID("6f1c2a52-8d0e-4b55-9a53-2f0f7d0c1b11")


def test_a_link_opens_its_loan_for_its_borrower_until_it_expires() -> None:
    token = sign(LOAN, "B-1", NOW + timedelta(days=7), SECRET)
    link = read(token)
    assert len(token) == TOKEN_LENGTH == 40
    assert link is not None
    assert link.loan_id == LOAN
    assert link.valid_for("B-1", NOW, SECRET)
    assert link.valid_for("B-1", NOW + timedelta(days=7) - timedelta(seconds=1), SECRET)
    assert not link.valid_for("B-1", NOW + timedelta(days=7, hours=1), SECRET)


def test_expiry_rounds_up_to_the_hour_never_down() -> None:
    link = read(sign(LOAN, "B-1", NOW, SECRET))
    assert link is not None
    assert link.expires_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_another_borrower_or_secret_is_refused() -> None:
    link = read(sign(LOAN, "B-1", NOW + timedelta(days=1), SECRET))
    assert link is not None
    assert not link.valid_for("B-2", NOW, SECRET)
    assert not link.valid_for("B-1", NOW, b"t" * 32)


@given(position=st.integers(0, TOKEN_LENGTH - 1), char=st.sampled_from("ABCxyz019-_"))
def test_any_altered_character_is_refused(position: int, char: str) -> None:
    token = sign(LOAN, "B-1", NOW + timedelta(days=7), SECRET)
    altered = token[:position] + char + token[position + 1 :]
    link = read(altered)
    if altered == token:
        return
    assert link is None or not link.valid_for("B-1", NOW, SECRET)


@given(st.text(max_size=60))
def test_junk_never_raises(token: str) -> None:
    link = read(token)
    assert link is None or not link.valid_for("B-1", NOW, SECRET)


def test_the_link_is_the_page_address_and_the_token() -> None:
    settings = LinkSettings(borrower_page_url="https://pay.example/b/", link_valid_days=7)
    link = link_for(LOAN, "B-1", NOW, settings, SECRET)
    token = link.removeprefix("https://pay.example/b/")
    claims = read(token)
    assert claims is not None
    assert claims.expires_at == NOW.replace(minute=0) + timedelta(days=7, hours=1)


def test_outside_development_a_proper_secret_is_required() -> None:
    with pytest.raises(MissingLinkSecretError):
        link_secret(LinkSettings(), development=False)
    with pytest.raises(MissingLinkSecretError):
        link_secret(LinkSettings(link_secret=DEVELOPMENT_LINK_SECRET), development=False)
    with pytest.raises(MissingLinkSecretError):
        link_secret(LinkSettings(link_secret="short"), development=False)
    assert link_secret(LinkSettings(link_secret="x" * 32), development=False) == b"x" * 32
    assert link_secret(LinkSettings(), development=True) == DEVELOPMENT_LINK_SECRET.encode()
