"""The outbox relay (DESIGN.md §5): publishes the events staged in the outbox (outbox.py) in
commit order with the idempotent producer and marks them sent, woken by LISTEN/NOTIFY, polling as
a fallback. A crash between publishing and marking re-publishes the same event ids, which
consumers' inboxes skip; a secret's value is blanked in the transaction that marks it sent."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from contextlib import suppress

import asyncpg
import structlog
from aiokafka.errors import KafkaError
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter as Metric

from tideover_runtime import database
from tideover_runtime.messaging import Publisher
from tideover_runtime.outbox import NOTIFY_CHANNEL

log = structlog.get_logger(__name__)

OUTBOX_PUBLISHED = Metric("tideover_outbox_published_total", "Events the outbox relay published", ["topic"])
#: A batch that fails so is tried again: its rows stay unsent.
_RETRIED: tuple[type[BaseException], ...] = (*database.FAILED, KafkaError)


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
            # One relay drains a schema at a time, so the events of one loan keep their order: the
            # lock is taken once, before the scan (an uncorrelated subquery); without it, no rows.
            rows = await connection.fetch(
                """
                SELECT id, topic, key, value, headers FROM outbox
                WHERE sent_at IS NULL AND (SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.outbox')))
                ORDER BY id LIMIT $1
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
        for topic, count in Counter(row["topic"] for row in rows).items():
            OUTBOX_PUBLISHED.labels(topic).inc(count)
        return len(rows)
