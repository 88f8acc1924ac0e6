"""A redelivered event (same event id) changes nothing: the inbox skips it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_events_delivered_twice_are_applied_once(
    infrastructure: Infrastructure, services: Callable[[str], ServiceProcess], kafka: KafkaTestClient
) -> None:
    service = services("overdue_detection")
    now = datetime.now(UTC)
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    booked = wrap(loan, producer="test", occurred_at=now)
    # Closed at its own 18:00 in Beijing, not now: services sharing these topics follow this clock.
    closed_at = datetime(2026, 2, 17, 10, tzinfo=UTC)
    close = wrap(BusinessDayClosed(business_date=date(2026, 2, 17), closed_at=closed_at), producer="test", occurred_at=now)
    # Two days late on 1,045.00 at 3.6%: 1045 × 0.036 × 2 / 365 = 0.206 → 0.21 penalty. 600.00 pays
    # penalty 0.21, interest 45.00 and 554.79 of principal: 445.21 principal stays overdue.
    payment = wrap(
        RepaymentReceived(
            loan_id=loan.loan_id,
            payment_id=f"PAY-{uuid.uuid4()}",
            amount=Money.of("600.00", "CNY"),
            received_at=now,
            value_date=date(2026, 2, 17),
        ),
        producer="test",
        occurred_at=now,
    )
    async with TopicWatcher(infrastructure.bootstrap_servers, ["overdue.status.v1"], infrastructure.topic_prefix) as watcher:
        ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
        await kafka.publish(booked, booked)
        await wait_until_ok(f"{service.url}/v1/loans/{loan.loan_id}/overdue-status")
        await kafka.publish(close, close)
        await watcher.wait_for_event("LoanBecameOverdue", ours)
        await kafka.publish(payment, payment)
        changed = await watcher.wait_for_event("OverdueStatusChanged", ours)
        # The second copies handled (offsets committed past them), the outbox sent, all of it read.
        await settled(infrastructure)
        await watcher.caught_up()
    assert len(watcher.events("LoanBecameOverdue", ours)) == 1
    assert len(watcher.events("OverdueStatusChanged", ours)) == 1
    # Applied once (twice would have left nothing overdue).
    assert changed.overdue.total == Money.of("445.21", "CNY")
    assert changed.overdue.principal == Money.of("445.21", "CNY")
    assert changed.overdue.interest == Money.of("0.00", "CNY")
    assert changed.overdue.penalty == Money.of("0.00", "CNY")
