"""A written plan's one-time code is kept in clear no longer than it is of use (issue 17, M4;
application/codes.py): until it expires, a written plan held for quiet hours or falling back to
another channel is sent with it, as before; from the first clock event after its expiry the
stored message holds no code, and a written plan still held, falling back, or read only then is
suppressed (rule code_expired) and sends nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tideover_contracts.common import Channel
from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.notifications import NotificationFailed
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import harness_headers
from tideover_testkit.settle import settled, taken_in

from .flow import link_token

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
# `notification` and `client`: conftest.py

EVENING = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
MORNING = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Beijing: the quiet hours end
MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
CODE = "731904"


@pytest.fixture
async def watcher(private_infrastructure: Infrastructure) -> AsyncIterator[TopicWatcher]:
    topics = (NOTIFICATIONS_REQUESTS.name,)
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watching:
        yield watching


@pytest.fixture
async def database(private_infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(private_infrastructure.database_url, server_settings={"search_path": "notification"})
    yield connection
    await connection.close()


def envelope(event: Any) -> Envelope[Any]:
    return wrap(event, producer="test", occurred_at=datetime.now(UTC))


async def taken(infrastructure: Infrastructure, kafka: KafkaTestClient, event: Any) -> Envelope[Any]:
    """`event` published and taken in by notification (its inbox row committed)."""
    published = envelope(event)
    await kafka.publish(published)
    await taken_in(infrastructure, "notification", published.event_id)
    return published


async def at(infrastructure: Infrastructure, kafka: KafkaTestClient, instant: datetime) -> None:
    await taken(infrastructure, kafka, ClockTicked(at=instant))


async def booked(infrastructure: Infrastructure, kafka: KafkaTestClient, **contact: Any) -> uuid.UUID:
    loan_id = uuid.uuid4()
    contacted = borrower().model_copy(update=contact)
    await taken(infrastructure, kafka, loan_booked(loan_id=loan_id).model_copy(update={"borrower": contacted}))
    return loan_id


def written_plan(loan_id: uuid.UUID, sent_at: datetime, valid: timedelta) -> Any:
    plan = next(event for event in golden_events() if type(event).__name__ == "PlanSentToBorrower")
    return plan.model_copy(
        update={
            "loan_id": loan_id,
            "application_id": uuid.uuid4(),
            "confirmation_code": CODE,
            "sent_at": sent_at,
            "code_expires_at": sent_at + valid,
        }
    )


async def contact_log(service: ServiceProcess, loan_id: uuid.UUID) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=service.url, headers=harness_headers()) as http:
        entries: list[dict[str, Any]] = (await http.get(f"/v1/loans/{loan_id}/contact-log")).json()["entries"]
        return entries


def decisions(log: list[dict[str, Any]]) -> list[tuple[str | None, str, str | None]]:
    return [(entry["channel"], entry["decision"], entry["rule"]) for entry in log]


async def stored(database: asyncpg.Connection, loan_id: uuid.UUID) -> tuple[str, str, datetime | None, str]:
    """The loan's written plan as notification keeps it: its status, the code its event holds,
    until when it holds one in clear, and the whole row as text."""
    row = await database.fetchrow(
        """
        SELECT status, source, secret_until, messages::text AS whole FROM messages
        WHERE loan_id = $1 AND purpose = 'written_plan'
        """,
        loan_id,
    )
    assert row is not None
    return row["status"], json.loads(row["source"])["confirmation_code"], row["secret_until"], row["whole"]


async def requests_for(infrastructure: Infrastructure, watcher: TopicWatcher, loan_id: uuid.UUID) -> list[Any]:
    """Every request notification published for the loan, once it has published all it would."""
    await settled(infrastructure)
    await watcher.caught_up()
    return watcher.events("NotificationRequested", lambda e: e.loan_id == loan_id)


async def test_a_written_plan_held_for_the_night_past_its_codes_expiry_is_suppressed_and_its_code_forgotten(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    database: asyncpg.Connection,
) -> None:
    infra = private_infrastructure
    await at(infra, client, EVENING)
    loan_id = await booked(infra, client)
    plan = written_plan(loan_id, EVENING, timedelta(hours=8))  # expires 07:30 in Beijing, before the window opens
    await taken(infra, client, plan)
    assert decisions(await contact_log(notification, loan_id)) == [("sms", "held", "quiet_hours")]
    assert (await stored(database, loan_id))[:3] == ("held", CODE, plan.code_expires_at)  # to be rendered at 08:00

    await at(infra, client, plan.code_expires_at + timedelta(minutes=15))  # 07:45: still quiet
    await at(infra, client, MORNING)

    log = await contact_log(notification, loan_id)
    assert decisions(log) == [("sms", "held", "quiet_hours"), (None, "suppressed", "code_expired")]
    assert log[1]["decided_at"] == (plan.code_expires_at + timedelta(minutes=15)).isoformat()
    status, code, secret_until, whole = await stored(database, loan_id)
    assert (status, code, secret_until) == ("suppressed", "******", None)
    assert CODE not in whole
    assert await requests_for(infra, watcher, loan_id) == []


async def test_a_written_plan_sent_before_its_code_expires_keeps_the_code_until_then_only(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    database: asyncpg.Connection,
) -> None:
    infra = private_infrastructure
    await at(infra, client, EVENING)
    loan_id = await booked(infra, client)
    plan = written_plan(loan_id, EVENING, timedelta(hours=24))
    await taken(infra, client, plan)
    await at(infra, client, MORNING)  # released with its code, as before

    request = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == loan_id)
    assert f"验证码{CODE}" in request.body
    log = await contact_log(notification, loan_id)
    assert decisions(log) == [("sms", "held", "quiet_hours"), ("sms", "sent", None)]
    assert log[1]["body"] == request.body.replace(CODE, "******").replace(link_token(request.body), "******")
    # Kept while it may still fall back to another channel.
    assert (await stored(database, loan_id))[:3] == ("sent", CODE, plan.code_expires_at)
    await at(infra, client, plan.code_expires_at - timedelta(seconds=1))
    assert (await stored(database, loan_id))[:3] == ("sent", CODE, plan.code_expires_at)

    # A business day closed when the code expires: its code is forgotten, the message stays sent.
    await taken(infra, client, BusinessDayClosed(business_date=date(2031, 3, 4), closed_at=plan.code_expires_at))

    status, code, secret_until, whole = await stored(database, loan_id)
    assert (status, code, secret_until) == ("sent", "******", None)
    assert CODE not in whole
    assert decisions(await contact_log(notification, loan_id)) == [("sms", "held", "quiet_hours"), ("sms", "sent", None)]
    assert len(await requests_for(infra, watcher, loan_id)) == 1


@pytest.mark.parametrize("expired", [False, True], ids=["before_expiry", "after_expiry"])
async def test_a_failed_written_plan_falls_back_only_while_its_code_is_valid(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    database: asyncpg.Connection,
    expired: bool,
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    loan_id = await booked(infra, client, email="zhang.wei@example.com", preferred_channels=(Channel.SMS, Channel.EMAIL))
    plan = written_plan(loan_id, MIDDAY, timedelta(hours=24))
    await taken(infra, client, plan)
    sms = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == loan_id)
    assert (sms.channel, CODE in sms.body) == (Channel.SMS, True)
    failed_at = MIDDAY + timedelta(hours=25 if expired else 1)
    if expired:
        await at(infra, client, failed_at)  # 13:00 the next day: the code expired an hour ago

    failure = NotificationFailed(
        notification_id=sms.notification_id,
        loan_id=loan_id,
        channel=Channel.SMS,
        gateway="test",
        reason="unreachable",
        retryable=False,
        failed_at=failed_at,
    )
    await taken(infra, client, failure)

    requests = await requests_for(infra, watcher, loan_id)
    log = await contact_log(notification, loan_id)
    status, code, _, whole = await stored(database, loan_id)
    if expired:
        assert [request.channel for request in requests] == [Channel.SMS]
        assert decisions(log) == [("sms", "sent", None), (None, "suppressed", "code_expired")]
        assert (status, code) == ("suppressed", "******")
        assert CODE not in whole
    else:
        assert [request.channel for request in requests] == [Channel.SMS, Channel.EMAIL]
        assert CODE in requests[1].body
        assert decisions(log) == [("sms", "sent", None), ("email", "sent", None)]
        assert (status, code) == ("sent", CODE)
    assert log[0]["receipt"] == "failed"


async def test_a_written_plan_read_after_its_code_expired_is_suppressed_and_kept_without_it(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    database: asyncpg.Connection,
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    loan_id = await booked(infra, client)
    await taken(infra, client, written_plan(loan_id, MIDDAY - timedelta(hours=25), timedelta(hours=24)))

    assert decisions(await contact_log(notification, loan_id)) == [(None, "suppressed", "code_expired")]
    status, code, secret_until, whole = await stored(database, loan_id)
    assert (status, code, secret_until) == ("suppressed", "******", None)
    assert CODE not in whole
    assert await requests_for(infra, watcher, loan_id) == []
