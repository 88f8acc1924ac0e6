"""Who may see the borrower's page (issue 21).

A signed link (tideover_runtime.borrower_links) opens the page of the loan it names while that
loan's borrower is the one it was signed for, and until it expires by the service's clock (the
business clock in a simulation, which signed it). Every reason to refuse it gets the same answer
(`LinkRefusal` names which for the refusal log alone): the answer tells nothing of what exists.

The session the link starts is bound to its loan and borrower: it ends when the link would
have expired, when the loan's borrower is another (a loan sold or moved), and, as a session,
after an idle time and a longest lifetime (adapters/borrower_sessions.py, by the database's clock).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class SignedLink(Protocol):
    """What a token claims before its MAC is checked (tideover_runtime.borrower_links.UnverifiedLink)."""

    @property
    def loan_id(self) -> uuid.UUID: ...

    @property
    def expires_at(self) -> datetime: ...

    def valid_for(self, borrower_id: str, now: datetime, secret: bytes) -> bool: ...


class LinkRefusal(StrEnum):
    """Why a link was refused: kept in the refusal log, never answered."""

    MALFORMED = "malformed"  # not a token of ours at all
    UNKNOWN_LOAN = "unknown_loan"  # a loan intake has not heard of
    NOT_SIGNED_FOR_BORROWER = "not_signed_for_borrower"  # altered, another borrower's, another secret
    EXPIRED = "expired"


def refusal_of_link(link: SignedLink | None, borrower_id: str | None, now: datetime, secret: bytes) -> LinkRefusal | None:
    """Why `link` does not open its loan's page at `now` for the loan's current `borrower_id`
    (None: intake does not know the loan), or None when it does."""
    if link is None:
        return LinkRefusal.MALFORMED
    if borrower_id is None:
        return LinkRefusal.UNKNOWN_LOAN
    if link.valid_for(borrower_id, now, secret):
        return None
    # Signed right but for the instant: checked just before it expired.
    signed = link.valid_for(borrower_id, link.expires_at - timedelta(microseconds=1), secret)
    return LinkRefusal.EXPIRED if signed else LinkRefusal.NOT_SIGNED_FOR_BORROWER


def session_lifetime(link_expires_at: datetime, now: datetime, longest: timedelta) -> timedelta:
    """How long a session started at `now` may last: `longest`, and never past the link."""
    return max(timedelta(0), min(longest, link_expires_at - now))


@dataclass(frozen=True)
class BorrowerSession:
    """A borrower's session: the loan and borrower its link was signed for, the form token, the
    language the borrower chose ("" for none) and when the link that started it expires."""

    loan_id: uuid.UUID
    borrower_id: str
    csrf_token: str
    language: str
    link_expires_at: datetime

    def holds(self, current_borrower: str | None, now: datetime) -> bool:
        """Whether the session still opens its loan's page: the loan is still its borrower's, and
        the link it came from has not expired by the service's clock."""
        return current_borrower == self.borrower_id and now < self.link_expires_at
