"""Contact records are kept 3 years after the loan's last contact, then purged: by the service
itself, or by a command."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notification.adapters.contact_records import RETENTION
from notification.entrypoints.bootstrap import MIGRATIONS, NotificationSettings, contact_log_purge, definition
from notification.entrypoints.purge_cli import purge
from tideover_runtime.clock import BusinessClock
from tideover_runtime.service import Resources
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

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


async def test_the_service_purges_by_itself_on_its_own_clock(infrastructure: Infrastructure) -> None:
    """The same rule, run by the service every TIDEOVER_CONTACT_LOG_PURGE_EVERY_HOURS at its
    clock's time (business time in a simulation: the time the records were stamped with)."""
    chore = contact_log_purge(NotificationSettings(contact_log_purge_every_hours=12))
    assert (chore.name, chore.every_seconds) == ("contact-log-purge", 12 * 3600)
    assert [chore.name for chore in definition().chores] == ["contact-log-purge"]
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "purge") as pool:
        old, recent = uuid.uuid4(), uuid.uuid4()
        for loan_id, at in [(old, NOW - RETENTION - timedelta(days=1)), (recent, NOW - RETENTION + timedelta(days=1))]:
            await pool.execute(
                """
                INSERT INTO contact_log (notification_id, loan_id, purpose, channel, decision, decided_at)
                VALUES ($1, $2, 'overdue_notice', 'sms', 'sent', $3)
                """,
                uuid.uuid4(),
                loan_id,
                at,
            )
        clock = BusinessClock()
        clock.advance(NOW.date(), NOW)
        resources = Resources(infrastructure.settings(), pool, clock, "notification")

        await chore.run(resources)

        remaining = await pool.fetch("SELECT loan_id FROM contact_log")
        assert [row["loan_id"] for row in remaining] == [recent]
