"""Retention of the inbox and the outbox (issue 18) on the real Postgres: what is past its window
goes, in batches; what is inside it, or unpublished, stays; an inbox row inside the window still
makes a redelivered event be skipped; and every service runs it by itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import LOANS_LIFECYCLE
from tideover_runtime.clock import SystemClock
from tideover_runtime.consumer import MessageProcessor
from tideover_runtime.database import create_pool, migrate
from tideover_runtime.outbox import stage
from tideover_runtime.retention import Deleted, Retention, delete_batch, delete_expired, measure_sizes
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.subscriptions import Subscriptions
from tideover_runtime.unit import Unit
from tideover_testkit import processes
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
#: The defaults: inbox rows 14 days, published outbox rows 24 hours.
DEFAULTS = Retention.of(RuntimeSettings())


@pytest.fixture
async def pool(infrastructure: Infrastructure, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    """A schema of the runtime's own tables (an empty directory of service migrations)."""
    async with fresh_schema(infrastructure.database_url, tmp_path, "retention") as pool:
        yield pool


async def handled(pool: asyncpg.Pool, ago: timedelta, consumer: str = "probe") -> uuid.UUID:
    """An inbox row for a message handled `ago`, by the database's clock."""
    event_id = uuid.uuid4()
    await pool.execute("INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, 'LoanBooked')", consumer, event_id)
    await pool.execute("UPDATE inbox SET processed_at = now() - $2::interval WHERE event_id = $1", event_id, ago)
    return event_id


async def staged(pool: asyncpg.Pool, created: timedelta, sent: timedelta | None) -> uuid.UUID:
    """An outbox row staged `created` ago and published `sent` ago (None: not yet)."""
    envelope = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=datetime.now(UTC))
    async with pool.acquire() as connection, connection.transaction():
        await stage(connection, envelope)
    await pool.execute(
        """
        UPDATE outbox SET created_at = now() - $2::interval, sent_at = now() - $3::interval
        WHERE event_id = $1
        """,
        envelope.event_id,
        created,
        sent,
    )
    return envelope.event_id


async def inbox(pool: asyncpg.Pool) -> set[uuid.UUID]:
    return {row["event_id"] for row in await pool.fetch("SELECT event_id FROM inbox")}


async def outbox(pool: asyncpg.Pool) -> set[uuid.UUID]:
    return {row["event_id"] for row in await pool.fetch("SELECT event_id FROM outbox")}


def deleted_so_far(table: str) -> float:
    return REGISTRY.get_sample_value("tideover_retention_deleted_total", {"table": table}) or 0.0


async def test_inbox_rows_past_the_window_go_and_those_inside_it_stay(pool: asyncpg.Pool) -> None:
    gone = [await handled(pool, 40 * DAY), await handled(pool, 14 * DAY + MINUTE)]
    kept = [await handled(pool, 14 * DAY - MINUTE), await handled(pool, HOUR), await handled(pool, timedelta(0))]
    before = deleted_so_far("inbox")

    swept = await DEFAULTS.sweep(pool)

    assert swept["inbox"] == Deleted(rows=2, batches=1)
    assert await inbox(pool) == set(kept)
    assert not set(gone) & await inbox(pool)
    assert deleted_so_far("inbox") - before == 2


async def test_published_outbox_rows_go_a_day_after_publishing_and_unpublished_ones_never(pool: asyncpg.Pool) -> None:
    published_long_ago = await staged(pool, created=3 * DAY, sent=2 * DAY)
    published_just_past = await staged(pool, created=DAY + 2 * MINUTE, sent=DAY + MINUTE)
    published_recently = await staged(pool, created=3 * DAY, sent=23 * HOUR)  # it waited long to be sent
    unpublished_for_a_month = await staged(pool, created=30 * DAY, sent=None)
    unpublished_new = await staged(pool, created=timedelta(0), sent=None)
    before = deleted_so_far("outbox")

    swept = await DEFAULTS.sweep(pool)

    assert swept["outbox"] == Deleted(rows=2, batches=1)
    assert await outbox(pool) == {published_recently, unpublished_for_a_month, unpublished_new}
    assert not {published_long_ago, published_just_past} & await outbox(pool)
    assert deleted_so_far("outbox") - before == 2


async def test_retention_deletes_in_batches_of_the_size_it_is_given(pool: asyncpg.Pool) -> None:
    expired = [await handled(pool, 20 * DAY) for _ in range(10)]
    fresh = [await handled(pool, DAY) for _ in range(2)]

    async with pool.acquire() as connection:
        assert await delete_batch(connection, "inbox", DEFAULTS.inbox, 4) == 4
    assert len(await inbox(pool) & set(expired)) == 6

    # 4 + 2: the short batch ends the pass.
    assert await delete_expired(pool, "inbox", DEFAULTS.inbox, 4) == Deleted(rows=6, batches=2)
    assert await inbox(pool) == set(fresh)
    # Nothing left to delete: one empty batch.
    assert await delete_expired(pool, "inbox", DEFAULTS.inbox, 4) == Deleted(rows=0, batches=1)


async def test_one_replica_at_a_time_deletes_the_others_skip_the_pass(pool: asyncpg.Pool) -> None:
    expired = await handled(pool, 20 * DAY)
    async with pool.acquire() as other_replica, other_replica.transaction():
        await other_replica.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.retention.inbox'))")
        assert await delete_expired(pool, "inbox", DEFAULTS.inbox, 100) == Deleted(rows=0, batches=0)
        assert expired in await inbox(pool)
    assert await delete_expired(pool, "inbox", DEFAULTS.inbox, 100) == Deleted(rows=1, batches=1)


