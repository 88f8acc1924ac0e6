"""The ledger's answer a change needs, asked before the change's transaction opens (so that no
row lock or pooled connection is held while overdue-detection answers), and kept for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from negotiation_intake.adapters.ledger import configured_ledger
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.ports import Ledger, LedgerUnavailableError
from tideover_contracts.events.overdue import LedgerPosition
from tideover_runtime.service import Resources


async def ask_ledger_first(
    res: Resources, loan: uuid.UUID | Literal["application"] | None, application_id: uuid.UUID | None
) -> Ledger | None:
    """The ledger's answer for `loan`, asked now and kept for the change (None: nothing to ask,
    or no ledger configured)."""
    configured = configured_ledger()
    if configured is None or loan is None:
        return None
    if loan == "application":
        async with res.pool.acquire() as connection:
            application = await PostgresIntakeStore(connection).application(application_id) if application_id else None
        if application is None:
            return None  # the change refuses it (404) itself
        loan = application.loan_id
    assert isinstance(loan, uuid.UUID)
    try:
        answer: LedgerPosition | LedgerUnavailableError | None = await configured.position(loan)
    except LedgerUnavailableError as unavailable:
        answer = unavailable
    return AskedLedger(loan, answer)


@dataclass(frozen=True)
class AskedLedger:
    """What the ledger answered for one loan, before the change's transaction (the Ledger port)."""

    loan_id: uuid.UUID
    answer: LedgerPosition | LedgerUnavailableError | None

    async def position(self, loan_id: uuid.UUID) -> LedgerPosition | None:
        if loan_id != self.loan_id:
            raise LedgerUnavailableError(f"the ledger was asked about loan {self.loan_id}, not {loan_id}")
        if isinstance(self.answer, LedgerUnavailableError):
            raise self.answer
        return self.answer
