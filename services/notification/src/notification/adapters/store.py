"""Contacts, messages, plans and the contact log in Postgres (schema notification)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from notification.application.codes import FORGOTTEN, forgotten, secret_until
from notification.application.ports import Contact, LedgerStatus, LogEntry, StatusChange, StoredMessage
from notification.domain.contact_rules import History, Sent
from tideover_contracts.common import Channel, Jurisdiction, Language, Locale
from tideover_contracts.envelope import Event
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosureReason
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.money import Money
from tideover_contracts.topics import ALL_EVENT_TYPES
from tideover_runtime.database import Connection

_MESSAGE_COLUMNS = "notification_id, loan_id, purpose, source_type, source, created_at, status, failed_channels, channel"


def _source(source_type: str, source: str) -> Event:
    """The event a message tells of, as stored; a written plan whose code was forgotten
    (application/codes.py) is read with the code `FORGOTTEN`, which the contract would refuse."""
    event_class: type[Event] = ALL_EVENT_TYPES[source_type]
    if event_class is PlanSentToBorrower:
        data = json.loads(source)
        if data.get("confirmation_code") == FORGOTTEN:
            return forgotten(data)
    return event_class.model_validate_json(source)


def _message(row: Any) -> StoredMessage:
    return StoredMessage(
        notification_id=row["notification_id"],
        loan_id=row["loan_id"],
        purpose=Purpose(row["purpose"]),
        source=_source(row["source_type"], row["source"]),
        created_at=row["created_at"],
        status=row["status"],
        failed_channels=frozenset(Channel(channel) for channel in row["failed_channels"]),
        channel=Channel(row["channel"]) if row["channel"] else None,
    )


class PostgresNotificationStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add_contact(self, loan: LoanBooked) -> None:
        borrower = loan.borrower
        await self._connection.execute(
            """
            INSERT INTO contacts (loan_id, borrower_id, name, phone, email, locale, time_zone, jurisdiction, preferred_channels,
                                  push_token, language)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (loan_id) DO NOTHING
            """,
            loan.loan_id,
            borrower.borrower_id,
            borrower.name,
            borrower.phone,
            borrower.email,
            borrower.locale.value,
            borrower.time_zone,
            borrower.jurisdiction.value,
            [channel.value for channel in borrower.preferred_channels],
            borrower.push_token,
            borrower.language.value if borrower.language else None,
        )

    async def change_contact(self, change: BorrowerContactChanged) -> bool:
        status = await self._connection.execute(
            """
            UPDATE contacts SET phone = coalesce($2, phone), email = coalesce($3, email), locale = coalesce($4, locale),
                   time_zone = coalesce($5, time_zone), preferred_channels = coalesce($6, preferred_channels),
                   opted_out_channels = $7, do_not_contact = $8, push_token = coalesce($9, push_token),
                   language = coalesce($10, language)
            WHERE loan_id = $1
            """,
            change.loan_id,
            change.phone,
            change.email,
            change.locale.value if change.locale else None,
            change.time_zone,
            [c.value for c in change.preferred_channels] if change.preferred_channels else None,
            [c.value for c in change.opted_out_channels],
            change.do_not_contact,
            change.push_token,
            change.language.value if change.language else None,
        )
        return bool(status != "UPDATE 0")

    async def contacts(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        rows = await self._connection.fetch("SELECT * FROM contacts WHERE loan_id = ANY($1::uuid[])", list(loan_ids))
        return {
            row["loan_id"]: Contact(
                loan_id=row["loan_id"],
                borrower_id=row["borrower_id"],
                phone=row["phone"],
                email=row["email"],
                push_token=row["push_token"],
                locale=Locale(row["locale"]),
                language=Language(row["language"]) if row["language"] else None,
                time_zone=row["time_zone"],
                jurisdiction=Jurisdiction(row["jurisdiction"]),
                preferred_channels=tuple(Channel(c) for c in row["preferred_channels"]),
                opted_out_channels=tuple(Channel(c) for c in row["opted_out_channels"]),
                do_not_contact=row["do_not_contact"],
            )
            for row in rows
        }

    async def add_messages(self, messages: list[StoredMessage]) -> set[uuid.UUID]:
        """The ids of the messages that are new: one that exists already (a duplicate, even
        within `messages`) becomes one message. A written plan's is kept with the instant its
        code expires (`secret_until`), when the code is forgotten (`forget_codes`)."""
        rows = await self._connection.fetch(
            """
            INSERT INTO messages (notification_id, loan_id, purpose, source_type, source, created_at, status, secret_until)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::text[],
                                 $8::timestamptz[])
            ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id
            """,
            [m.notification_id for m in messages],
            [m.loan_id for m in messages],
            [m.purpose.value for m in messages],
            [m.source.event_type for m in messages],
            [m.source.model_dump_json() for m in messages],
            [m.created_at for m in messages],
            [m.status for m in messages],
            [secret_until(m.source) for m in messages],
        )
        return {row["notification_id"] for row in rows}

    async def message(self, notification_id: uuid.UUID, *, for_update: bool = False) -> StoredMessage | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE notification_id = $1{lock}", notification_id
        )
        return _message(row) if row else None

    async def due(self, now: datetime, limit: int) -> list[StoredMessage]:
        """Held messages whose time has come, oldest first, locked for this transaction."""
        rows = await self._connection.fetch(
            f"""
            SELECT {_MESSAGE_COLUMNS} FROM messages WHERE status = 'held' AND hold_until <= $1
            ORDER BY hold_until, created_at LIMIT $2 FOR UPDATE SKIP LOCKED
            """,
            now,
            limit,
        )
        return [_message(row) for row in rows]

    async def forget_codes(self, now: datetime, limit: int) -> list[StoredMessage]:
        """The messages whose one-time code expired by `now` (at most `limit`, the first to
        expire first), locked for this transaction, with their code forgotten: their stored
        event holds `FORGOTTEN` in its place from now on."""
        rows = await self._connection.fetch(
            f"""
            UPDATE messages SET source = jsonb_set(source, '{{confirmation_code}}', to_jsonb($3::text)), secret_until = NULL
            WHERE notification_id IN (
                SELECT notification_id FROM messages WHERE secret_until <= $1
                ORDER BY secret_until, notification_id LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            RETURNING {_MESSAGE_COLUMNS}
            """,
            now,
            limit,
            FORGOTTEN,
        )
        return sorted((_message(row) for row in rows), key=lambda message: (message.created_at, message.notification_id))

    async def set_statuses(self, changes: list[StatusChange]) -> None:
        if not changes:
            return
        await self._connection.execute(
            """
            UPDATE messages m SET status = c.status, hold_until = c.hold_until, channel = c.channel, sent_at = c.sent_at
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[])
                AS c(notification_id, status, hold_until, channel, sent_at)
            WHERE m.notification_id = c.notification_id
            """,
            [c.notification_id for c in changes],
            [c.status for c in changes],
            [c.hold_until for c in changes],
            [c.channel.value if c.channel else None for c in changes],
            [c.sent_at for c in changes],
        )

    async def add_failed_channel(self, notification_id: uuid.UUID, channel: Channel) -> None:
        await self._connection.execute(
            "UPDATE messages SET failed_channels = array_append(failed_channels, $2) WHERE notification_id = $1",
            notification_id,
            channel.value,
        )

    async def histories(self, loan_ids: Collection[uuid.UUID], since: datetime) -> dict[uuid.UUID, History]:
        ids = list(loan_ids)
        sent = await self._connection.fetch(
            """
            SELECT loan_id, channel, sent_at, purpose FROM messages
            WHERE loan_id = ANY($1::uuid[]) AND status = 'sent' AND sent_at >= $2
            """,
            ids,
            since,
        )
        talks = await self._connection.fetch("SELECT loan_id, last_at FROM conversations WHERE loan_id = ANY($1::uuid[])", ids)
        last_talk = {row["loan_id"]: row["last_at"] for row in talks}
        by_loan: dict[uuid.UUID, list[Sent]] = {loan_id: [] for loan_id in ids}
        for row in sent:
            by_loan[row["loan_id"]].append(Sent(Channel(row["channel"]), row["sent_at"], Purpose(row["purpose"])))
        return {loan_id: History(tuple(items), last_talk.get(loan_id)) for loan_id, items in by_loan.items()}

    async def waiting(self, loan_ids: Collection[uuid.UUID]) -> list[StoredMessage]:
        """The loans' messages that wait for a fact from another topic, locked for this transaction."""
        rows = await self._connection.fetch(
            f"""
            SELECT {_MESSAGE_COLUMNS} FROM messages WHERE status = 'waiting' AND loan_id = ANY($1::uuid[])
            ORDER BY created_at, notification_id FOR UPDATE
            """,
            list(loan_ids),
        )
        return [_message(row) for row in rows]

    async def active_plans(self, loan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """The loans with a plan started and not ended."""
        rows = await self._connection.fetch(
            "SELECT loan_id FROM plan_states WHERE started AND NOT ended AND loan_id = ANY($1::uuid[])", list(loan_ids)
        )
        return {row["loan_id"] for row in rows}

    async def note_plan(
        self,
        plan_id: uuid.UUID,
        loan_id: uuid.UUID,
        *,
        started: bool = False,
        ended: bool = False,
        broken_by: uuid.UUID | None = None,
    ) -> None:
        """What an event says of a plan; the flags only ever turn on, and the PlanBroken that
        ended it is the first one read: the same in whatever order the events come."""
        await self._connection.execute(
            """
            INSERT INTO plan_states (plan_id, loan_id, started, ended, broken_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (plan_id) DO UPDATE SET
                started = plan_states.started OR excluded.started,
                ended = plan_states.ended OR excluded.ended,
                broken_by = coalesce(plan_states.broken_by, excluded.broken_by)
            """,
            plan_id,
            loan_id,
            started,
            ended,
            broken_by,
        )

    async def keep_ledgers_after_breaks(self, statuses: list[tuple[uuid.UUID, uuid.UUID, LedgerStatus]]) -> None:
        """Each (PlanBroken event id, loan, the ledger's status it caused); the first one kept."""
        if not statuses:
            return
        await self._connection.execute(
            """
            INSERT INTO ledger_after_breaks (broken_by, loan_id, as_of, days_past_due, overdue_total, currency)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::int[], $5::numeric[], $6::text[])
            ON CONFLICT (broken_by) DO NOTHING
            """,
            [broken_by for broken_by, _, _ in statuses],
            [loan_id for _, loan_id, _ in statuses],
            [status.as_of for _, _, status in statuses],
            [status.days_past_due for _, _, status in statuses],
            [status.overdue_total.amount for _, _, status in statuses],
            [status.overdue_total.currency for _, _, status in statuses],
        )

    async def ledgers_after_breaks(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LedgerStatus]:
        """The ledger's status after each plan broke, by plan, for those known."""
        rows = await self._connection.fetch(
            """
            SELECT p.plan_id, l.as_of, l.days_past_due, l.overdue_total, l.currency
            FROM plan_states p JOIN ledger_after_breaks l ON l.broken_by = p.broken_by
            WHERE p.plan_id = ANY($1::uuid[])
            """,
            list(plan_ids),
        )
        return {
            row["plan_id"]: LedgerStatus(row["as_of"], row["days_past_due"], Money.of(row["overdue_total"], row["currency"]))
            for row in rows
        }

    async def close_loan(self, loan_id: uuid.UUID, reason: LoanClosureReason, closed_on: date) -> None:
        """A loan closes once: a repeated LoanClosed changes nothing."""
        await self._connection.execute(
            "INSERT INTO loan_closures VALUES ($1, $2, $3) ON CONFLICT (loan_id) DO NOTHING", loan_id, reason.value, closed_on
        )

    async def closures(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LoanClosureReason]:
        rows = await self._connection.fetch(
            "SELECT loan_id, reason FROM loan_closures WHERE loan_id = ANY($1::uuid[])", list(loan_ids)
        )
        return {row["loan_id"]: LoanClosureReason(row["reason"]) for row in rows}

    async def lock_loans(self, loan_ids: Collection[uuid.UUID]) -> None:
        """Hold each loan's lock to the end of the transaction, in one order (no deadlock): the
        two halves of a fact that comes on two topics are then read and written one at a time."""
        for loan_id in sorted(loan_ids):
            await self._connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('notification loan ' || $1::uuid::text, 0))", loan_id
            )

    async def record_conversation(self, loan_id: uuid.UUID, at: datetime) -> None:
        await self._connection.execute(
            """
            INSERT INTO conversations VALUES ($1, $2)
            ON CONFLICT (loan_id) DO UPDATE SET last_at = greatest(conversations.last_at, excluded.last_at)
            """,
            loan_id,
            at,
        )

    async def log(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        await self._connection.executemany(
            """
            INSERT INTO contact_log (notification_id, loan_id, purpose, channel, decision, rule, hold_until, template,
                                     subject, body, decided_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """,
            [
                (
                    e.notification_id,
                    e.loan_id,
                    e.purpose.value,
                    e.channel.value if e.channel else "",
                    e.decision,
                    e.rule,
                    e.hold_until,
                    e.template,
                    e.subject,
                    e.body,
                    e.decided_at,
                )
                for e in entries
            ],
        )

    async def receipt(self, notification_id: uuid.UUID, channel: Channel, receipt: str, reason: str | None, at: datetime) -> bool:
        status = await self._connection.execute(
            """
            UPDATE contact_log SET receipt = $3, receipt_reason = $4, receipt_at = $5
            WHERE notification_id = $1 AND channel = $2 AND decision = 'sent' AND receipt IS NULL
            """,
            notification_id,
            channel.value,
            receipt,
            reason,
            at,
        )
        return bool(status != "UPDATE 0")
