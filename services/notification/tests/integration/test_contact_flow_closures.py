"""Closed loans on the real Kafka and Postgres: a loan written off or sold is not confirmed as cured,
one paid off is once the closure arrives, whichever topic is read first; after the closure nothing
presses for payment; a sale of a loan with no contact known is still recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess

from .flow import (
    MIDDAY,
    at,
    closure_of,
    contact_log,
    cure_by_closure_of,
    envelope,
    golden,
    handled,
    overdue_loan,
    publish_in_turn,
    quiet,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.mark.parametrize("reason", [LoanClosureReason.WRITTEN_OFF, LoanClosureReason.SOLD])
@pytest.mark.parametrize("closed_first", [True, False], ids=["closed_first", "cured_first"])
async def test_a_loan_written_off_or_sold_in_an_overdue_episode_gets_no_cure_message(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    reason: LoanClosureReason,
    closed_first: bool,
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)
    closed, cured = closure_of(overdue, reason), cure_by_closure_of(overdue)

    if closed_first:
        await publish_in_turn(private_infrastructure, client, closed, cured)
    else:
        await publish_in_turn(private_infrastructure, client, cured)
        assert await contact_log(notification, overdue.loan_id) == []  # waiting for the closure's reason
        await publish_in_turn(private_infrastructure, client, closed)

    log = await contact_log(notification, overdue.loan_id)
    sold = reason is LoanClosureReason.SOLD  # the borrower is told of the assignment instead
    assert sorted((entry["purpose"], entry["decision"], entry["rule"]) for entry in log) == [
        ("cured_confirmation", "suppressed", "loan_closed"),
        *([("loan_assigned", "sent", None)] if sold else []),
    ]
    await quiet(private_infrastructure, watcher)  # room for a request, if there were one
    told = watcher.events("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    assert [request.purpose.value for request in told] == (["loan_assigned"] if sold else [])


async def test_a_loan_paid_off_is_confirmed_once_the_closure_arrives(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)

    await publish_in_turn(
        private_infrastructure, client, cure_by_closure_of(overdue), closure_of(overdue, LoanClosureReason.PAID_OFF)
    )

    told = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
    assert told.purpose.value == "cured_confirmation"
    assert "关闭" in told.body


async def test_after_the_loan_closed_nothing_presses_for_payment(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)
    reminder = golden("InstallmentDueSoon", loan_id=overdue.loan_id, business_date=date(2031, 3, 3))

    await publish_in_turn(
        private_infrastructure,
        client,
        closure_of(overdue, LoanClosureReason.PAID_OFF),
        envelope(overdue),
        envelope(reminder),
    )

    log = await contact_log(notification, overdue.loan_id)
    assert sorted((entry["purpose"], entry["decision"], entry["rule"]) for entry in log) == [
        ("overdue_notice", "suppressed", "loan_closed"),
        ("pre_due_reminder", "suppressed", "loan_closed"),
    ]
    await quiet(private_infrastructure, watcher)  # room for a request, if there were one
    assert not watcher.events("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)


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


async def test_a_sale_of_a_loan_with_no_contact_known_is_still_recorded_and_a_later_reason_tells_nothing(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    unknown = uuid.uuid4()
    sold = envelope(LoanClosed(loan_id=unknown, closed_on=date(2031, 3, 3), reason=LoanClosureReason.SOLD))
    await publish_in_turn(infra, client, sold)  # no contact to tell: the closure is kept all the same
    connection = await asyncpg.connect(infra.database_url)
    try:
        reason = await connection.fetchval("SELECT reason FROM notification.loan_closures WHERE loan_id = $1", unknown)
    finally:
        await connection.close()
    assert reason == "sold"

    overdue = await overdue_loan(infra, client)
    paid_off, then_sold = closure_of(overdue, LoanClosureReason.PAID_OFF), closure_of(overdue, LoanClosureReason.SOLD)
    await publish_in_turn(infra, client, paid_off, then_sold)  # the first closure stands: no sale to tell
    await quiet(infra, watcher)
    assert not watcher.events("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
