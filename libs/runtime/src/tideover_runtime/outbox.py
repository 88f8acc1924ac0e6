"""The transactional outbox and its relay (DESIGN.md §5).

Events are staged in the same transaction as the state change that caused them; the relay
publishes them in order with the idempotent producer and marks them sent. A crash between
publishing and marking re-publishes the same event ids, which consumers' inboxes skip.

An event staged as `secret` (it carries a one-time code) has its value blanked in the same
transaction that marks it sent: the code is on the topic for its consumers, and no longer in the
table (DESIGN.md §5: secrets are not kept in clear after they are sent). The row itself stays,
so that staging the same event id again is still a no-op and it is never published twice, until
retention deletes published rows a day old (tideover_runtime.retention).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter

from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.topics import topic_of
from tideover_runtime import database
from tideover_runtime.database import Connection
from tideover_runtime.messaging import Publisher
from tideover_runtime.unit import Secret

log = structlog.get_logger(__name__)

OUTBOX_PUBLISHED = Counter("tideover_outbox_published_total", "Events the outbox relay published", ["topic"])
NOTIFY_CHANNEL = "tideover_outbox"
#: A batch that fails so is tried again: its rows stay unsent.
_RETRIED: tuple[type[BaseException], ...] = (*database.FAILED, KafkaError)


def _carries(secret: Secret, event: Event) -> bool:
    return secret(event) if callable(secret) else secret


async def stage(connection: Connection, *envelopes: Envelope[Any], secret: Secret = False) -> None:
    """Add `envelopes` to the outbox in the caller's transaction; a repeated event id is a no-op.
    `secret`: the events (or those it says) carry a secret, blanked in the outbox once published."""
    if not envelopes:
        return
    await connection.executemany(
        """
        INSERT INTO outbox (event_id, event_type, topic, key, value, headers, secret)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
        ON CONFLICT (event_id) DO NOTHING
        """,
        [
            (
                envelope.event_id,
                envelope.event_type,
                topic_of(envelope.payload).name,
                envelope.payload.partition_key(),
                envelope.to_bytes(),
                json.dumps(envelope.headers()),
                _carries(secret, envelope.payload),
            )
            for envelope in envelopes
        ],
    )
    await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


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
    value = f'{envelope[:-1]},"payload":{payload_json}}}'.encode()
    headers = {
        "event_type": event_class.event_type,
        "schema_version": str(event_class.schema_version),
        "correlation_id": causation.correlation_id,
    }
    await connection.execute(
        """
        INSERT INTO outbox (event_id, event_type, topic, key, value, headers, secret)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
        ON CONFLICT (event_id) DO NOTHING
        """,
        event_id,
        event_class.event_type,
        topic_of(event_class).name,
        key,
        value,
        json.dumps(headers),
        secret,
    )
    await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


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


class OutboxRelay:
    """Publishes staged events in commit order, woken by LISTEN/NOTIFY, polling as a fallback."""

    def __init__(self, pool: asyncpg.Pool, publisher: Publisher, *, batch_size: int = 500, poll_seconds: float = 1.0) -> None:
        self._pool = pool
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        #: How soon to try again after a failed batch or a failed LISTEN.
        self._retry_seconds = min(poll_seconds, 1.0)
        self._wake = asyncio.Event()
        self._stopping = False
        self._listener_lost = False

    async def run(self) -> None:
        listener: PoolConnectionProxy | None = None
        try:
            while not self._stopping:
                if listener is None or self._listener_lost:
                    # Listen (again: the connection is lost when Postgres restarts).
                    listener = await self._listen(listener)
                # Cleared before publishing, so a NOTIFY that arrives meanwhile is not lost.
                self._wake.clear()
                try:
                    published = await self.publish_pending()
                except _RETRIED as error:
                    # The batch's transaction rolled back: its rows are still unsent, and what may
                    # have reached Kafka before the failure is deduplicated by event id downstream.
                    log.warning("outbox relay could not publish; retrying", error=repr(error))
                    published = 0
                    await asyncio.sleep(self._retry_seconds)
                if published < self._batch_size:
                    # Not listening: poll, and soon try to listen again.
                    wait = self._poll_seconds if listener is not None else self._retry_seconds
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=wait)
        finally:
            await self._unlisten(listener)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_listener_lost(self, *_: object) -> None:
        self._listener_lost = True
        self._wake.set()

    async def _listen(self, lost: PoolConnectionProxy | None) -> PoolConnectionProxy | None:
        await self._unlisten(lost)
        try:
            connection: PoolConnectionProxy = await self._pool.acquire()
            await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
            connection.add_termination_listener(self._on_listener_lost)
        except database.FAILED as error:
            log.warning("outbox relay polls until it can LISTEN", error=repr(error))
            return None
        self._listener_lost = False
        return connection

    async def _unlisten(self, listener: PoolConnectionProxy | None) -> None:
        if listener is not None:
            # Each step may fail on a lost connection (a proxy whose connection the pool already
            # took back refuses every call); the pool replaces it.
            with suppress(Exception):
                listener.remove_termination_listener(self._on_listener_lost)
            with suppress(Exception):
                await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            with suppress(Exception):
                await self._pool.release(listener)

    async def publish_pending(self) -> int:
        """Publish one batch of unsent events; returns how many were sent."""
        async with self._pool.acquire() as connection, connection.transaction():
            # One relay drains a schema at a time, so the events of one loan keep their order.
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.outbox'))"):
                return 0
            rows = await connection.fetch(
                """
                SELECT id, topic, key, value, headers FROM outbox
                WHERE sent_at IS NULL ORDER BY id LIMIT $1
                FOR UPDATE SKIP LOCKED
                """,
                self._batch_size,
            )
            if not rows:
                return 0
            await self._publisher.publish_many(
                [(row["topic"], row["key"], row["value"], json.loads(row["headers"])) for row in rows]
            )
            # Marked sent, and a secret blanked, in one statement: both or neither (on a crash
            # before the commit the row is published again, whole, and deduplicated downstream).
            await connection.execute(
                """
                UPDATE outbox SET sent_at = now(), value = CASE WHEN secret THEN ''::bytea ELSE value END
                WHERE id = ANY($1::bigint[])
                """,
                [row["id"] for row in rows],
            )
        for row in rows:
            OUTBOX_PUBLISHED.labels(row["topic"]).inc()
        return len(rows)
