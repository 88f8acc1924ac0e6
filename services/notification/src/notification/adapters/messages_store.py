"""Messages, the contact history and the contact log in Postgres (schema notification): the
half of adapters/store.py `PostgresNotificationStore` that keeps what was decided."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from notification.application.codes import CODE_EVENTS, FORGOTTEN, forgotten, secret_until
from notification.application.ports import LogEntry, StatusChange
from notification.domain.contact_rules import History, Sent
from notification.domain.messages import StoredMessage
from tideover_contracts.common import Channel
from tideover_contracts.envelope import Event
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.topics import ALL_EVENT_TYPES
from tideover_runtime.database import Connection

_MESSAGE_COLUMNS = "notification_id, loan_id, purpose, source_type, source, created_at, status, failed_channels, channel"


def _source(source_type: str, source: str) -> Event:
    """The event a message tells of, as stored; a written plan or a change code whose code was
    forgotten (application/codes.py) is read with the code `FORGOTTEN`, which the contract would
    refuse."""
    event_class: type[Event] = ALL_EVENT_TYPES[source_type]
    if event_class in CODE_EVENTS:
        data = json.loads(source)
        if data.get("confirmation_code") == FORGOTTEN:
            return forgotten(data, event_class)  # type: ignore[arg-type]
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


class PostgresMessages:
    """The messages as decided, their history and their log (NotificationStore's methods of them)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

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

    async def log(self, entries: list[LogEntry]) -> None:
        """One statement for the whole run, the entries in their order."""
        if not entries:
            return
        await self._connection.execute(
            """
            INSERT INTO contact_log (notification_id, loan_id, purpose, channel, decision, rule, hold_until, template,
                                     subject, body, decided_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                                 $8::text[], $9::text[], $10::text[], $11::timestamptz[])
            """,
            [e.notification_id for e in entries],
            [e.loan_id for e in entries],
            [e.purpose.value for e in entries],
            [e.channel.value if e.channel else "" for e in entries],
            [e.decision for e in entries],
            [e.rule for e in entries],
            [e.hold_until for e in entries],
            [e.template for e in entries],
            [e.subject for e in entries],
            [e.body for e in entries],
            [e.decided_at for e in entries],
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
