"""What /readyz asks: can this service reach Postgres and Kafka right now?

Each check is bounded in time (a dependency that hangs must not hang the probe that reports
it) and answers False rather than raising; nothing is cached, so /readyz recovers by itself
as soon as the dependency answers again.
"""

from __future__ import annotations

import asyncio

import asyncpg
from faststream.kafka import KafkaBroker

from tideover_runtime import database

#: Seconds a single check may take; /readyz runs the checks side by side.
CHECK_TIMEOUT_SECONDS = 2.0


async def database_ready(pool: asyncpg.Pool, timeout: float = CHECK_TIMEOUT_SECONDS) -> bool:
    """A pooled connection answers a query (a broken one is replaced on the next try)."""
    try:
        async with asyncio.timeout(timeout), pool.acquire(timeout=timeout) as connection:
            return bool(await connection.fetchval("SELECT true", timeout=timeout))
    except database.FAILED:  # a timeout is an OSError
        return False


async def kafka_ready(broker: KafkaBroker, timeout: float = CHECK_TIMEOUT_SECONDS) -> bool:
    """The broker answers a cluster description through the service's own client."""
    try:
        async with asyncio.timeout(timeout + 0.5):
            return await broker.ping(timeout=timeout)
    except (OSError, TimeoutError):
        return False
