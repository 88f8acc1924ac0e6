"""The outbox relay and the inbox against the real Postgres and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka.errors import KafkaTimeoutError

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.examples import loan_booked
from tideover_runtime.database import Connection, create_pool, migrate
from tideover_runtime.messaging import Publisher
from tideover_runtime.outbox import stage
from tideover_runtime.relay import OutboxRelay
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.tcp_proxy import postgres_proxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
SCHEMA = "runtime_probe"


@pytest.fixture
async def pool(private_infrastructure: Infrastructure, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    await migrate(private_infrastructure.database_url, SCHEMA, tmp_path)  # the runtime's own tables only
    pool = await create_pool(private_infrastructure.database_url, SCHEMA)
    await pool.execute("TRUNCATE outbox, inbox")
    yield pool
    await pool.close()


@pytest.fixture
async def publisher(private_infrastructure: Infrastructure) -> AsyncIterator[Publisher]:
    settings = RuntimeSettings(
        KAFKA_BOOTSTRAP_SERVERS=private_infrastructure.bootstrap_servers, topic_prefix=private_infrastructure.topic_prefix
    )
    publisher = Publisher(settings, client_id="outbox-test")
    await publisher.start()
    yield publisher
    await publisher.stop()


async def _stage_then_fail(connection: Connection, envelope: object) -> None:
    async with connection.transaction():
        await stage(connection, envelope)  # type: ignore[arg-type]
        raise RuntimeError("the state change failed")


async def test_rolled_back_events_are_never_published_and_committed_ones_once(
    private_infrastructure: Infrastructure, pool: asyncpg.Pool, publisher: Publisher
) -> None:
    now = datetime.now(UTC)
    kept = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=now)
    dropped = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=now)
    async with pool.acquire() as connection:
        with pytest.raises(RuntimeError, match="state change failed"):
            await _stage_then_fail(connection, dropped)
        async with connection.transaction():
            await stage(connection, kept)
            await stage(connection, kept)  # staging the same fact twice keeps one row
    relay = OutboxRelay(pool, publisher)
    async with TopicWatcher(
        private_infrastructure.bootstrap_servers, ["loans.lifecycle.v1"], private_infrastructure.topic_prefix
    ) as watcher:
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
        await watcher.wait_for(lambda seen: any(item.envelope and item.envelope.event_id == kept.event_id for item in seen))
        await asyncio.sleep(1.0)
    ours = [item for item in watcher.seen if item.envelope and item.envelope.event_id in (kept.event_id, dropped.event_id)]
    assert [item.envelope.event_id for item in ours if item.envelope] == [kept.event_id]
    assert ours[0].headers["event_type"] == "LoanBooked"
    assert ours[0].headers["correlation_id"] == kept.correlation_id
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def test_the_relay_wakes_on_notify_and_keeps_commit_order(
    private_infrastructure: Infrastructure, pool: asyncpg.Pool, publisher: Publisher
) -> None:
    now = datetime.now(UTC)
    days = [
        wrap(BusinessDayClosed(business_date=date(2030, 1, day), closed_at=now), producer="test", occurred_at=now)
        for day in range(1, 11)
    ]
    relay = OutboxRelay(pool, publisher, poll_seconds=30.0)  # polling alone would be far too slow
    task = asyncio.create_task(relay.run())
    try:
        async with TopicWatcher(
            private_infrastructure.bootstrap_servers, ["ops.clock.v1"], private_infrastructure.topic_prefix
        ) as watcher:
            await asyncio.sleep(0.5)
            for envelope in days:
                async with pool.acquire() as connection, connection.transaction():
                    await stage(connection, envelope)
            wanted = {envelope.event_id for envelope in days}
            await watcher.wait_for(lambda seen: wanted <= {item.envelope.event_id for item in seen if item.envelope}, timeout=10)
    finally:
        relay.stop()
        await task
    order = [
        item.envelope.payload.business_date.day for item in watcher.seen if item.envelope and item.envelope.event_id in wanted
    ]
    assert order == list(range(1, 11))


class _RefusesOnce:
    """A publisher whose first batch Kafka refuses (a timeout, a broker restarting)."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self.refused = 0

    async def publish_many(self, messages: list[Any]) -> None:
        if not self.refused:
            self.refused += 1
            raise KafkaTimeoutError("the broker did not answer")
        await self._publisher.publish_many(messages)


async def test_the_relay_outlives_a_refused_batch_and_publishes_it_later(
    private_infrastructure: Infrastructure, pool: asyncpg.Pool, publisher: Publisher
) -> None:
    now = datetime.now(UTC)
    envelope = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=now)
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, envelope)
    flaky = _RefusesOnce(publisher)
    relay = OutboxRelay(pool, flaky, poll_seconds=0.2)  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run())
    try:
        async with TopicWatcher(
            private_infrastructure.bootstrap_servers, ["loans.lifecycle.v1"], private_infrastructure.topic_prefix
        ) as watcher:
            await watcher.wait_for(lambda seen: any(i.envelope and i.envelope.event_id == envelope.event_id for i in seen))
    finally:
        relay.stop()
        await task
    assert flaky.refused == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def test_the_relay_listens_again_after_losing_its_connection(
    private_infrastructure: Infrastructure, pool: asyncpg.Pool, publisher: Publisher
) -> None:
    """Postgres goes away under the relay (its connections cut, as a restart does) and comes back:
    the relay keeps running and is woken by NOTIFY again, not by its slow poll."""
    now = datetime.now(UTC)
    first, second = (wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=now) for _ in range(2))

    async def published(envelope: Any) -> None:
        async with pool.acquire() as connection, connection.transaction():
            await stage(connection, envelope)
        await watcher.wait_for(
            lambda seen: any(i.envelope and i.envelope.event_id == envelope.event_id for i in seen), timeout=10
        )

    async with (
        postgres_proxy(private_infrastructure.database_url) as (proxy, database_url),
        TopicWatcher(
            private_infrastructure.bootstrap_servers, ["loans.lifecycle.v1"], private_infrastructure.topic_prefix
        ) as watcher,
    ):
        relays_pool = await create_pool(database_url, SCHEMA)
        relay = OutboxRelay(relays_pool, publisher, poll_seconds=30.0)  # polling alone would miss the deadlines
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(0.5)
            await published(first)
            await proxy.cut()
            await asyncio.sleep(2.0)  # the relay fails to listen again, and to publish, meanwhile
            await proxy.restore()
            await published(second)
            assert not task.done()
        finally:
            relay.stop()
            await task
            await relays_pool.close()
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
