"""What the notification use cases need from storage (adapters/store.py implements it, adapters/memory.py
fakes it for tests)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from notification.application.links import BorrowerLinks
from notification.application.written_plan import WrittenPlanTerms
from notification.domain.contact_rules import PROFILES, History, Profile
from notification.domain.messages import Contact, PagePreferences, StoredMessage
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosureReason
from tideover_contracts.events.negotiation import ContactPreferencesChosen
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.money import Money


@dataclass(frozen=True)
class StatusChange:
    """Where a message stands after a decision."""

    notification_id: uuid.UUID
    status: str  # held | sent | suppressed
    hold_until: datetime | None = None
    channel: Channel | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class LogEntry:
    """One line of the contact log: a decision (sent, held until when, suppressed by which rule)."""

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    purpose: Purpose
    channel: Channel | None
    decision: str
    rule: str | None
    hold_until: datetime | None
    template: str | None
    subject: str | None
    body: str | None
    decided_at: datetime


@dataclass(frozen=True)
class LedgerStatus:
    """The loan as overdue-detection's ledger, the book of record, has it after a plan broke
    (the OverdueStatusChanged with reason plan_broken that the PlanBroken caused)."""

    as_of: date
    days_past_due: int
    overdue_total: Money


@dataclass(frozen=True)
class Rendered:
    template: str  # e.g. "overdue_notice/sms.zh-CN@v1", "overdue_notice/sms.zh-Hant@v1"
    subject: str | None  # e-mail only
    body: str


class Renderer(Protocol):
    """Renders a message in the borrower's language (adapters/templates.py)."""

    def __call__(
        self,
        purpose: Purpose,
        channel: Channel,
        language: Language,
        jurisdiction: Jurisdiction,
        time_zone: str,
        facts: Mapping[str, object],
    ) -> Rendered: ...


class NotificationStore(Protocol):
    async def add_contact(self, loan: LoanBooked) -> None: ...
    async def change_contact(self, change: BorrowerContactChanged) -> bool: ...
    async def contacts(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]: ...
    async def keep_page_preferences(self, chosen: ContactPreferencesChosen) -> None: ...
    async def page_preferences(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PagePreferences]: ...
    async def add_messages(self, messages: list[StoredMessage]) -> set[uuid.UUID]: ...
    async def message(self, notification_id: uuid.UUID, *, for_update: bool = False) -> StoredMessage | None: ...
    async def due(self, now: datetime, limit: int) -> list[StoredMessage]: ...
    async def forget_codes(self, now: datetime, limit: int) -> list[StoredMessage]: ...
    async def set_statuses(self, changes: list[StatusChange]) -> None: ...
    async def add_failed_channel(self, notification_id: uuid.UUID, channel: Channel) -> None: ...
    async def histories(self, loan_ids: Collection[uuid.UUID], since: datetime) -> dict[uuid.UUID, History]: ...
    async def waiting(self, loan_ids: Collection[uuid.UUID]) -> list[StoredMessage]: ...
    async def active_plans(self, loan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]: ...
    async def note_plan(
        self,
        plan_id: uuid.UUID,
        loan_id: uuid.UUID,
        *,
        started: bool = False,
        ended: bool = False,
        broken_by: uuid.UUID | None = None,
    ) -> None: ...
    async def keep_ledgers_after_breaks(self, statuses: list[tuple[uuid.UUID, uuid.UUID, LedgerStatus]]) -> None: ...
    async def ledgers_after_breaks(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LedgerStatus]: ...
    async def close_loan(self, loan_id: uuid.UUID, reason: LoanClosureReason, closed_on: date) -> None: ...
    async def closures(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LoanClosureReason]: ...
    async def lock_loans(self, loan_ids: Collection[uuid.UUID]) -> None: ...
    async def record_conversation(self, loan_id: uuid.UUID, at: datetime) -> None: ...
    async def log(self, entries: list[LogEntry]) -> None: ...
    async def receipt(
        self, notification_id: uuid.UUID, channel: Channel, receipt: str, reason: str | None, at: datetime
    ) -> bool: ...


@dataclass(frozen=True)
class Notifying:
    """Everything a use case of this service works with."""

    store: NotificationStore
    render: Renderer
    profiles: Mapping[Jurisdiction, Profile] = field(default_factory=lambda: dict(PROFILES))
    #: What the written plan states beyond the plan: the plan rules, how and where to pay.
    plan_terms: WrittenPlanTerms = field(default_factory=WrittenPlanTerms)
    #: Signs the borrower's link into the messages that carry one (application/links.py); None
    #: where nothing is sent (the contact window), and a message with a link cannot be rendered.
    links: BorrowerLinks | None = None
