"""The NotificationStore port in memory, for unit tests of the use cases (no server): plain dicts
and lists with the semantics of the Postgres adapter (adapters/store.py), which the contract
suites tests/contract/test_notification_store*.py check against it. Locks are no-ops (one
coroutine at a time); `locked` records which loans were asked for."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TypeVar

from notification.application.codes import CODE_EVENTS, forget, secret_until
from notification.application.ports import LedgerStatus, LogEntry, StatusChange
from notification.domain.contact_rules import History, Outcome, Sent
from notification.domain.messages import Contact, PagePreferences, StoredMessage
from notification.domain.statuses import MessageStatus
from tideover_contracts.common import Channel
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosureReason
from tideover_contracts.events.negotiation import ContactPreferencesChosen
from tideover_contracts.money import Money

T = TypeVar("T")


@dataclass
class MessageRow:
    """A row of `messages`: the message, and what the store keeps beside it."""

    message: StoredMessage
    failed_channels: list[Channel] = field(default_factory=list)  # as the SQL array: appended, in order
    hold_until: datetime | None = None
    sent_at: datetime | None = None
    secret_until: datetime | None = None

    def read(self) -> StoredMessage:
        return replace(self.message, failed_channels=frozenset(self.failed_channels))


@dataclass
class LogRow:
    """A row of `contact_log`: the entry and its receipt. A decision without a channel is
    logged with the channel '' (as the SQL stores it)."""

    entry: LogEntry
    channel: str
    receipt: str | None = None
    receipt_reason: str | None = None
    receipt_at: datetime | None = None


@dataclass
class PlanState:
    loan_id: uuid.UUID
    started: bool = False
    ended: bool = False
    broken_by: uuid.UUID | None = None


def _given(value: T | None, otherwise: T) -> T:
    """SQL's coalesce(value, otherwise)."""
    return otherwise if value is None else value


