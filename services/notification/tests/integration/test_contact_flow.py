"""Notification on the real Kafka and Postgres, with its own topics, database and clock: a notice
due at 23:30 Beijing time is held and released at 08:00; a redelivered or repeated overdue event
makes one message; a failed SMS falls back to e-mail; receipts reach the contact log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tideover_contracts.common import Channel
from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_contracts.topics import NOTIFICATIONS_RECEIPTS, NOTIFICATIONS_REQUESTS
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.testing import reference_gateway
from tideover_runtime.testing.fixtures import Infrastructure
from tideover_runtime.testing.kafka import KafkaTestClient, TopicWatcher
from tideover_runtime.testing.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

EVENING = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
MORNING = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


@pytest.fixture
def notification(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess("notification", private_infrastructure.service_env(), tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def client(private_infrastructure: Infrastructure) -> AsyncIterator[KafkaTestClient]:
    async with KafkaTestClient(private_infrastructure.bootstrap_servers, private_infrastructure.topic_prefix) as kafka:
        yield kafka


@pytest.fixture
async def watcher(private_infrastructure: Infrastructure) -> AsyncIterator[TopicWatcher]:
    topics = (NOTIFICATIONS_REQUESTS.name, NOTIFICATIONS_RECEIPTS.name)
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watching:
        yield watching


def envelope(event: Any) -> Envelope[Any]:
    return wrap(event, producer="test", occurred_at=datetime.now(UTC))


async def handled(infrastructure: Infrastructure, *envelopes: Envelope[Any]) -> None:
    """Wait until notification has taken these events in (their inbox rows are committed)."""
    connection = await asyncpg.connect(infrastructure.database_url)
    try:
        async with asyncio.timeout(30):
            while await connection.fetchval(  # noqa: ASYNC110 - polling the database: no event to wait on
                "SELECT count(*) FROM notification.inbox WHERE event_id = ANY($1::uuid[])", [e.event_id for e in envelopes]
            ) < len(envelopes):
                await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def at(infrastructure: Infrastructure, kafka: KafkaTestClient, instant: datetime) -> None:
    tick = envelope(ClockTicked(at=instant))
    await kafka.publish(tick)
    await handled(infrastructure, tick)


async def overdue_loan(infrastructure: Infrastructure, kafka: KafkaTestClient, **contact: Any) -> Any:
    loan_id = uuid.uuid4()
    booked = envelope(loan_booked(loan_id=loan_id).model_copy(update={"borrower": borrower().model_copy(update=contact)}))
    await kafka.publish(booked)
    await handled(infrastructure, booked)
    overdue = next(event for event in golden_events() if type(event).__name__ == "LoanBecameOverdue")
    return overdue.model_copy(update={"loan_id": loan_id, "business_date": date(2031, 3, 3)})


async def contact_log(service: ServiceProcess, loan_id: uuid.UUID) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=service.url) as http:
        entries: list[dict[str, Any]] = (await http.get(f"/v1/loans/{loan_id}/contact-log")).json()["entries"]
        return entries


async def test_a_notice_due_at_night_is_held_until_eight_in_the_borrowers_morning(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, EVENING)
    overdue = await overdue_loan(private_infrastructure, client)
    notice = envelope(overdue)
    await client.publish(notice)
    await handled(private_infrastructure, notice)

    [held] = await contact_log(notification, overdue.loan_id)
    assert (held["decision"], held["rule"], held["held_until"]) == ("held", "quiet_hours", "2031-03-04T00:00:00+00:00")
    assert not watcher.events("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)

    await at(private_infrastructure, client, MORNING)
    sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    assert sent.channel == Channel.SMS
    assert "逾期1天" in sent.body
    assert "¥1,045.00" in sent.body
    log = await contact_log(notification, overdue.loan_id)
    assert [(entry["decision"], entry["decided_at"]) for entry in log] == [
        ("held", "2031-03-03T15:30:00+00:00"),
        ("sent", "2031-03-04T00:00:00+00:00"),
    ]


async def test_a_redelivered_or_repeated_overdue_event_makes_one_message(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)
    first = envelope(overdue)
    again = envelope(overdue)  # the same fact told twice, under another event id
    await client.publish(first, first, again)
    await handled(private_infrastructure, first, again)
    await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    await asyncio.sleep(1.0)  # room for a second message, if there were one

    assert len(watcher.events("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)) == 1
    assert [entry["decision"] for entry in await contact_log(notification, overdue.loan_id)] == ["sent"]


async def test_a_failed_sms_falls_back_to_email_and_receipts_reach_the_log(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    settings = RuntimeSettings(
        KAFKA_BOOTSTRAP_SERVERS=private_infrastructure.bootstrap_servers, topic_prefix=private_infrastructure.topic_prefix
    )
    gateway = asyncio.create_task(reference_gateway.run(settings, 0.0, frozenset({"sms"}), "test", asyncio.Event()))
    try:
        await at(private_infrastructure, client, MIDDAY)
        overdue = await overdue_loan(
            private_infrastructure, client, email="zhang.wei@example.com", preferred_channels=(Channel.SMS, Channel.EMAIL)
        )
        await client.publish(envelope(overdue))
        ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
        delivered = await watcher.wait_for_event("NotificationDelivered", ours)
        assert delivered.channel == Channel.EMAIL
        requests = watcher.events("NotificationRequested", ours)
        assert [request.channel for request in requests] == [Channel.SMS, Channel.EMAIL]
        assert requests[1].subject
        assert "CNY" in requests[1].body or "¥" in requests[1].body
        assert [failure.channel for failure in watcher.events("NotificationFailed", ours)] == [Channel.SMS]

        async with asyncio.timeout(20):
            while True:
                log = await contact_log(notification, overdue.loan_id)
                if [entry["receipt"] for entry in log] == ["failed", "delivered"]:
                    break
                await asyncio.sleep(0.2)
        assert [(entry["channel"], entry["decision"]) for entry in log] == [("sms", "sent"), ("email", "sent")]
        assert "reference gateway failure" in log[0]["receipt_reason"]
    finally:
        gateway.cancel()


async def test_a_business_day_closing_at_night_holds_its_notices_too(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient
) -> None:
    day = envelope(BusinessDayClosed(business_date=date(2031, 3, 3), closed_at=EVENING))
    await client.publish(day)
    await handled(private_infrastructure, day)
    overdue = await overdue_loan(private_infrastructure, client)
    notice = envelope(overdue)
    await client.publish(notice)
    await handled(private_infrastructure, notice)
    assert [entry["rule"] for entry in await contact_log(notification, overdue.loan_id)] == ["quiet_hours"]


async def test_a_borrower_who_prefers_push_gets_a_push_to_their_device(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(
        private_infrastructure, client, push_token="device-7f3a", preferred_channels=(Channel.PUSH, Channel.SMS)
    )
    await client.publish(envelope(overdue))
    sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    assert (sent.channel, sent.address) == (Channel.PUSH, "device-7f3a")
    assert "¥1,045.00" in sent.body


async def test_a_broken_plan_message_states_the_amount_and_the_days_overdue(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, datetime(2026, 6, 18, 4, tzinfo=UTC))  # noon in Beijing
    overdue = await overdue_loan(private_infrastructure, client)
    events = {type(event).__name__: event for event in golden_events()}
    loan = {"loan_id": overdue.loan_id}
    # The golden plan: #2 due 15 May missed, then broken on 18 June: 34 days after it fell due.
    # Its activation (plans.offers.v1) is read after the tracking events (plans.tracking.v1): the
    # order the two topics are read in must not matter.
    missed, broken_event = (envelope(events[name].model_copy(update=loan)) for name in ("PlanInstallmentMissed", "PlanBroken"))
    await client.publish(missed)
    await handled(private_infrastructure, missed)
    await client.publish(broken_event, envelope(events["PlanActivated"].model_copy(update=loan)))
    broken = await watcher.wait_for_event(
        "NotificationRequested", lambda e: e.loan_id == overdue.loan_id and e.purpose.value == "plan_broken"
    )
    missed_due, broken_on = events["PlanInstallmentMissed"].due_date, events["PlanBroken"].business_date
    assert f"逾期{(broken_on - missed_due).days}天" in broken.body
    assert "¥696.67" in broken.body
    # The plan ended: collection messages go out again, whatever order the plan's events came in.
    later = envelope(overdue.model_copy(update={"business_date": date(2026, 6, 18), "episode": 2}))
    await client.publish(later)
    notice = await watcher.wait_for_event(
        "NotificationRequested", lambda e: e.loan_id == overdue.loan_id and e.purpose.value == "overdue_notice"
    )
    assert "逾期1天" in notice.body


async def test_a_notice_caused_by_a_close_it_has_not_read_yet_is_decided_at_the_close(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)
    # overdue-detection closed a later day at 23:30 in Beijing; its event overtakes the close.
    closed_at = datetime(2031, 3, 5, 15, 30, tzinfo=UTC)
    notice = wrap(overdue, producer="overdue-detection", occurred_at=closed_at)
    await client.publish(notice)
    await handled(private_infrastructure, notice)

    [held] = await contact_log(notification, overdue.loan_id)
    assert (held["decision"], held["rule"], held["decided_at"], held["held_until"]) == (
        "held",
        "quiet_hours",
        "2031-03-05T15:30:00+00:00",
        "2031-03-06T00:00:00+00:00",
    )
