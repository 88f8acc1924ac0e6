"""What a borrower hears, through overdue-detection and notification as processes on the real
Kafka and Postgres: an on-time borrower receives only pre-due reminders; a notice due at night
is held until morning in the borrower's time zone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS, OVERDUE_STATUS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services, wait_until_ok
from tideover_testkit.settle import settled, taken_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

DUE = date(2026, 2, 15)  # the golden loan's first installment: 1,045.00


def upstream(event: Any) -> Any:
    return wrap(event, producer="upstream", occurred_at=datetime.now(UTC))


def close(day: date, hour_utc: int) -> Any:
    return upstream(BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, hour_utc, tzinfo=UTC)))


@pytest.fixture
def running(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    with started_services(private_infrastructure.service_env(), tmp_path, ("overdue_detection", "notification")) as started:
        yield started


@pytest.fixture
async def kafka(private_infrastructure: Infrastructure) -> Any:
    infra = private_infrastructure
    topics = (OVERDUE_STATUS.name, NOTIFICATIONS_REQUESTS.name)
    async with (
        KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as client,
        TopicWatcher(infra.bootstrap_servers, topics, infra.topic_prefix) as watcher,
    ):
        yield client, watcher


async def test_an_on_time_borrower_receives_only_pre_due_reminders(
    private_infrastructure: Infrastructure, running: dict[str, ServiceProcess], kafka: Any
) -> None:
    client, watcher = kafka
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    booked = upstream(loan)
    await client.publish(booked)
    await wait_until_ok(f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status")
    # Notification reads the booking (whom to contact) apart from the reminder the close causes.
    await handled_by_notification(private_infrastructure, booked.event_id)
    await client.publish(close(DUE - timedelta(days=3), 6))  # 14:00 in Beijing: 3 days ahead
    await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "pre_due_reminder")
    paid = RepaymentReceived(
        loan_id=loan.loan_id,
        payment_id=f"PAY-{uuid.uuid4()}",
        amount=loan.installments[0].total,
        received_at=datetime(2026, 2, 14, 3, tzinfo=UTC),
        value_date=date(2026, 2, 14),
    )
    await client.publish(upstream(paid))
    # Paid the day before it fell due: taken in before the next close (the payment and the
    # clock are on different topics, so the test waits for it, as a day's wait would).
    await wait_until_ok(
        f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status",
        accept=lambda r: any(p["payment_id"] == paid.payment_id for p in r.json()["last_payments"]),
    )
    for day in range(1, 8):  # a week past the due date, a close a day
        await client.publish(close(DUE - timedelta(days=2) + timedelta(days=day), 6))
    await wait_until_ok(
        f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status",
        accept=lambda r: r.json().get("as_of") == (DUE + timedelta(days=5)).isoformat(),
    )
    # Every service caught up, its outbox sent, all of it read: a notice, were there one, is seen.
    await settled(private_infrastructure)
    await watcher.caught_up()
    purposes = {event.purpose.value for event in watcher.events("NotificationRequested", ours)}
    assert purposes == {"pre_due_reminder"}
    assert not watcher.events("LoanBecameOverdue", ours)


async def handled_by_notification(infrastructure: Infrastructure, event_id: uuid.UUID) -> None:
    await taken_in(infrastructure, "notification", event_id)


async def test_a_notice_due_at_night_is_held_until_morning_in_the_borrowers_time_zone(
    private_infrastructure: Infrastructure, running: dict[str, ServiceProcess], kafka: Any
) -> None:
    client, watcher = kafka
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    booked = upstream(loan)
    await client.publish(booked)
    await wait_until_ok(f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status")
    await handled_by_notification(private_infrastructure, booked.event_id)  # whom to contact, on another topic
    # Each service keeps its own business clock from ops.clock.v1, read apart from the status
    # events: let notification's reach 23:00 in Beijing before the close's notice arrives.
    night = upstream(ClockTicked(at=datetime(2026, 2, 16, 15, 0, tzinfo=UTC)))
    await client.publish(night)
    await handled_by_notification(private_infrastructure, night.event_id)
    await client.publish(close(DUE + timedelta(days=1), 15))  # 23:00 in Beijing
    overdue = await watcher.wait_for_event("LoanBecameOverdue", ours)
    assert overdue.days_past_due == 1
    # Held through the night: notification decided it (before the morning's tick, on another topic).
    log = f"{running['notification'].url}/v1/loans/{loan.loan_id}/contact-log"
    held = lambda r: ("overdue_notice", "held") in [(e["purpose"], e["decision"]) for e in r.json()["entries"]]  # noqa: E731
    await wait_until_ok(log, accept=held)
    await settled(private_infrastructure)
    await watcher.caught_up()
    assert not watcher.events("NotificationRequested", lambda e: ours(e) and e.purpose.value == "overdue_notice")
    await client.publish(upstream(ClockTicked(at=datetime(2026, 2, 17, 0, 0, tzinfo=UTC))))  # 08:00 in Beijing
    notice = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "overdue_notice")
    assert "逾期1天" in notice.body
    assert notice.expires_at > datetime(2026, 2, 17, 0, 0, tzinfo=UTC)
