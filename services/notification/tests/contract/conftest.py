"""The store under test, on the fake and on Postgres (the `adapter` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from notification.adapters.memory import MemoryNotificationStore
from notification.adapters.store import PostgresNotificationStore
from notification.application.ports import NotificationStore
from notification.entrypoints.bootstrap import MIGRATIONS
from tideover_testkit.contract import Adapter

from .stored import Kept


@pytest.fixture
async def kept(adapter: Adapter) -> AsyncIterator[Kept]:
    if adapter.memory:
        yield Kept(MemoryNotificationStore(), None)
    else:
        async with adapter.postgres(MIGRATIONS, "notification") as connection:
            yield Kept(PostgresNotificationStore(connection), connection)


@pytest.fixture
def store(kept: Kept) -> NotificationStore:
    return kept.store
