"""The borrower's changes on their page (domain/borrower_changes.py): kept pending with their
files, a code sent for them through notification (BorrowerCodeRequested), and applied once with
the right code."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from negotiation_intake.application.errors import TooManyTriesError
from negotiation_intake.application.ports import Outbox
from negotiation_intake.domain.borrower_changes import ChangeKind, ChangeState, PendingChange, Verdict, verdict
from negotiation_intake.domain.borrower_limits import CODES_A_DAY_PER_LOAN, code_wait_seconds
from tideover_contracts.events.negotiation import BorrowerCodeRequested
from tideover_runtime.clock import Clock


@dataclass(frozen=True)
class ChangeFile:
    """A file the borrower sent with a change (proof of hardship), kept until it is applied."""

    filename: str
    kind: str
    content: bytes


class PendingChanges(Protocol):
    """Where pending changes are kept (adapters/borrower_changes.py; a fake in adapters/memory.py)."""

    async def add(self, change: PendingChange, files: list[ChangeFile]) -> None: ...
    async def get(self, change_id: uuid.UUID, *, for_update: bool = False) -> PendingChange | None: ...
    async def files(self, change_id: uuid.UUID) -> list[ChangeFile]: ...
    async def save(self, change: PendingChange) -> None: ...
    async def latest(self, loan_id: uuid.UUID, session_key: str, kind: ChangeKind) -> PendingChange | None: ...
    async def codes_asked(self, loan_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When codes were asked for the loan's changes since `since` (any session's, any kind)."""
        ...

    async def note_code_asked(self, loan_id: uuid.UUID, at: datetime) -> None: ...


#: Applies a change (in the caller's transaction); the id of what it made.
Apply = Callable[[PendingChange, list[ChangeFile]], Awaitable[uuid.UUID]]


@dataclass(frozen=True)
class Confirmed:
    """What a code did: the change applied (now or before: `result_id`), or refused (None)."""

    result_id: uuid.UUID | None

    @property
    def applied(self) -> bool:
        return self.result_id is not None


async def send_code(changes: PendingChanges, outbox: Outbox, clock: Clock, change: PendingChange, secret: bytes) -> str:
    """A fresh code for the pending `change` (the one sent before no longer works), kept as its
    HMAC with `secret`, and BorrowerCodeRequested for notification to send it; the outbox row is
    blanked once published. Returns the code (for tests only: the page never shows it).

    The change's wrong tries carry over to the new code: a change allows CODE_TRIES wrong tries
    in all, however many codes are asked for it. TooManyTriesError (nothing sent) beyond the
    codes notification sends for a loan in any 24 hours (CODES_A_DAY_PER_LOAN)."""
    now = clock.now()
    since = now - CODES_A_DAY_PER_LOAN.window
    if (wait := code_wait_seconds(await changes.codes_asked(change.loan_id, since), now)) is not None:
        message = f"as many change codes as are sent for a loan in a day; try again in {wait} seconds"
        raise TooManyTriesError(CODES_A_DAY_PER_LOAN.scope, message, wait)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = change.code_expiry(now)
    await changes.save(replace(change, code_hash=change.hashed(secret, code), code_expires_at=expires))
    await changes.note_code_asked(change.loan_id, now)
    await outbox(
        BorrowerCodeRequested(
            request_id=change.change_id,
            loan_id=change.loan_id,
            borrower_id=change.borrower_id,
            change=change.kind.value,
            confirmation_code=code,
            code_expires_at=expires,
            requested_at=now,
        ),
        secret=True,
    )
    return code


async def confirm_change(
    changes: PendingChanges, now: datetime, change_id: uuid.UUID, session_key: str, code: str, secret: bytes, apply: Apply
) -> Confirmed:
    """Apply the change with the right code, once (locked for the transaction: two submits take
    turns, and the second finds it applied); a wrong code uses up a try. Refused alike whatever
    the reason."""
    change = await changes.get(change_id, for_update=True)
    match verdict(change, session_key, code, now, secret):
        case Verdict.APPLY:
            assert change is not None
            result = await apply(change, await changes.files(change_id))
            await changes.save(replace(change, state=ChangeState.APPLIED, result_id=result))
            return Confirmed(result)
        case Verdict.ALREADY_APPLIED:
            assert change is not None
            return Confirmed(change.result_id)
        case Verdict.WRONG:
            assert change is not None
            await changes.save(replace(change, code_tries=change.code_tries + 1))
    return Confirmed(None)
