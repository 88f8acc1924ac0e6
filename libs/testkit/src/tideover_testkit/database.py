"""A migrated service schema of its own for a test that drives use cases on the real Postgres."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from tideover_runtime.database import create_pool, migrate


@asynccontextmanager
async def fresh_schema(database_url: str, migrations: Path, prefix: str) -> AsyncIterator[asyncpg.Pool]:
    """A new schema named `<prefix>_<random>`, migrated with the runtime's and the service's
    migrations, and a pool on it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:6]}"
    await migrate(database_url, schema, migrations)
    pool = await create_pool(database_url, schema)
    try:
        yield pool
    finally:
        await pool.close()
