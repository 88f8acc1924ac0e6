"""What the contract suites of the NotificationStore port store and read back with: the store
under test (`Kept`) and the messages it keeps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from notification.adapters.memory import MemoryNotificationStore
from notification.application.message_facts import purpose_of
from notification.application.ports import LedgerStatus, NotificationStore
from notification.domain.messages import StoredMessage
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_runtime.database import Connection

EventT = TypeVar("EventT", bound=Event)
AT = datetime(2031, 3, 3, 4, 0, tzinfo=UTC)
LEDGER = LedgerStatus(date(2031, 3, 3), 31, Money.of("712.40", "CNY"))


@dataclass
class Kept:
    """A store, and what it logged read back, whichever adapter it is."""

    store: NotificationStore
    connection: Connection | None

    async def locks_held(self) -> int:
        """How many loan locks this transaction holds."""
        if isinstance(self.store, MemoryNotificationStore):
            return len(self.store.locked)
        assert self.connection is not None
        return int(
            await self.connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
            )
        )

    async def log(self) -> list[tuple[Any, ...]]:
        """Each line: id, channel, decision, rule, template, body, receipt, receipt reason, receipt instant."""
        if isinstance(self.store, MemoryNotificationStore):
            return [
                (
                    row.entry.notification_id,
                    row.channel,
                    row.entry.decision,
                    row.entry.rule,
                    row.entry.template,
                    row.entry.body,
                    row.receipt,
                    row.receipt_reason,
                    row.receipt_at,
                )
                for row in self.store.contact_log
            ]
        assert self.connection is not None
        rows = await self.connection.fetch(
            """
            SELECT notification_id, channel, decision, rule, template, body, receipt, receipt_reason, receipt_at
            FROM contact_log ORDER BY id
            """
        )
        return [tuple(row.values()) for row in rows]


def golden(kind: type[EventT], **changes: Any) -> EventT:
    event = next(event for event in golden_events() if type(event) is kind)
    return event.model_copy(update=changes)


def message_of(
    event: Event, *, created_at: datetime = AT, status: str = "held", notification_id: uuid.UUID | None = None
) -> StoredMessage:
    return StoredMessage(
        notification_id=notification_id or uuid.uuid4(),
        loan_id=event.loan_id,  # type: ignore[attr-defined]
        purpose=purpose_of(event),
        source=event,
        created_at=created_at,
        status=status,
        failed_channels=frozenset(),
        channel=None,
    )


def notice(loan_id: uuid.UUID | None = None, **message: Any) -> StoredMessage:
    return message_of(golden(LoanBecameOverdue, loan_id=loan_id or uuid.uuid4()), **message)


def written_plan(expires_at: datetime, loan_id: uuid.UUID | None = None, **message: Any) -> StoredMessage:
    event = golden(
        PlanSentToBorrower,
        loan_id=loan_id or uuid.uuid4(),
        confirmation_code="731904",
        sent_at=expires_at - timedelta(hours=24),
        code_expires_at=expires_at,
    )
    return message_of(event, **message)
