"""A written plan's request carries the borrower's one-time code: notification publishes it whole
(on every request topic: v3, v2 and v1) and keeps nothing of it in its outbox after (issue 17, M4); a
redelivered PlanSentToBorrower brings neither a second message nor the code back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import ClockTicked
from tideover_contracts.examples import golden_events, loan_booked
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS, NOTIFICATIONS_REQUESTS_V1, NOTIFICATIONS_REQUESTS_V2
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.settle import settled, taken_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
# `notification` and `client`: conftest.py

MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing: nothing is held
CODE = "731904"


@pytest.fixture
async def database(private_infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(private_infrastructure.database_url, server_settings={"search_path": "notification"})
    yield connection
    await connection.close()


def envelope(event: Any) -> Envelope[Any]:
    return wrap(event, producer="test", occurred_at=datetime.now(UTC))


async def taken(infrastructure: Infrastructure, kafka: KafkaTestClient, event: Any) -> Envelope[Any]:
    published = envelope(event)
    await kafka.publish(published)
    await taken_in(infrastructure, "notification", published.event_id)
    return published


async def written_plan_rows(database: asyncpg.Connection, loan_id: uuid.UUID) -> list[asyncpg.Record]:
    """The outbox rows of the loan's written-plan requests (their key is the loan)."""
    return list(
        await database.fetch(
            "SELECT event_type, headers, secret, value, sent_at FROM outbox WHERE key = $1 AND secret ORDER BY id", str(loan_id)
        )
    )


async def test_a_written_plans_request_is_published_whole_and_blanked_in_the_outbox(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    database: asyncpg.Connection,
) -> None:
    loan_id = uuid.uuid4()
    await taken(private_infrastructure, client, ClockTicked(at=MIDDAY))
    await taken(private_infrastructure, client, loan_booked(loan_id=loan_id))
    plan = next(event for event in golden_events() if type(event).__name__ == "PlanSentToBorrower")
    plan = plan.model_copy(
        update={
            "loan_id": loan_id,
            "application_id": uuid.uuid4(),
            "confirmation_code": CODE,
            "sent_at": MIDDAY,
            "code_expires_at": MIDDAY + timedelta(hours=24),  # valid when read (an expired one is not sent)
        }
    )
    topics = (NOTIFICATIONS_REQUESTS.name, NOTIFICATIONS_REQUESTS_V2.name, NOTIFICATIONS_REQUESTS_V1.name)
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watcher:
        sent = await taken(private_infrastructure, client, plan)
        await settled(private_infrastructure)  # every outbox row published (and marked sent)
        await client.publish(sent)  # redelivered
        await settled(private_infrastructure)
        await asyncio.sleep(0.5)
        await watcher.caught_up()

    requests: list[tuple[str, Any]] = [(item.topic, item.envelope.payload) for item in watcher.seen if item.envelope]
    ours: list[tuple[str, Any]] = [(topic, request) for topic, request in requests if request.loan_id == loan_id]
    assert sorted(topic for topic, _ in ours) == sorted(topics)  # one on each topic, redelivery or not
    assert all(CODE in request.body for _, request in ours)
    rows = await written_plan_rows(database, loan_id)
    assert [(row["event_type"], row["value"], row["sent_at"] is not None) for row in rows] == [
        ("NotificationRequested", b"", True)
    ] * len(topics)
    assert await database.fetchval("SELECT count(*) FROM outbox WHERE position($1::bytea IN value) > 0", CODE.encode()) == 0
