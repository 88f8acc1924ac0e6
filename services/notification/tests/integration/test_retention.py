"""Contact records are kept 3 years after the loan's last contact, then purged by a command."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notification.entrypoints.bootstrap import MIGRATIONS
from notification.entrypoints.purge_cli import RETENTION, purge
from tideover_runtime.testing.database import fresh_schema
from tideover_runtime.testing.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NOW = datetime(2029, 6, 1, 12, tzinfo=UTC)


async def test_records_older_than_three_years_after_the_last_contact_are_purged(infrastructure: Infrastructure) -> None:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "purge") as pool:
        schema = await pool.fetchval("SELECT current_schema()")
        old, recent = uuid.uuid4(), uuid.uuid4()
        contacts = [
            (old, NOW - RETENTION - timedelta(days=400)),
            (old, NOW - RETENTION - timedelta(days=1)),  # the old loan's last contact: just past retention
            (recent, NOW - RETENTION - timedelta(days=400)),
            (recent, NOW - RETENTION + timedelta(days=1)),  # a later contact keeps the whole history
        ]
        for loan_id, at in contacts:
            await pool.execute(
                """
                INSERT INTO contact_log (notification_id, loan_id, purpose, channel, decision, decided_at)
                VALUES ($1, $2, 'overdue_notice', 'sms', 'sent', $3)
                """,
                uuid.uuid4(),
                loan_id,
                at,
            )

        assert await purge(infrastructure.database_url, NOW, dry_run=True, schema=schema) == 1
        assert await pool.fetchval("SELECT count(*) FROM contact_log") == 4
        assert await purge(infrastructure.database_url, NOW, schema=schema) == 1
        remaining = await pool.fetch("SELECT loan_id FROM contact_log")
        assert {row["loan_id"] for row in remaining} == {recent}
        assert len(remaining) == 2
