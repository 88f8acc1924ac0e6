"""The transactional outbox (DESIGN.md §5): events are staged in the same transaction as the
state change that caused them (`stage`, and `PostgresOutbox`, the use cases' outbox port); the
relay (relay.py) publishes them.

An event staged as `secret` (it carries a one-time code) has its value blanked in the same
transaction that marks it sent: the code is on the topic for its consumers, and no longer in the
table (DESIGN.md §5: secrets are not kept in clear after they are sent). The row itself stays,
so that staging the same event id again is still a no-op and it is never published twice, until
retention deletes published rows a day old (tideover_runtime.retention).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.topics import topic_of
from tideover_runtime.database import Connection
from tideover_runtime.unit import Secret

NOTIFY_CHANNEL = "tideover_outbox"


#: Staged rows go in with one statement (in the order given: the relay publishes by id) that also
#: wakes the relay (NOTIFY is delivered at the commit, and a transaction's repeated NOTIFYs are one).
_INSERT = "WITH staged AS (INSERT INTO outbox (event_id, event_type, topic, key, value, headers, secret)"
_NOTIFYING = "ON CONFLICT (event_id) DO NOTHING RETURNING 1) SELECT pg_notify($8, '')"


def _carries(secret: Secret, event: Event) -> bool:
    return secret(event) if callable(secret) else secret


async def stage(connection: Connection, *envelopes: Envelope[Any], secret: Secret = False) -> None:
    """Add `envelopes` to the outbox in the caller's transaction; a repeated event id is a no-op.
    `secret`: the events (or those it says) carry a secret, blanked in the outbox once published."""
    if not envelopes:
        return
    await connection.execute(
        f"""
        {_INSERT}
        SELECT event_id, event_type, topic, key, value, headers, secret
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::jsonb[], $7::bool[])
            WITH ORDINALITY AS staging(event_id, event_type, topic, key, value, headers, secret, position)
        ORDER BY position
        {_NOTIFYING}
        """,
        [envelope.event_id for envelope in envelopes],
        [envelope.event_type for envelope in envelopes],
        [topic_of(envelope.payload).name for envelope in envelopes],
        [envelope.payload.partition_key() for envelope in envelopes],
        [envelope.to_bytes() for envelope in envelopes],
        [json.dumps(envelope.headers()) for envelope in envelopes],
        [_carries(secret, envelope.payload) for envelope in envelopes],
        NOTIFY_CHANNEL,
    )


async def stage_event(
    connection: Connection,
    event: Event,
    *,
    producer: str,
    occurred_at: datetime,
    event_id: uuid.UUID | None = None,
    causation: Envelope[Any] | None = None,
    correlation_id: str | None = None,
    secret: bool = False,
) -> Envelope[Any]:
    envelope = wrap(
        event,
        producer=producer,
        occurred_at=occurred_at,
        event_id=event_id,
        causation=causation,
        correlation_id=correlation_id,
    )
    await stage(connection, envelope, secret=secret)
    return envelope


def rendered_value(
    event_class: type[Event],
    payload_json: str,
    *,
    event_id: uuid.UUID,
    producer: str,
    occurred_at: datetime,
    causation: Envelope[Any],
) -> bytes:
    """The message an event rendered as JSON goes out as: its envelope around `payload_json`."""
    envelope = json.dumps(
        {
            "event_id": str(event_id),
            "event_type": event_class.event_type,
            "schema_version": event_class.schema_version,
            "occurred_at": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "producer": producer,
            "correlation_id": causation.correlation_id,
            "causation_id": str(causation.event_id),
        },
        ensure_ascii=False,
    )
    return f'{envelope[:-1]},"payload":{payload_json}}}'.encode()


async def stage_rendered(
    connection: Connection,
    event_class: type[Event],
    payload_json: str,
    *,
    key: str,
    event_id: uuid.UUID,
    producer: str,
    occurred_at: datetime,
    causation: Envelope[Any],
    secret: bool = False,
) -> None:
    """Stage an event whose payload the caller has already rendered as JSON, in the shape of
    `event_class`'s contract: for events too large to build as pydantic objects at the rate
    they are produced (a plan offer carries hundreds of schedule lines). The caller's tests
    parse what it renders with the contract."""
    value = rendered_value(
        event_class, payload_json, event_id=event_id, producer=producer, occurred_at=occurred_at, causation=causation
    )
    headers = {
        "event_type": event_class.event_type,
        "schema_version": str(event_class.schema_version),
        "correlation_id": causation.correlation_id,
    }
    await connection.execute(
        f"""
        {_INSERT}
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
        {_NOTIFYING}
        """,
        event_id,
        event_class.event_type,
        topic_of(event_class).name,
        key,
        value,
        json.dumps(headers),
        secret,
        NOTIFY_CHANNEL,
    )


class PostgresOutbox:
    """The outbox port (tideover_runtime.unit.Outbox) on one transaction's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def stage(self, envelopes: Sequence[Envelope[Any]], secret: Secret = False) -> None:
        await stage(self._connection, *envelopes, secret=secret)

    async def stage_rendered(
        self,
        event_class: type[Event],
        payload_json: str,
        *,
        key: str,
        event_id: uuid.UUID,
        producer: str,
        occurred_at: datetime,
        causation: Envelope[Any],
    ) -> None:
        await stage_rendered(
            self._connection,
            event_class,
            payload_json,
            key=key,
            event_id=event_id,
            producer=producer,
            occurred_at=occurred_at,
            causation=causation,
        )
