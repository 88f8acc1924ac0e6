"""A change the borrower makes on their page, waiting for its one-time code (issue 21: "any change
the borrower makes is confirmed with a one-time code sent to their phone on file").

The page keeps the change server-side, bound to the borrower's session, and asks for a code; the
code is kept only as its HMAC with the server's code secret (DESIGN.md §5), valid
`CODE_VALID_MINUTES` and `CODE_TRIES` tries. The right code applies the change once: entered
again (a double submit, a redelivered request) it answers as the first time did and applies
nothing more. Every other try — a wrong, expired or locked code, a change already abandoned or
another session's — gets one and the same refusal (`Verdict.REFUSED`): the page tells nothing of
which. Nothing changes without the code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from negotiation_intake.domain.application_state import code_hash, code_matches

#: A change code is asked for on the page and typed in at once: 10 minutes is plenty, and short
#: enough that a code read off a borrower's phone later is of no use.
CODE_VALID_MINUTES = 10
#: Wrong tries before the code is locked (the written plan's code has 5 too, DESIGN.md §4).
CODE_TRIES = 5


class ChangeKind(StrEnum):
    """What a change does once confirmed; BorrowerCodeRequested names it to notification."""

    HARDSHIP_APPLICATION = "hardship_application"  # I need help: an application opened
    OPTION_CHOICE = "option_choice"  # My options: an option of the current offer chosen
    CONTACT_PREFERENCES = "contact_preferences"  # How we contact you: channels, opt-outs, hours


class ChangeState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"


class Verdict(StrEnum):
    APPLY = "apply"  # the right code, the change still pending: apply it now
    ALREADY_APPLIED = "already_applied"  # the right code again: answer as the first time
    WRONG = "wrong"  # a wrong code while tries are left: one try used (answered as REFUSED)
    REFUSED = "refused"  # anything else: expired, locked, no code sent, not this session's


@dataclass(frozen=True)
class PendingChange:
    """The change, who may confirm it (`session_key`: the SHA-256 of the session's token), its
    details (for a hardship application: reason, income, expenses, description), its code's hash,
    expiry and tries, and what it came to once applied (`result_id`: the application's id)."""

    change_id: uuid.UUID
    loan_id: uuid.UUID
    borrower_id: str
    session_key: str
    kind: ChangeKind
    details: dict[str, Any]
    created_at: datetime
    state: ChangeState = ChangeState.PENDING
    code_hash: str | None = None
    code_expires_at: datetime | None = None
    code_tries: int = 0
    result_id: uuid.UUID | None = None

    @property
    def code_subject(self) -> str:
        """What the code's HMAC is keyed on beside the code: this change alone."""
        return f"borrower-change:{self.change_id}"

    def hashed(self, secret: bytes, code: str) -> str:
        return code_hash(secret, self.code_subject, code)

    def code_expired(self, now: datetime) -> bool:
        """Whether no code of this change works at `now` (none sent, or past its expiry)."""
        return self.code_expires_at is None or now >= self.code_expires_at

    def code_expiry(self, now: datetime) -> datetime:
        return now + timedelta(minutes=CODE_VALID_MINUTES)


def verdict(change: PendingChange | None, session_key: str, code: str, now: datetime, secret: bytes) -> Verdict:
    """What `code`, entered in the session `session_key` at `now`, does to `change`."""
    if change is None or change.session_key != session_key or change.code_hash is None:
        return Verdict.REFUSED
    matches = code_matches(secret, change.code_subject, code, change.code_hash)
    if change.state is ChangeState.APPLIED:
        return Verdict.ALREADY_APPLIED if matches else Verdict.REFUSED
    if change.code_tries >= CODE_TRIES or change.code_expired(now):
        return Verdict.REFUSED
    return Verdict.APPLY if matches else Verdict.WRONG
