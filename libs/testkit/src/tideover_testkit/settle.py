"""Waiting until the whole system has caught up: every live consumer group at the end of its
topic, every service's outbox sent and (if given) a watcher's read everything. The simulator
settles after each clock event, so that what a day causes is decided before the next day starts
(and runs are reproducible); journey tests settle between steps instead of sleeping."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING

import asyncpg
from aiokafka.errors import KafkaError

from tideover_runtime.database import UNAVAILABLE
from tideover_runtime.lag import LagProbe
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.processes import ALL_SERVICES

if TYPE_CHECKING:  # not at run time: the fixtures module needs pytest, the simulator does not
    from tideover_testkit.fixtures import Infrastructure

#: What a restarting broker or database raises at a client; settle asks again.
UNREACHABLE = (*UNAVAILABLE, asyncpg.OperatorInterventionError, KafkaError)


async def unsent(connection: asyncpg.Connection | asyncpg.Pool) -> int:
    """Outbox rows not yet published, over every service schema in the database."""
    total = 0
    for schema in ALL_SERVICES:
        exists = await connection.fetchval("SELECT to_regclass($1)", f"{schema}.outbox")
        if exists:
            total += await connection.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL")
    return total


async def settle(
    probe: LagProbe,
    connection: asyncpg.Connection | asyncpg.Pool,
    watcher: TopicWatcher | None = None,
    timeout: float = 300.0,
) -> float:
    """Until nothing is in flight twice in a row (a relay may be between its commit and its
    publish), then until `watcher` read it all; returns the seconds it took. While the broker
    or the database is unreachable it keeps asking (with a pool, the database may restart)."""
    started = time.perf_counter()
    quiet = 0
    async with asyncio.timeout(timeout):
        while quiet < 2:
            await asyncio.sleep(0.05)
            try:
                behind = sum((await probe.lag()).values())
                quiet = quiet + 1 if behind == 0 and await unsent(connection) == 0 else 0
            except UNREACHABLE:
                quiet = 0
                await asyncio.sleep(0.5)
        while watcher is not None:
            try:
                await watcher.caught_up()
            except UNREACHABLE:
                await asyncio.sleep(0.5)
            else:
                break
    return time.perf_counter() - started


async def settled(infrastructure: Infrastructure, timeout: float = 60.0) -> float:
    """`settle` on `infrastructure` with a probe and a connection of its own: for a journey step
    that needs every service to have taken in what was published (services read each topic on
    its own, so one that lags on a topic would act on an older state)."""
    async with LagProbe(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as probe:
        connection = await asyncpg.connect(infrastructure.database_url)
        try:
            return await settle(probe, connection, timeout=timeout)
        finally:
            await connection.close()


async def taken_in(infrastructure: Infrastructure, schema: str, *event_ids: uuid.UUID, timeout: float = 30.0) -> None:
    """Until the service of `schema` (e.g. "notification") has taken in these events: their inbox
    rows are committed. For a test that needs one fact handled before it publishes the next on
    another topic, where settling the whole system would be more than it needs."""
    connection = await asyncpg.connect(infrastructure.database_url)
    try:
        async with asyncio.timeout(timeout):
            while await connection.fetchval(  # noqa: ASYNC110 - polling the database: no event to wait on
                f"SELECT count(DISTINCT event_id) FROM {schema}.inbox WHERE event_id = ANY($1::uuid[])", list(event_ids)
            ) < len(set(event_ids)):
                await asyncio.sleep(0.1)
    finally:
        await connection.close()
