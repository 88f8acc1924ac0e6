"""In-memory fakes of intake's ports, for unit tests of its use cases (no server). They keep what
the Postgres adapters keep, with the same rules; the contract suites (tests/contract) run the
same assertions against both."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from negotiation_intake.adapters.store import cursor_of, position_of
from negotiation_intake.application.borrower_changes import ChangeFile
from negotiation_intake.application.ports import LedgerUnavailableError, Page
from negotiation_intake.domain.application import Application, Document, LoanView
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import ChangeKind, ChangeState, PendingChange
from negotiation_intake.domain.statuses import PlanStatus
from tideover_contracts.envelope import Event
from tideover_contracts.events.overdue import LedgerPosition
from tideover_contracts.events.plans import PlanOffered


@dataclass
class _Loan:
    borrower_id: str
    overdue: bool
    business_date: date
    snapshot: str
    plan_id: uuid.UUID | None = None
    plan_status: str | None = None


@dataclass
class _Offer:
    offer: str  # as JSON, as the table keeps it
    application_id: uuid.UUID
    received_at: datetime


class MemoryIntakeStore:
    """The fake of IntakeStore (adapter: adapters/store.py). The `for_update` locks are no-ops:
    a unit test runs one use case at a time."""

    def __init__(self) -> None:
        self.loans: dict[uuid.UUID, _Loan] = {}
        self.plans: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}  # plan id -> (loan id, status)
        self.applications_by_id: dict[uuid.UUID, Application] = {}
        self.offers_by_id: dict[uuid.UUID, _Offer] = {}
        self.documents_by_id: dict[uuid.UUID, tuple[Document, bytes]] = {}

    async def loan(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanView | None:
        if (loan := self.loans.get(loan_id)) is None:
            return None
        return LoanView(loan_id, loan.borrower_id, loan.overdue, json.loads(loan.snapshot), loan.plan_id, loan.plan_status)

    async def upsert_loan(self, loan_id: uuid.UUID, borrower_id: str, overdue: bool, business_date: Any, snapshot: str) -> None:
        """A new loan is kept as told; a known one takes news of its business day or a later one
        (its borrower stays, and a cure keeps the last overdue snapshot)."""
        loan = self.loans.get(loan_id)
        if loan is None:
            self.loans[loan_id] = _Loan(borrower_id, overdue, business_date, snapshot)
        elif loan.business_date <= business_date:
            loan.overdue, loan.business_date = overdue, business_date
            loan.snapshot = snapshot if overdue else loan.snapshot

    async def set_plan(self, loan_id: uuid.UUID, plan_id: uuid.UUID, status: str) -> None:
        known = self.plans.get(plan_id)
        if known is None:
            self.plans[plan_id] = (loan_id, status)
        elif known[1] == PlanStatus.ACTIVE:  # an ended plan stays ended
            self.plans[plan_id] = (known[0], status)
        in_force_elsewhere = any(
            other_loan == loan_id and other_status == PlanStatus.ACTIVE and other != plan_id
            for other, (other_loan, other_status) in self.plans.items()
        )
        if (loan := self.loans.get(loan_id)) is not None and not in_force_elsewhere:
            loan.plan_id, loan.plan_status = plan_id, self.plans[plan_id][1]

    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None:
        active = [plan_id for plan_id, (loan, status) in self.plans.items() if loan == loan_id and status == PlanStatus.ACTIVE]
        return min(active) if active else None

    async def add_application(self, application: Application) -> None:
        if application.application_id in self.applications_by_id:
            raise ValueError(f"application {application.application_id} exists already")
        self.applications_by_id[application.application_id] = application

    async def application(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None:
        return self.applications_by_id.get(application_id)

    async def applications_for_loan(self, loan_id: uuid.UUID) -> list[Application]:
        found = [item for item in self.applications_by_id.values() if item.loan_id == loan_id]
        return sorted(found, key=lambda item: item.created_at)

    async def applications(self, state: State | None, limit: int, after: str | None) -> Page:
        """Oldest first (by creation, then id), `limit` at a time."""
        position = position_of(after) if after else None
        found = sorted(
            (
                item
                for item in self.applications_by_id.values()
                if (state is None or item.state == state)
                and (position is None or (item.created_at, item.application_id) > position)
            ),
            key=lambda item: (item.created_at, item.application_id),
        )
        items = found[:limit]
        return Page(list(items), cursor_of(items[-1].created_at, items[-1].application_id) if len(found) > limit else None)

    async def update_application(self, application_id: uuid.UUID, **fields: Any) -> None:
        if (application := self.applications_by_id.get(application_id)) is not None:
            if "state" in fields:  # kept as text, read back as a State
                fields["state"] = State(fields["state"])
            self.applications_by_id[application_id] = replace(application, **fields, version=application.version + 1)

    async def add_offer(self, offer: PlanOffered, received_at: datetime) -> bool:
        if offer.offer_id in self.offers_by_id:
            return False
        if offer.application_id not in self.applications_by_id:
            raise ValueError(f"no application {offer.application_id} for offer {offer.offer_id}")
        self.offers_by_id[offer.offer_id] = _Offer(offer.model_dump_json(), offer.application_id, received_at)
        return True

    async def offers(self, application_id: uuid.UUID) -> list[PlanOffered]:
        kept = sorted((o for o in self.offers_by_id.values() if o.application_id == application_id), key=lambda o: o.received_at)
        return [PlanOffered.model_validate_json(o.offer) for o in kept]

    async def add_document(self, document: Document, content: bytes) -> None:
        if document.document_id in self.documents_by_id:
            raise ValueError(f"document {document.document_id} exists already")
        if document.application_id not in self.applications_by_id:
            raise ValueError(f"no application {document.application_id} for document {document.document_id}")
        self.documents_by_id[document.document_id] = (document, bytes(content))

    async def documents(self, application_id: uuid.UUID) -> list[Document]:
        found = [document for document, _ in self.documents_by_id.values() if document.application_id == application_id]
        return sorted(found, key=lambda document: (document.uploaded_at, document.document_id))

    async def document(self, document_id: uuid.UUID, *, for_update: bool = False) -> Document | None:
        kept = self.documents_by_id.get(document_id)
        return kept[0] if kept else None

    async def document_content(self, document_id: uuid.UUID) -> bytes | None:
        kept = self.documents_by_id.get(document_id)
        return kept[1] if kept else None

    async def review_document(self, document_id: uuid.UUID, status: str, note: str, by: str, at: datetime) -> None:
        if (kept := self.documents_by_id.get(document_id)) is not None:
            reviewed = replace(kept[0], status=status, review_note=note, reviewed_by=by, reviewed_at=at)
            self.documents_by_id[document_id] = (reviewed, kept[1])


@dataclass
class MemoryLedger:
    """The fake of Ledger (adapter: adapters/ledger.py): answers the positions set in
    `positions` (None for a loan it has not), or LedgerUnavailableError while `unavailable`."""

    positions: dict[uuid.UUID, LedgerPosition] = field(default_factory=dict)
    unavailable: bool = False
    asked: list[uuid.UUID] = field(default_factory=list)

    def book(self, position: LedgerPosition) -> None:
        self.positions[position.loan_id] = position

    async def position(self, loan_id: uuid.UUID) -> LedgerPosition | None:
        self.asked.append(loan_id)
        if self.unavailable:
            raise LedgerUnavailableError("overdue-detection did not answer (a test's ledger)")
        return self.positions.get(loan_id)


@dataclass(frozen=True)
class Staged:
    event: Event
    event_id: uuid.UUID | None
    secret: bool


@dataclass
class RecordingOutbox:
    """The fake of the commands' Outbox: keeps what was staged, in order (an event id staged
    again is a no-op, as in the outbox table)."""

    staged: list[Staged] = field(default_factory=list)

    async def __call__(self, event: Event, *, event_id: uuid.UUID | None = None, secret: bool = False) -> None:
        if event_id is not None and any(item.event_id == event_id for item in self.staged):
            return
        self.staged.append(Staged(event, event_id, secret))

    def events(self, event_class: type[Any]) -> list[Any]:
        """The events staged of `event_class`, in the order they were staged."""
        return [item.event for item in self.staged if isinstance(item.event, event_class)]

    def types(self) -> list[str]:
        return [type(item.event).__name__ for item in self.staged]


class MemoryPendingChanges:
    """The borrowers' pending changes and their files (application/borrower_changes.py)."""

    def __init__(self) -> None:
        self.changes: dict[uuid.UUID, PendingChange] = {}
        self.kept_files: dict[uuid.UUID, list[ChangeFile]] = {}
        self.asked: list[tuple[uuid.UUID, datetime]] = []

    async def add(self, change: PendingChange, files: list[ChangeFile]) -> None:
        """As the Postgres adapter: the session's earlier pending changes of the loan, and those
        whose code expired a day before, are dropped with their files."""
        stale = change.created_at - timedelta(days=1)
        for other in list(self.changes.values()):
            same_session = (other.loan_id, other.session_key) == (change.loan_id, change.session_key)
            expired = (other.code_expires_at or other.created_at) < stale
            if other.state is ChangeState.PENDING and (same_session or expired):
                del self.changes[other.change_id]
                self.kept_files.pop(other.change_id, None)
        self.changes[change.change_id] = change
        self.kept_files[change.change_id] = list(files)

    async def get(self, change_id: uuid.UUID, *, for_update: bool = False) -> PendingChange | None:
        return self.changes.get(change_id)

    async def files(self, change_id: uuid.UUID) -> list[ChangeFile]:
        return list(self.kept_files.get(change_id, []))

    async def save(self, change: PendingChange) -> None:
        self.changes[change.change_id] = change

    async def latest(self, loan_id: uuid.UUID, session_key: str, kind: ChangeKind) -> PendingChange | None:
        mine = [c for c in self.changes.values() if c.loan_id == loan_id and c.session_key == session_key and c.kind is kind]
        return max(mine, key=lambda c: c.created_at, default=None)

    async def codes_asked(self, loan_id: uuid.UUID, since: datetime) -> list[datetime]:
        return sorted(at for loan, at in self.asked if loan == loan_id and at > since)

    async def note_code_asked(self, loan_id: uuid.UUID, at: datetime) -> None:
        self.asked.append((loan_id, at))
