"""The borrower's link (issue 21) as notification runs on the real Kafka and Postgres: an overdue
notice held for the night goes out in the morning with a link that opens the loan's page for its
borrower, signed with the development secret (the harness runs TIDEOVER_ENV=development and sets
no TIDEOVER_LINK_SECRET) and expiring 7 days after the notice was made by the service's business
clock. The link is a bearer credential (DESIGN.md §5): no table of notification's schema holds
its token once the request is published, and the contact-log API shows it masked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
import pytest

from tideover_runtime import borrower_links
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.settle import settled

from .flow import EVENING, MORNING, PAGE, at, contact_log, envelope, handled, link_token, overdue_loan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def tables_holding(database_url: str, secret: str) -> dict[str, int]:
    """Rows of each table of notification's schema that hold `secret`, as text or as bytes."""
    connection = await asyncpg.connect(database_url)
    try:
        tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'notification' ORDER BY tablename")
        found = {}
        for table in (row["tablename"] for row in tables):
            found[table] = await connection.fetchval(
                f'SELECT count(*) FROM notification."{table}" AS row WHERE position($1 IN row::text) > 0'
                f" OR position($2 IN row::text) > 0",
                secret,
                secret.encode().hex(),  # a bytea column (the outbox's value) reads as hex
            )
        return found
    finally:
        await connection.close()


async def test_a_held_notice_carries_a_working_link_that_nothing_kept_holds(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    infra = private_infrastructure
    await at(infra, client, EVENING)
    overdue = await overdue_loan(infra, client)
    notice = envelope(overdue)
    await client.publish(notice)
    await handled(infra, notice)
    await at(infra, client, MORNING)

    sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    token = link_token(sent.body)
    link = borrower_links.read(token)
    assert link is not None
    assert link.loan_id == overdue.loan_id
    assert link.expires_at == datetime(2031, 3, 10, 16, 0, tzinfo=UTC)  # 7 days after 23:30 in Beijing, to the hour
    assert link.valid_for("B-000123", MORNING, DEVELOPMENT_LINK_SECRET.encode())
    assert not link.valid_for("B-000124", MORNING, DEVELOPMENT_LINK_SECRET.encode())

    await settled(infra)  # every request published, its outbox row blanked
    holding = await tables_holding(infra.database_url, token)
    assert "messages" in holding
    assert "outbox" in holding
    assert "contact_log" in holding
    assert {table: rows for table, rows in holding.items() if rows} == {}
    log = await contact_log(notification, overdue.loan_id)
    assert [entry["decision"] for entry in log] == ["held", "sent"]
    assert token not in json.dumps(log)
    assert f"{PAGE}******" in log[1]["body"]