async def test_sizes_are_on_metrics_with_unpublished_rows_counted_exactly(pool: asyncpg.Pool) -> None:
    for _ in range(3):
        await handled(pool, HOUR)
    await handled(pool, 20 * DAY)
    await staged(pool, created=HOUR, sent=HOUR)
    await staged(pool, created=HOUR, sent=None)
    await staged(pool, created=40 * DAY, sent=None)

    await DEFAULTS.sweep(pool)

    assert REGISTRY.get_sample_value("tideover_outbox_rows", {"state": "unpublished"}) == 2
    # The other sizes are the statistics system's live-row counts: the writes above reach them
    # once their connections report (within about 10 s of going idle).
    async with asyncio.timeout(30):
        while (sizes := await measure_sizes(pool)).inbox != 3 or sizes.outbox_published != 1:  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.5)
    assert REGISTRY.get_sample_value("tideover_inbox_rows") == 3
    assert REGISTRY.get_sample_value("tideover_outbox_rows", {"state": "published"}) == 1


def consumer_record(envelope: Envelope[Any], offset: int) -> ConsumerRecord[bytes, bytes]:
    value = envelope.to_bytes()
    return ConsumerRecord(
        topic=LOANS_LIFECYCLE.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=[],
    )


async def test_a_redelivered_event_is_skipped_while_its_inbox_row_is_inside_the_window(pool: asyncpg.Pool) -> None:
    handled_ids: list[uuid.UUID] = []
    subscriptions: Subscriptions[None] = Subscriptions()

    async def when_loan_booked_note_it(unit: Unit[LoanBooked], _: None) -> None:
        handled_ids.append(unit.envelope.event_id)

    subscriptions.on(LoanBooked, when_loan_booked_note_it)

    [subscription] = list(subscriptions)
    processor = MessageProcessor(
        subscription, consumer="probe", pool=pool, broker=KafkaBroker(), clock=SystemClock(), settings=RuntimeSettings()
    )
    envelope = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=datetime.now(UTC))
    await processor.process_batch((consumer_record(envelope, 0),))
    assert handled_ids == [envelope.event_id]

    # Handled 13 days and 23 hours ago, by the database's clock: retention keeps its row, and the
    # same event read again (a consumer group moved back, Kafka keeps it 7 days) is skipped.
    await pool.execute("UPDATE inbox SET processed_at = now() - $1::interval", 14 * DAY - HOUR)
    await DEFAULTS.sweep(pool)
    await processor.process_batch((consumer_record(envelope, 1),))
    assert handled_ids == [envelope.event_id]

    # Past the window the row is gone: the inbox no longer knows the event.
    await pool.execute("UPDATE inbox SET processed_at = now() - $1::interval", 14 * DAY + HOUR)
    await DEFAULTS.sweep(pool)
    assert await inbox(pool) == set()
    await processor.process_batch((consumer_record(envelope, 2),))
    assert handled_ids == [envelope.event_id, envelope.event_id]


SCHEMA = "runtime_retention_service"


@pytest.fixture
def probe_service(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    """The probe service, not yet started, sweeping every 0.3 s in batches of 2."""
    process = processes.probe_service(
        "retention-probe-service",
        SCHEMA,
        {**private_infrastructure.service_env(), "TIDEOVER_RETENTION_EVERY_SECONDS": "0.3", "TIDEOVER_RETENTION_BATCH_SIZE": "2"},
        tmp_path,
    )
    yield process
    process.stop()


def _metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _until_deleted(client: httpx.AsyncClient, inbox_rows: float, outbox_rows: float) -> None:
    wanted = {
        ("tideover_retention_deleted_total", (("table", "inbox"),)): inbox_rows,
        ("tideover_retention_deleted_total", (("table", "outbox"),)): outbox_rows,
    }
    async with asyncio.timeout(20):
        while {key: _metrics((await client.get("/metrics")).text).get(key) for key in wanted} != wanted:  # noqa: ASYNC110 - polling /metrics
            await asyncio.sleep(0.2)


async def test_every_service_deletes_its_expired_rows_by_itself_from_its_start(
    private_infrastructure: Infrastructure, probe_service: ServiceProcess, tmp_path: Path
) -> None:
    await migrate(private_infrastructure.database_url, SCHEMA, tmp_path / "migrations")
    pool = await create_pool(private_infrastructure.database_url, SCHEMA)
    try:
        kept = {await handled(pool, 13 * DAY), await staged(pool, created=2 * DAY, sent=None)}
        for _ in range(5):  # three batches of at most 2
            await handled(pool, 15 * DAY)
        await staged(pool, created=2 * DAY, sent=2 * DAY)

        await asyncio.to_thread(probe_service.start)
        async with httpx.AsyncClient(base_url=probe_service.url, timeout=10) as client:
            await _until_deleted(client, inbox_rows=5, outbox_rows=1)
            assert await inbox(pool) | await outbox(pool) == kept

            # And again at its next passes, not only at its start.
            for _ in range(2):
                await handled(pool, 15 * DAY)
            await _until_deleted(client, inbox_rows=7, outbox_rows=1)
        assert await inbox(pool) | await outbox(pool) == kept
    finally:
        await pool.close()