class MemoryNotificationStore:
    def __init__(self) -> None:
        self.contacts_by_loan: dict[uuid.UUID, Contact] = {}
        self.messages: dict[uuid.UUID, MessageRow] = {}
        self.contact_log: list[LogRow] = []
        self.plans: dict[uuid.UUID, PlanState] = {}
        self.ledgers: dict[uuid.UUID, tuple[uuid.UUID, LedgerStatus]] = {}  # by the PlanBroken's id: (loan, status)
        self.closed: dict[uuid.UUID, tuple[LoanClosureReason, date]] = {}
        self.conversations: dict[uuid.UUID, datetime] = {}
        self.locked: set[uuid.UUID] = set()
        self.preferences: dict[uuid.UUID, PagePreferences] = {}

    async def add_contact(self, loan: LoanBooked) -> None:
        borrower = loan.borrower
        self.contacts_by_loan.setdefault(
            loan.loan_id,
            Contact(
                loan_id=loan.loan_id,
                borrower_id=borrower.borrower_id,
                phone=borrower.phone,
                email=borrower.email,
                push_token=borrower.push_token,
                locale=borrower.locale,
                language=borrower.language,
                time_zone=borrower.time_zone,
                jurisdiction=borrower.jurisdiction,
                preferred_channels=tuple(borrower.preferred_channels),
                opted_out_channels=(),
                do_not_contact=False,
            ),
        )

    async def change_contact(self, change: BorrowerContactChanged) -> bool:
        """What the change names replaces what is kept (an empty list of preferred channels names
        none); the opt-outs and do-not-contact are replaced always."""
        contact = self.contacts_by_loan.get(change.loan_id)
        if contact is None:
            return False
        self.contacts_by_loan[change.loan_id] = replace(
            contact,
            phone=_given(change.phone, contact.phone),
            email=_given(change.email, contact.email),
            locale=_given(change.locale, contact.locale),
            time_zone=_given(change.time_zone, contact.time_zone),
            preferred_channels=tuple(change.preferred_channels or contact.preferred_channels),
            opted_out_channels=tuple(change.opted_out_channels),
            do_not_contact=change.do_not_contact,
            push_token=_given(change.push_token, contact.push_token),
            language=_given(change.language, contact.language),
        )
        return True

    async def contacts(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        return {loan_id: self.contacts_by_loan[loan_id] for loan_id in loan_ids if loan_id in self.contacts_by_loan}

    async def keep_page_preferences(self, chosen: ContactPreferencesChosen) -> None:
        kept = self.preferences.get(chosen.loan_id)
        if kept is not None and kept.chosen_at > chosen.chosen_at:
            return
        self.preferences[chosen.loan_id] = PagePreferences(
            loan_id=chosen.loan_id,
            change_id=chosen.change_id,
            preferred_channels=tuple(chosen.preferred_channels),
            opted_out_channels=tuple(chosen.opted_out_channels),
            hours=chosen.preferred_hours,
            chosen_at=chosen.chosen_at,
        )

    async def page_preferences(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PagePreferences]:
        return {loan_id: self.preferences[loan_id] for loan_id in loan_ids if loan_id in self.preferences}

    async def add_messages(self, messages: list[StoredMessage]) -> set[uuid.UUID]:
        new = set()
        for message in messages:
            if message.notification_id not in self.messages:
                self.messages[message.notification_id] = MessageRow(
                    replace(message, failed_channels=frozenset(), channel=None), secret_until=secret_until(message.source)
                )
                new.add(message.notification_id)
        return new

    async def message(self, notification_id: uuid.UUID, *, for_update: bool = False) -> StoredMessage | None:
        row = self.messages.get(notification_id)
        return row.read() if row else None

    async def due(self, now: datetime, limit: int) -> list[StoredMessage]:
        held = [
            r for r in self.messages.values() if r.message.status == MessageStatus.HELD and r.hold_until and r.hold_until <= now
        ]
        held.sort(key=lambda r: (r.hold_until, r.message.created_at))
        return [row.read() for row in held[:limit]]

    async def forget_codes(self, now: datetime, limit: int) -> list[StoredMessage]:
        expired = [r for r in self.messages.values() if r.secret_until and r.secret_until <= now]
        expired.sort(key=lambda r: (r.secret_until, r.message.notification_id))
        for row in expired[:limit]:
            assert isinstance(row.message.source, CODE_EVENTS)  # the only events stored with a secret
            row.message = replace(row.message, source=forget(row.message.source))
            row.secret_until = None
        return sorted((row.read() for row in expired[:limit]), key=lambda m: (m.created_at, m.notification_id))

    async def set_statuses(self, changes: list[StatusChange]) -> None:
        for change in changes:
            if (row := self.messages.get(change.notification_id)) is not None:
                row.message = replace(row.message, status=change.status, channel=change.channel)
                row.hold_until, row.sent_at = change.hold_until, change.sent_at

    async def add_failed_channel(self, notification_id: uuid.UUID, channel: Channel) -> None:
        if (row := self.messages.get(notification_id)) is not None:
            row.failed_channels.append(channel)

    async def histories(self, loan_ids: Collection[uuid.UUID], since: datetime) -> dict[uuid.UUID, History]:
        sent: dict[uuid.UUID, list[Sent]] = {loan_id: [] for loan_id in loan_ids}
        for row in self.messages.values():
            message = row.message
            if message.loan_id in sent and message.status == MessageStatus.SENT and row.sent_at and row.sent_at >= since:
                assert message.channel is not None
                sent[message.loan_id].append(Sent(message.channel, row.sent_at, message.purpose))
        return {loan_id: History(tuple(items), self.conversations.get(loan_id)) for loan_id, items in sent.items()}

    async def waiting(self, loan_ids: Collection[uuid.UUID]) -> list[StoredMessage]:
        loans = set(loan_ids)
        rows = [r for r in self.messages.values() if r.message.status == MessageStatus.WAITING and r.message.loan_id in loans]
        return sorted((row.read() for row in rows), key=lambda m: (m.created_at, m.notification_id))

    async def active_plans(self, loan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        loans = set(loan_ids)
        return {plan.loan_id for plan in self.plans.values() if plan.started and not plan.ended and plan.loan_id in loans}

    async def note_plan(
        self,
        plan_id: uuid.UUID,
        loan_id: uuid.UUID,
        *,
        started: bool = False,
        ended: bool = False,
        broken_by: uuid.UUID | None = None,
    ) -> None:
        plan = self.plans.setdefault(plan_id, PlanState(loan_id))
        plan.started, plan.ended = plan.started or started, plan.ended or ended
        plan.broken_by = _given(plan.broken_by, broken_by)

    async def keep_ledgers_after_breaks(self, statuses: list[tuple[uuid.UUID, uuid.UUID, LedgerStatus]]) -> None:
        for broken_by, loan_id, status in statuses:
            total = Money.of(status.overdue_total.amount, status.overdue_total.currency)  # as numeric keeps it
            self.ledgers.setdefault(broken_by, (loan_id, replace(status, overdue_total=total)))

    async def ledgers_after_breaks(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LedgerStatus]:
        found = {}
        for plan_id in plan_ids:
            plan = self.plans.get(plan_id)
            if plan is not None and plan.broken_by is not None and plan.broken_by in self.ledgers:
                found[plan_id] = self.ledgers[plan.broken_by][1]
        return found

    async def close_loan(self, loan_id: uuid.UUID, reason: LoanClosureReason, closed_on: date) -> None:
        self.closed.setdefault(loan_id, (reason, closed_on))

    async def closures(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LoanClosureReason]:
        return {loan_id: self.closed[loan_id][0] for loan_id in loan_ids if loan_id in self.closed}

    async def lock_loans(self, loan_ids: Collection[uuid.UUID]) -> None:
        self.locked.update(loan_ids)

    async def record_conversation(self, loan_id: uuid.UUID, at: datetime) -> None:
        self.conversations[loan_id] = max(at, self.conversations.get(loan_id, at))

    async def log(self, entries: list[LogEntry]) -> None:
        self.contact_log.extend(LogRow(entry, entry.channel.value if entry.channel else "") for entry in entries)

    async def receipt(self, notification_id: uuid.UUID, channel: Channel, receipt: str, reason: str | None, at: datetime) -> bool:
        """Every sent decision of the message on the channel not yet receipted takes the receipt."""
        rows = [
            row
            for row in self.contact_log
            if row.entry.notification_id == notification_id
            and row.channel == channel.value
            and row.entry.decision == Outcome.SEND
            and row.receipt is None
        ]
        for row in rows:
            row.receipt, row.receipt_reason, row.receipt_at = receipt, reason, at
        return bool(rows)
