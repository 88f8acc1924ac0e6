"""Repayment tracking on the real Kafka and Postgres: a plan paid, missed and broken through
events; a redelivered payment applied once; a close killed mid-way and redone once."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tideover_contracts.common import WaivedAmounts
from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.topics import PLANS_TRACKING
from tideover_runtime.testing.fixtures import Infrastructure
from tideover_runtime.testing.kafka import KafkaTestClient, TopicWatcher
from tideover_runtime.testing.processes import ServiceProcess, wait_until_ok

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def envelope(event: Any) -> Envelope[Any]:
    return wrap(event, producer="test", occurred_at=datetime.now(UTC))


def activated_plan() -> Any:
    """The golden plan: 348.33, 348.33, 348.34 due 15 April, May and June 2026, with 9.31 of
    penalty and interest waived on condition."""
    plan = next(event for event in golden_events() if type(event).__name__ == "PlanActivated")
    waiver = WaivedAmounts(
        penalty=Money.of("0.31", "CNY"),
        interest=Money.of("9.00", "CNY"),
        fee=Money.of("0.00", "CNY"),
        total=Money.of("9.31", "CNY"),
    )
    return plan.model_copy(update={"plan_id": uuid.uuid4(), "loan_id": uuid.uuid4(), "conditional_waiver": waiver})


def payment(loan_id: uuid.UUID, amount: str, on: date, payment_id: str | None = None) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id,
        payment_id=payment_id or f"PAY-{uuid.uuid4()}",
        amount=Money.of(amount, "CNY"),
        received_at=datetime(on.year, on.month, on.day, 3, tzinfo=UTC),
        value_date=on,
    )


def closed(day: date) -> Envelope[Any]:
    return envelope(BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC)))


@pytest.fixture
def tracking(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess("repayment_tracking", private_infrastructure.service_env(), tmp_path)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def kafka(private_infrastructure: Infrastructure) -> AsyncIterator[tuple[KafkaTestClient, TopicWatcher]]:
    """A client to publish with, and a watcher of what tracking publishes."""
    infra = private_infrastructure
    async with (
        KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as client,
        TopicWatcher(infra.bootstrap_servers, [PLANS_TRACKING.name], infra.topic_prefix) as watcher,
    ):
        yield client, watcher


async def tracked_plan(client: KafkaTestClient, tracking: ServiceProcess) -> Any:
    """A new plan activated, once tracking has taken it in."""
    plan = activated_plan()
    await client.publish(envelope(plan))
    await wait_until_ok(f"{tracking.url}/v1/plans/{plan.plan_id}")
    return plan


async def test_a_plan_paid_once_missed_then_broken_with_its_waiver_reinstated(
    tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    client, watcher = kafka
    tracking.start()
    plan = await tracked_plan(client, tracking)
    ours = lambda event: event.plan_id == plan.plan_id  # noqa: E731
    first = payment(plan.loan_id, "348.33", date(2026, 4, 14), "PAY-1")
    await client.publish(envelope(first), envelope(first))  # redelivered, under two event ids
    paid = await watcher.wait_for_event("PlanInstallmentPaid", ours)
    assert (paid.sequence, paid.applied, paid.fully_paid) == (1, Money.of("348.33", "CNY"), True)

    # Nothing paid for May: missed on 19 May; still unpaid 30 days after it falls due: broken.
    await client.publish(closed(date(2026, 5, 20)))
    missed = await watcher.wait_for_event("PlanInstallmentMissed", ours)
    assert (missed.sequence, missed.business_date, missed.shortfall) == (2, date(2026, 5, 19), Money.of("348.33", "CNY"))
    await client.publish(closed(date(2026, 6, 14)))
    broken = await watcher.wait_for_event("PlanBroken", ours)
    assert (broken.reason.value, broken.business_date) == ("unpaid_30_days", date(2026, 6, 14))
    assert broken.unpaid == Money.of("696.67", "CNY")
    assert broken.reinstated_waiver.total == Money.of("9.31", "CNY")  # the conditional waiver comes back
    await asyncio.sleep(1.0)
    assert len(watcher.events("PlanInstallmentPaid", ours)) == 1  # the redelivered payment counted once

    async with httpx.AsyncClient(base_url=tracking.url) as http:
        view = (await http.get(f"/v1/plans/{plan.plan_id}")).json()
    assert (view["status"], view["ended_on"]) == ("broken", "2026-06-14")
    assert [item["status"] for item in view["installments"]] == ["paid", "missed", "due"]
    assert [p["payment_id"] for p in view["payments"]] == ["PAY-1"]


@pytest.mark.parametrize("crash_point", ["kill-before-commit", "kill-after-commit"])
async def test_a_close_killed_mid_way_is_redone_once(
    tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher], crash_point: str
) -> None:
    client, watcher = kafka
    tracking.start(extra_env={"TIDEOVER_FAULT": f"{crash_point}:BusinessDayClosed"})
    plan = await tracked_plan(client, tracking)
    await client.publish(closed(date(2026, 4, 20)))
    assert await asyncio.to_thread(tracking.wait_exit, 60) == -signal.SIGKILL
    tracking.start()  # no fault this time: the close comes back (or was done) and counts once
    missed = await watcher.wait_for_event("PlanInstallmentMissed", lambda e: e.plan_id == plan.plan_id, timeout=60)
    await asyncio.sleep(2.0)  # room for a duplicate, if there were one
    assert (missed.sequence, missed.business_date) == (1, date(2026, 4, 19))
    published = [item for item in watcher.seen if item.envelope and item.envelope.event_type == "PlanInstallmentMissed"]
    assert len(published) == 1


async def test_a_plan_completed_early_by_one_large_payment_with_the_rest_as_credit(
    tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    client, watcher = kafka
    tracking.start()
    plan = await tracked_plan(client, tracking)
    ours = lambda event: event.plan_id == plan.plan_id  # noqa: E731
    await client.publish(
        envelope(payment(plan.loan_id, "100.00", date(2026, 4, 10))),
        envelope(payment(plan.loan_id, "1000.00", date(2026, 4, 12))),
    )
    done = await watcher.wait_for_event("PlanCompleted", ours)
    assert (done.completed_on, done.total_paid) == (date(2026, 4, 12), Money.of("1100.00", "CNY"))
    assert done.final_waiver.total == Money.of("9.31", "CNY")  # kept: the waiver is final
    paid = [(e.sequence, e.applied.amount) for e in watcher.events("PlanInstallmentPaid", ours)]
    assert [(sequence, str(amount)) for sequence, amount in paid] == [
        (1, "100.00"), (1, "248.33"), (2, "348.33"), (3, "348.34"),
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=tracking.url) as http:
        view = (await http.get(f"/v1/loans/{plan.loan_id}/plans")).json()["plans"][0]
    assert (view["status"], view["credit"]["amount"]) == ("completed", "55.00")
    assert [item["status"] for item in view["installments"]] == ["paid", "paid", "paid"]
