"""Port contract suites: one suite of assertions run against a port's in-memory fake (a unit
test, no server) and against its Postgres adapter (marked integration: `make test` runs it,
`make unit` leaves it out). The `adapter` fixture (tideover_testkit.fixtures) gives each test
of a suite both:

    @pytest.fixture
    async def book(adapter: Adapter) -> AsyncIterator[LoanBook]:
        if adapter.memory:
            yield MemoryLoanBook()
        else:
            async with adapter.postgres(MIGRATIONS, "loans") as connection:
                yield PostgresLoanBook(connection)

The fakes have no transactions: a use case that raises after staging leaves what it did in the
fake. All or nothing (DESIGN.md §5) is the runtime's, and the integration tests check it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tideover_runtime.database import Connection
from tideover_testkit.database import fresh_schema

#: The two adapters of a port every contract suite runs against.
ADAPTERS = ["memory", pytest.param("postgres", marks=pytest.mark.integration)]


@dataclass(frozen=True)
class Adapter:
    """Which adapter a test of a contract suite runs against (`database_url`: Postgres's)."""

    database_url: str | None

    @property
    def memory(self) -> bool:
        return self.database_url is None

    @asynccontextmanager
    async def postgres(self, migrations: Path, prefix: str) -> AsyncIterator[Connection]:
        """A connection, in a transaction, on a fresh schema migrated with the runtime's and
        the service's migrations (`migrations`)."""
        assert self.database_url is not None, "the memory variant has no database"
        async with (
            fresh_schema(self.database_url, migrations, prefix) as pool,
            pool.acquire() as connection,
            connection.transaction(),
        ):
            yield connection
