"""Migration 0009 on the written plans stored before it (issue 17, M4): each keeps its code until its
expiry, taken from its event; the store then forgets the codes expired by an instant, and reads
them back without them."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from notification.adapters.store import PostgresNotificationStore
from notification.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.examples import golden_events
from tideover_runtime.database import migrate
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

from .test_written_plan_codes import CODE, MIDDAY, written_plan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_the_written_plans_stored_before_keep_their_codes_until_they_expire_then_are_read_back_without(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    """Migration 0009 on messages stored before it: a written plan's expiry is taken from its
    event; the store then forgets the codes expired by an instant, and reads them back."""
    before = tmp_path / "migrations"
    before.mkdir()
    for migration in MIGRATIONS.glob("*.sql"):
        if migration.name < "0009":
            shutil.copy(migration, before)
    expires = MIDDAY + timedelta(hours=24)
    plans = [written_plan(uuid.uuid4(), MIDDAY + timedelta(hours=hours), timedelta(hours=24)) for hours in (0, 1)]
    notice = next(event for event in golden_events() if type(event).__name__ == "LoanBecameOverdue")
    async with fresh_schema(infrastructure.database_url, before, "codes") as pool:
        schema = await pool.fetchval("SELECT current_schema()")
        for event, status in [(plans[0], "sent"), (plans[1], "held"), (notice, "sent")]:
            await pool.execute(
                """
                INSERT INTO messages (notification_id, loan_id, purpose, source_type, source, created_at, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                uuid.uuid4(),
                event.loan_id,
                "written_plan" if event in plans else "overdue_notice",
                event.event_type,
                event.model_dump_json(),
                MIDDAY,
                status,
            )

        await migrate(infrastructure.database_url, schema, MIGRATIONS)

        kept = await pool.fetch("SELECT loan_id, secret_until FROM messages")
        assert {row["loan_id"]: row["secret_until"] for row in kept} == {
            plans[0].loan_id: expires,
            plans[1].loan_id: expires + timedelta(hours=1),
            notice.loan_id: None,
        }
        async with pool.acquire() as connection, connection.transaction():
            store = PostgresNotificationStore(connection)
            assert await store.forget_codes(expires - timedelta(seconds=1), 10) == []
            [forgotten] = await store.forget_codes(expires, 10)
            assert await store.forget_codes(expires, 10) == []
        assert (forgotten.loan_id, forgotten.status, forgotten.source) == (
            plans[0].loan_id,
            "sent",
            plans[0].model_copy(update={"confirmation_code": "******"}),
        )
        async with pool.acquire() as connection:
            assert await PostgresNotificationStore(connection).message(forgotten.notification_id) == forgotten
        texts = await pool.fetch("SELECT loan_id, secret_until, messages::text AS whole FROM messages")
        assert {row["loan_id"]: (CODE in row["whole"], row["secret_until"]) for row in texts} == {
            plans[0].loan_id: (False, None),
            plans[1].loan_id: (True, expires + timedelta(hours=1)),
            notice.loan_id: (False, None),
        }
