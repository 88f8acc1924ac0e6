"""What the intake use cases need: storage (adapters/store.py), the ledger, the outbox, and a
check of an uploaded document's content."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from negotiation_intake.domain.access import Role
from negotiation_intake.domain.application import Application, Document, LoanView
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import CheckedDocument
from tideover_contracts.envelope import Event
from tideover_contracts.events.overdue import LedgerPosition
from tideover_contracts.events.plans import PlanOffered


@dataclass(frozen=True)
class Agent:
    """Who is calling: the owner of the API key."""

    agent_id: str
    role: Role
    key_id: str


@dataclass(frozen=True)
class Page:
    """One page of a list; `after` is the cursor of the next page (None on the last)."""

    items: list[Any]
    after: str | None


class IntakeStore(Protocol):
    async def loan(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanView | None: ...
    async def upsert_loan(
        self, loan_id: uuid.UUID, borrower_id: str, overdue: bool, business_date: Any, snapshot: str
    ) -> None: ...
    async def set_plan(self, loan_id: uuid.UUID, plan_id: uuid.UUID, status: str) -> None: ...
    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None: ...
    async def add_application(self, application: Application) -> None: ...
    async def application(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None: ...
    async def applications_for_loan(self, loan_id: uuid.UUID) -> list[Application]: ...
    async def applications(self, state: State | None, limit: int, after: str | None) -> Page: ...
    async def update_application(self, application_id: uuid.UUID, **fields: Any) -> None: ...
    async def add_offer(self, offer: PlanOffered, received_at: datetime) -> bool: ...
    async def offers(self, application_id: uuid.UUID) -> list[PlanOffered]: ...
    async def add_document(self, document: Document, content: bytes) -> None: ...
    async def documents(self, application_id: uuid.UUID) -> list[Document]: ...
    async def document(self, document_id: uuid.UUID, *, for_update: bool = False) -> Document | None: ...
    async def document_content(self, document_id: uuid.UUID) -> bytes | None: ...
    async def review_document(self, document_id: uuid.UUID, status: str, note: str, by: str, at: datetime) -> None: ...


class LedgerUnavailableError(Exception):
    """overdue-detection, the book of record, could not be asked: nothing was changed; try again."""


class Ledger(Protocol):
    """overdue-detection's ledger (adapters/ledger.py)."""

    async def position(self, loan_id: uuid.UUID) -> LedgerPosition | None:
        """The loan at the last closed business day; None if not booked or closed. Raises
        LedgerUnavailableError."""
        ...


class Outbox(Protocol):
    async def __call__(self, event: Event, *, event_id: uuid.UUID | None = None, secret: bool = False) -> None:
        """Stage `event`; `secret`: it carries a one-time code, and its row is blanked once
        published (tideover_runtime.outbox)."""
        ...


class DocumentCheck(Protocol):
    """Parses an upload (adapters/evidence_content.py): the document to keep, or
    UnacceptableDocumentError naming the rule it breaks."""

    def __call__(self, content: bytes) -> CheckedDocument: ...
