"""An event staged as carrying a secret (a one-time code) reaches Kafka whole, once, and its
outbox row keeps nothing of it after (DESIGN.md §5; issue 17, M4): on the real Postgres and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka.errors import KafkaTimeoutError

from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.examples import golden_events, loan_booked
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS
from tideover_runtime.database import create_pool, migrate
from tideover_runtime.messaging import Publisher
from tideover_runtime.outbox import stage
from tideover_runtime.relay import OutboxRelay
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import TopicWatcher

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
SCHEMA = "runtime_secret_probe"
CODE = "482915"


@pytest.fixture
async def pool(private_infrastructure: Infrastructure, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    await migrate(private_infrastructure.database_url, SCHEMA, tmp_path)  # the runtime's own tables only
    pool = await create_pool(private_infrastructure.database_url, SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
async def publisher(private_infrastructure: Infrastructure) -> AsyncIterator[Publisher]:
    settings = RuntimeSettings(
        KAFKA_BOOTSTRAP_SERVERS=private_infrastructure.bootstrap_servers, topic_prefix=private_infrastructure.topic_prefix
    )
    publisher = Publisher(settings, client_id="secret-outbox-test")
    await publisher.start()
    yield publisher
    await publisher.stop()


@pytest.fixture
async def watcher(private_infrastructure: Infrastructure) -> AsyncIterator[TopicWatcher]:
    topics = [NEGOTIATION_APPLICATIONS.name, "loans.lifecycle.v1"]
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watching:
        yield watching


def written_plan() -> Envelope[Any]:
    """A written plan with its code, as intake stages it."""
    event = next(event for event in golden_events() if isinstance(event, PlanSentToBorrower))
    event = event.model_copy(update={"application_id": uuid.uuid4(), "confirmation_code": CODE})
    return wrap(event, producer="test", occurred_at=datetime.now(UTC))


async def row(pool: asyncpg.Pool, envelope: Envelope[Any]) -> asyncpg.Record:
    found = await pool.fetchrow("SELECT value, sent_at, secret FROM outbox WHERE event_id = $1", envelope.event_id)
    assert found is not None
    return found


async def copies_on_kafka(watcher: TopicWatcher, envelope: Envelope[Any]) -> list[Any]:
    await watcher.caught_up()
    return [item for item in watcher.seen if item.envelope is not None and item.envelope.event_id == envelope.event_id]


async def test_a_secret_reaches_kafka_whole_and_its_row_is_blanked_in_the_same_transaction(
    pool: asyncpg.Pool, publisher: Publisher, watcher: TopicWatcher
) -> None:
    plan = written_plan()
    booked = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=datetime.now(UTC))
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, booked, plan, secret=lambda event: isinstance(event, PlanSentToBorrower))
    assert CODE.encode() in (await row(pool, plan))["value"]  # until published, the relay needs it

    assert await OutboxRelay(pool, publisher).publish_pending() == 2

    [published] = await copies_on_kafka(watcher, plan)
    assert published.envelope.payload.confirmation_code == CODE
    kept = await row(pool, plan)
    assert (kept["value"], kept["secret"], kept["sent_at"] is not None) == (b"", True, True)
    other = await row(pool, booked)
    assert (other["value"], other["secret"]) == (booked.to_bytes(), False)  # only the secret one is blanked
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE position($1::bytea IN value) > 0", CODE.encode()) == 0


class _DiesWhilePublishing:
    """A publisher that fails a batch once, before Kafka has it (a timeout) or after (the process
    dying between publishing and the commit that marks the rows sent)."""

    def __init__(self, publisher: Publisher, *, after_publishing: bool) -> None:
        self._publisher = publisher
        self._after = after_publishing
        self.failed = 0

    async def publish_many(self, messages: list[Any]) -> None:
        if self.failed:
            await self._publisher.publish_many(messages)
            return
        self.failed += 1
        if self._after:
            await self._publisher.publish_many(messages)
            raise ConnectionResetError("the process died before its commit")
        raise KafkaTimeoutError("the broker did not answer")


async def test_a_secret_kafka_refused_is_kept_whole_and_published_once_later(
    pool: asyncpg.Pool, publisher: Publisher, watcher: TopicWatcher
) -> None:
    plan = written_plan()
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, plan, secret=True)
    flaky = _DiesWhilePublishing(publisher, after_publishing=False)
    relay = OutboxRelay(pool, flaky)  # type: ignore[arg-type]

    with pytest.raises(KafkaTimeoutError):
        await relay.publish_pending()
    refused = await row(pool, plan)
    assert (refused["value"], refused["sent_at"]) == (plan.to_bytes(), None)

    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0
    assert [item.envelope.payload.confirmation_code for item in await copies_on_kafka(watcher, plan)] == [CODE]
    assert (await row(pool, plan))["value"] == b""


async def test_a_crash_before_the_commit_publishes_the_whole_event_again_under_its_id(
    pool: asyncpg.Pool, publisher: Publisher, watcher: TopicWatcher
) -> None:
    """Published, then the process dies before marking it sent: the row is neither marked nor
    blanked, so the relay publishes the same event again, whole; consumers' inboxes skip the
    second copy by its event id (the outbox's usual guarantee, kept for secrets)."""
    plan = written_plan()
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, plan, secret=True)
    dying = _DiesWhilePublishing(publisher, after_publishing=True)
    relay = OutboxRelay(pool, dying)  # type: ignore[arg-type]

    with pytest.raises(ConnectionResetError):
        await relay.publish_pending()
    assert (await row(pool, plan))["value"] == plan.to_bytes()

    assert await relay.publish_pending() == 1
    copies = await copies_on_kafka(watcher, plan)
    assert [item.envelope.event_id for item in copies] == [plan.event_id, plan.event_id]
    assert {item.envelope.payload.confirmation_code for item in copies} == {CODE}
    assert (await row(pool, plan))["value"] == b""


async def test_a_secret_staged_again_after_it_was_published_is_not_published_again(
    pool: asyncpg.Pool, publisher: Publisher, watcher: TopicWatcher
) -> None:
    """The blanked row stays: the same event staged again (a handler run twice) is a no-op, as for
    any event, and does not bring the code back into the table."""
    plan = written_plan()
    relay = OutboxRelay(pool, publisher)
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, plan, secret=True)
    assert await relay.publish_pending() == 1
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, plan, secret=True)

    assert await relay.publish_pending() == 0
    assert len(await copies_on_kafka(watcher, plan)) == 1
    assert (await row(pool, plan))["value"] == b""
