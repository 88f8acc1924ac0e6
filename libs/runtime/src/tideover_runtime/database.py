"""The asyncpg pool and the per-service schema migrations.

Migrations are plain SQL files applied by yoyo-migrations (a maintained tool with locking and
a per-schema history table). yoyo speaks psycopg, so migrations run once at start-up on a
short-lived synchronous connection; everything else uses asyncpg.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from yoyo import get_backend, read_migrations

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"

#: A connection, whether taken from a pool or opened alone.
Connection = asyncpg.Connection | PoolConnectionProxy

#: The database cannot be reached, or went away under a call (a restart, a dropped connection):
#: not the data's fault, so the work is tried again once it is back. asyncpg raises
#: InternalClientError ("cannot switch to state …") when a connection is lost in the middle of
#: an operation — seen when Postgres restarted under a relay's transaction.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)
#: Any failed database call: unavailable, or refused by the database itself.
FAILED: tuple[type[BaseException], ...] = (*UNAVAILABLE, asyncpg.PostgresError)


def _yoyo_url(database_url: str, schema: str) -> str:
    parts = urlsplit(database_url)
    scheme = "postgresql+psycopg"
    query = "&".join(filter(None, [parts.query, urlencode({"schema": schema})]))
    return urlunsplit((scheme, parts.netloc, parts.path, query, parts.fragment))


def migrate_sync(database_url: str, schema: str, service_migrations: Path | None) -> None:
    """Create the service's schema if needed and apply the runtime's and the service's migrations
    (None: the runtime's alone, as tideover-service-keys does before a service has started)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    backend = get_backend(_yoyo_url(database_url, schema))
    migrations = read_migrations(*(str(path) for path in (RUNTIME_MIGRATIONS, service_migrations) if path))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations))


async def migrate(database_url: str, schema: str, service_migrations: Path | None) -> None:
    await asyncio.to_thread(migrate_sync, database_url, schema, service_migrations)


async def create_pool(database_url: str, schema: str, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        # JIT compilation costs more than it saves on short OLTP statements; sorts of a large
        # business-day close stay in memory.
        server_settings={"search_path": schema, "application_name": schema, "jit": "off", "work_mem": "64MB"},
    )
    assert pool is not None
    return pool
