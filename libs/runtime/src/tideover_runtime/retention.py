"""Retention of the inbox and the outbox (issue 18): each service deletes its own old rows.

- An inbox row is kept TIDEOVER_INBOX_RETENTION_DAYS (14) after its message was handled:
  longer than Kafka keeps the topics it guards (7 days), so that a message still on a topic
  (redelivered after a crash, or read again by a consumer group moved back to the earliest
  offset) still finds its row and is skipped.
- An outbox row is kept TIDEOVER_OUTBOX_RETENTION_HOURS (24) after it was published, so that
  staging the same event again soon after is still a no-op. An unpublished row is never
  deleted, whatever its age.

Ages are measured on the database's clock (`now()`, which stamped `processed_at` and `sent_at`),
never on the business clock a simulation runs on. Rows go in batches of at most
TIDEOVER_RETENTION_BATCH_SIZE, each in a short transaction of its own, so retention never holds
locks or a snapshot for long; one replica of a service deletes at a time (an advisory lock per
batch), the others skip the pass.

Sizes on /metrics, set at each pass (every TIDEOVER_RETENTION_EVERY_SECONDS), not at each scrape:
`tideover_inbox_rows` and `tideover_outbox_rows{state="published"}` are Postgres's estimate of
live rows (`pg_stat_get_live_tuples`, kept up to date by the statistics system as rows are
inserted and deleted, no scan of the table; it reads 0 after a crash or a statistics reset until
the next ANALYZE); `tideover_outbox_rows{state="unpublished"}` is counted exactly, on the index
of unsent rows (small, unless the relay is stuck: then it is what to watch).
`tideover_retention_deleted_total{table}` counts the rows retention deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog
from prometheus_client import Counter, Gauge

from tideover_runtime.database import Connection
from tideover_runtime.settings import RuntimeSettings

log = structlog.get_logger(__name__)

INBOX_ROWS = Gauge("tideover_inbox_rows", "Rows in this service's inbox (Postgres's estimate), at the last retention pass")
OUTBOX_ROWS = Gauge(
    "tideover_outbox_rows",
    "Rows in this service's outbox at the last retention pass: unpublished counted, published estimated",
    ["state"],
)
RETENTION_DELETED = Counter("tideover_retention_deleted_total", "Rows deleted by retention", ["table"])

#: One batch of expired rows of each table, found by its age index (migration 0004). `ctid =
#: ANY(ARRAY(...))` deletes by a TID scan; `ctid IN (SELECT ...)` may plan a scan of the table.
_DELETE_BATCH = {
    "inbox": """
        DELETE FROM inbox WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM inbox WHERE processed_at < now() - $1::interval LIMIT $2
        ))
    """,
    "outbox": """
        DELETE FROM outbox WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM outbox WHERE sent_at < now() - $1::interval LIMIT $2
        ))
    """,
}
_ONE_REPLICA = "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.retention.' || $1))"
_SIZES = """
    SELECT pg_stat_get_live_tuples('inbox'::regclass) AS inbox,
           pg_stat_get_live_tuples('outbox'::regclass) AS outbox,
           (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS unpublished
"""


@dataclass(frozen=True)
class Deleted:
    """What one pass deleted from one table, in how many batches (transactions)."""

    rows: int = 0
    batches: int = 0


@dataclass(frozen=True)
class Sizes:
    inbox: int
    outbox_published: int
    outbox_unpublished: int


@dataclass(frozen=True)
class Retention:
    """How long inbox and outbox rows are kept, and how many go in one transaction."""

    inbox: timedelta
    outbox: timedelta
    batch_size: int

    @classmethod
    def of(cls, settings: RuntimeSettings) -> Retention:
        return cls(
            inbox=timedelta(days=settings.inbox_retention_days),
            outbox=timedelta(hours=settings.outbox_retention_hours),
            batch_size=settings.retention_batch_size,
        )

    async def sweep(self, pool: asyncpg.Pool) -> dict[str, Deleted]:
        """One pass: delete what expired from both tables, then set the size gauges."""
        swept = {
            "inbox": await delete_expired(pool, "inbox", self.inbox, self.batch_size),
            "outbox": await delete_expired(pool, "outbox", self.outbox, self.batch_size),
        }
        if any(deleted.rows for deleted in swept.values()):
            log.info("retention deleted expired rows", **{table: deleted.rows for table, deleted in swept.items()})
        await measure_sizes(pool)
        return swept


async def delete_batch(connection: Connection, table: str, keep: timedelta, limit: int) -> int:
    """Delete at most `limit` rows of `table` older than `keep`; returns how many went."""
    status = await connection.execute(_DELETE_BATCH[table], keep, limit)
    return int(status.split()[-1])  # "DELETE <n>"


async def delete_expired(pool: asyncpg.Pool, table: str, keep: timedelta, batch_size: int) -> Deleted:
    """Delete `table`'s rows older than `keep`, a batch per transaction, until a batch comes up
    short; nothing while another replica is at it."""
    rows = batches = 0
    while True:
        async with pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(_ONE_REPLICA, table):
                return Deleted(rows, batches)
            deleted = await delete_batch(connection, table, keep, batch_size)
        RETENTION_DELETED.labels(table).inc(deleted)
        rows, batches = rows + deleted, batches + 1
        if deleted < batch_size:
            return Deleted(rows, batches)


async def measure_sizes(pool: asyncpg.Pool) -> Sizes:
    """Set the inbox and outbox gauges (see the module's docstring for what is estimated)."""
    row = await pool.fetchrow(_SIZES)
    assert row is not None
    sizes = Sizes(
        inbox=row["inbox"],
        outbox_published=max(row["outbox"] - row["unpublished"], 0),
        outbox_unpublished=row["unpublished"],
    )
    INBOX_ROWS.set(sizes.inbox)
    OUTBOX_ROWS.labels("published").set(sizes.outbox_published)
    OUTBOX_ROWS.labels("unpublished").set(sizes.outbox_unpublished)
    return sizes
