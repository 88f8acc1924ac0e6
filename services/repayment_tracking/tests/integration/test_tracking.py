"""Repayment tracking on the real Kafka and Postgres, fed what overdue-detection's ledger
reports (RepaymentApplied on overdue.status.v1): a plan paid, missed and broken; an arrears
plan month asking for a regular installment too, and a last month a few cents short completing
the plan; a redelivered payment recorded once; a closed loan's plan no longer judged; a report
that came before its plan; a close killed mid-way and redone once; the query API answers only a
caller with a service key granting read_plans."""

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
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import LedgerLine, LineCovered, RepaymentApplied
from tideover_contracts.events.plans import ContinuingInstallment
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.topics import OVERDUE_DETECTION, PLANS_TRACKING
from tideover_runtime.service_keys import CallerRole, key_header
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import guard_test_keys, harness_headers
from tideover_testkit.settle import settled, taken_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def envelope(event: Any, producer: str = "test") -> Envelope[Any]:
    return wrap(event, producer=producer, occurred_at=datetime.now(UTC))


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def activated_plan(**changes: Any) -> Any:
    """The golden plan: 348.33, 348.33, 348.34 due 15 April, May and June 2026, with 9.31 of
    penalty and interest waived on condition; no regular installment falls due during it."""
    plan = next(event for event in golden_events() if type(event).__name__ == "PlanActivated")
    waiver = WaivedAmounts(penalty=cny("0.31"), interest=cny("9.00"), fee=cny("0.00"), total=cny("9.31"))
    update = {"plan_id": uuid.uuid4(), "loan_id": uuid.uuid4(), "conditional_waiver": waiver, "continuing_installments": ()}
    update.update(changes)
    return plan.model_copy(update=update)


def covered(sequence: int, due: date, paid: str, left: str, plan_id: uuid.UUID | None = None) -> LineCovered:
    """What a payment paid on one line of the ledger (a plan's line when `plan_id` is set)."""
    zero = cny("0.00")
    line = LedgerLine(sequence=sequence, plan_id=plan_id, due_date=due)
    return LineCovered(line=line, principal=cny(paid), interest=zero, fee=zero, penalty=zero, left=cny(left))


def applied(loan_id: uuid.UUID, payment_id: str, on: date, *lines: LineCovered, outstanding: str = "0.00") -> Envelope[Any]:
    """RepaymentApplied as overdue-detection publishes it: the lines the payment covered."""
    amount = sum((line.principal.amount for line in lines), start=cny("0.00").amount)
    event = RepaymentApplied(
        loan_id=loan_id,
        payment_id=payment_id,
        amount=cny(str(amount)),
        value_date=on,
        covered=lines,
        to_credit=cny("0.00"),
        outstanding=cny(outstanding),
    )
    return envelope(event, producer=OVERDUE_DETECTION)


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


async def tracked_plan(client: KafkaTestClient, tracking: ServiceProcess, **changes: Any) -> Any:
    """A new plan activated, once tracking has taken it in."""
    plan = activated_plan(**changes)
    await client.publish(envelope(plan))
    await wait_until_ok(f"{tracking.url}/v1/plans/{plan.plan_id}")
    return plan


async def handled(infrastructure: Infrastructure, *envelopes: Envelope[Any]) -> None:
    """Wait until tracking has taken these events in (their inbox rows are committed)."""
    await taken_in(infrastructure, "repayment_tracking", *(envelope.event_id for envelope in envelopes))


async def quiet(infrastructure: Infrastructure, watcher: TopicWatcher) -> None:
    """Until tracking has consumed everything and sent its outbox, and the watcher read it all:
    then a duplicate, were there one, would have been seen."""
    await settled(infrastructure)
    await watcher.caught_up()


async def plan_view(tracking: ServiceProcess, plan_id: uuid.UUID) -> Any:
    async with httpx.AsyncClient(base_url=tracking.url, headers=harness_headers()) as http:
        return (await http.get(f"/v1/plans/{plan_id}")).json()


APRIL, MAY, JUNE = date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15)


async def test_a_plan_paid_once_missed_then_broken_with_its_waiver_reinstated(
    private_infrastructure: Infrastructure, tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    client, watcher = kafka
    tracking.start()
    plan = await tracked_plan(client, tracking)
    ours = lambda event: event.plan_id == plan.plan_id  # noqa: E731
    first = applied(plan.loan_id, "PAY-1", date(2026, 4, 14), covered(1, APRIL, "48.33", "300.00", plan.plan_id))
    # Redelivered (the inbox skips it), then restated by the ledger (a payment value-dated earlier
    # made it apply the loan's payments again): the ledger's latest word stands.
    again = applied(plan.loan_id, "PAY-1", date(2026, 4, 14), covered(1, APRIL, "348.33", "0.00", plan.plan_id))
    await client.publish(first, first, again)
    paid = await watcher.wait_for_event("PlanInstallmentPaid", ours)  # announced once, as first reported
    assert (paid.sequence, paid.applied, paid.remaining_on_installment, paid.fully_paid) == (
        1,
        cny("48.33"),
        cny("300.00"),
        False,
    )
    # The restatement travels on its own; the close comes on another topic, so wait for it first.
    april_paid = lambda r: r.json()["installments"][0]["left"]["amount"] == "0.00"  # noqa: E731
    await wait_until_ok(f"{tracking.url}/v1/plans/{plan.plan_id}", accept=april_paid)

    # Nothing paid for May: missed on 19 May; still unpaid 30 days after it falls due: broken.
    await client.publish(closed(date(2026, 5, 20)))
    missed = await watcher.wait_for_event("PlanInstallmentMissed", ours)
    assert (missed.sequence, missed.business_date, missed.shortfall) == (2, date(2026, 5, 19), cny("348.33"))
    await client.publish(closed(date(2026, 6, 14)))
    broken = await watcher.wait_for_event("PlanBroken", ours)
    assert (broken.reason.value, broken.business_date) == ("unpaid_30_days", date(2026, 6, 14))
    assert broken.unpaid == cny("696.67")
    assert broken.reinstated_waiver.total == cny("9.31")  # the conditional waiver comes back
    await quiet(private_infrastructure, watcher)
    assert len(watcher.events("PlanInstallmentPaid", ours)) == 1  # the redelivered payment counted once

    view = await plan_view(tracking, plan.plan_id)
    assert (view["status"], view["ended_on"]) == ("broken", "2026-06-14")
    assert [item["status"] for item in view["installments"]] == ["paid", "missed", "due"]
    assert [item["left"]["amount"] for item in view["installments"]] == ["0.00", "348.33", "348.34"]
    assert [p["payment_id"] for p in view["payments"]] == ["PAY-1"]


async def test_an_arrears_month_asks_for_its_regular_installment_and_a_last_month_cents_short_completes(
    tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    client, watcher = kafka
    tracking.start()
    regular = ContinuingInstallment(sequence=5, due_date=date(2026, 5, 10), amount=cny("500.00"))
    plan = await tracked_plan(client, tracking, continuing_installments=(regular,))
    ours = lambda event: event.plan_id == plan.plan_id  # noqa: E731
    loan, plan_id = plan.loan_id, plan.plan_id
    await client.publish(
        applied(loan, "PAY-1", date(2026, 4, 15), covered(1, APRIL, "348.33", "0.00", plan_id)),
        # The ledger pays the oldest obligation first: May's regular installment, then the plan's line.
        applied(loan, "PAY-2", date(2026, 5, 12), covered(5, regular.due_date, "400.00", "100.00")),
        applied(
            loan,
            "PAY-3",
            date(2026, 5, 13),
            covered(5, regular.due_date, "100.00", "0.00"),
            covered(2, MAY, "248.33", "100.00", plan_id),
        ),
        # The same loan's regular installment due after the plan is not the plan's.
        applied(
            loan,
            "PAY-4",
            date(2026, 5, 14),
            covered(2, MAY, "100.00", "0.00", plan_id),
            covered(6, date(2026, 7, 10), "1.00", "499.00"),
        ),
    )
    await watcher.wait_for(lambda _: len(watcher.events("PlanInstallmentPaid", ours)) == 3, what="three plan lines paid")
    paid = [
        (e.sequence, e.payment_id, e.applied, e.remaining_on_installment) for e in watcher.events("PlanInstallmentPaid", ours)
    ]
    assert paid == [
        (1, "PAY-1", cny("348.33"), cny("0.00")),
        (2, "PAY-3", cny("248.33"), cny("100.00")),
        (2, "PAY-4", cny("100.00"), cny("0.00")),
    ]

    await client.publish(closed(date(2026, 5, 20)))  # May paid in full: nothing missed
    await wait_until_ok(f"{tracking.url}/v1/plans/{plan_id}", accept=lambda r: r.json()["judged_through"] == "2026-05-20")
    view = await plan_view(tracking, plan_id)
    may = view["installments"][1]
    assert (may["amount"]["amount"], may["plan_part"]["amount"], may["regular_part"]["amount"]) == ("848.33", "348.33", "500.00")
    assert (may["paid"]["amount"], may["left"]["amount"], may["status"]) == ("848.33", "0.00", "paid")
    assert [(line["kind"], line["sequence"]) for line in may["lines"]] == [("plan", 2), ("regular", 5)]

    # June paid 0.05 short (within the tolerance) after its due date: the plan is complete; the
    # 0.05 stays owed in the ledger.
    await client.publish(applied(loan, "PAY-5", date(2026, 6, 16), covered(3, JUNE, "348.29", "0.05", plan_id)))
    done = await watcher.wait_for_event("PlanCompleted", ours)
    assert (done.completed_on, done.total_paid) == (date(2026, 6, 16), cny("1544.95"))
    assert done.final_waiver.total == cny("9.31")  # kept: the waiver is final
    assert watcher.events("PlanInstallmentMissed", ours) == []
    view = await plan_view(tracking, plan_id)
    assert (view["status"], view["ended_on"], view["paid"]["amount"]) == ("completed", "2026-06-16", "1544.95")
    assert [item["status"] for item in view["installments"]] == ["paid", "paid", "paid"]
    assert view["installments"][2]["left"]["amount"] == "0.05"


async def test_a_closed_loan_ends_its_plan_and_a_report_before_its_plan_still_counts(
    private_infrastructure: Infrastructure, tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    client, watcher = kafka
    tracking.start()
    closing = await tracked_plan(client, tracking)
    await client.publish(envelope(LoanClosed(loan_id=closing.loan_id, closed_on=date(2026, 4, 1), reason=LoanClosureReason.SOLD)))
    await wait_until_ok(f"{tracking.url}/v1/plans/{closing.plan_id}", accept=lambda r: r.json()["status"] == "closed")

    # The ledger's report on a plan's line arrives before tracking has taken the plan in.
    late = activated_plan()
    early = applied(late.loan_id, "PAY-EARLY", date(2026, 4, 14), covered(1, APRIL, "348.33", "0.00", late.plan_id))
    await client.publish(early)
    await handled(private_infrastructure, early)  # the plan comes on another topic: taken in only after the report
    await client.publish(envelope(late))
    paid = await watcher.wait_for_event("PlanInstallmentPaid", lambda e: e.plan_id == late.plan_id)
    assert (paid.sequence, paid.payment_id, paid.fully_paid) == (1, "PAY-EARLY", True)

    # Past April's grace: the late plan's April was paid, the closed loan's plan is not judged.
    await client.publish(closed(date(2026, 5, 20)))
    missed = await watcher.wait_for_event("PlanInstallmentMissed", lambda e: e.plan_id == late.plan_id)
    assert (missed.sequence, missed.business_date) == (2, date(2026, 5, 19))
    await quiet(private_infrastructure, watcher)  # the closed loan's plan has another key: another partition
    assert watcher.events("PlanInstallmentMissed", lambda e: e.plan_id == closing.plan_id) == []
    view = await plan_view(tracking, closing.plan_id)
    assert (view["status"], view["ended_on"], view["judged_through"]) == ("closed", "2026-04-01", None)


@pytest.mark.parametrize("crash_point", ["kill-before-commit", "kill-after-commit"])
async def test_a_close_killed_mid_way_is_redone_once(
    private_infrastructure: Infrastructure,
    tracking: ServiceProcess,
    kafka: tuple[KafkaTestClient, TopicWatcher],
    crash_point: str,
) -> None:
    client, watcher = kafka
    tracking.start(extra_env={"TIDEOVER_FAULT": f"{crash_point}:BusinessDayClosed"})
    plan = await tracked_plan(client, tracking)
    await client.publish(closed(date(2026, 4, 20)))
    assert await asyncio.to_thread(tracking.wait_exit, 60) == -signal.SIGKILL
    tracking.start()  # no fault this time: the close comes back (or was done) and counts once
    missed = await watcher.wait_for_event("PlanInstallmentMissed", lambda e: e.plan_id == plan.plan_id, timeout=60)
    await quiet(private_infrastructure, watcher)  # the close redelivered and handled: room for a duplicate
    assert (missed.sequence, missed.business_date) == (1, date(2026, 4, 19))
    published = [item for item in watcher.seen if item.envelope and item.envelope.event_type == "PlanInstallmentMissed"]
    assert len(published) == 1


async def test_a_plan_and_a_loans_plans_take_a_service_key_granting_read_plans(
    private_infrastructure: Infrastructure, tracking: ServiceProcess, kafka: tuple[KafkaTestClient, TopicWatcher]
) -> None:
    """Issue 17, H1: nobody without a key reads a borrower's plan."""
    client, _ = kafka
    tracking.start()
    plan = await tracked_plan(client, tracking)
    keys = await guard_test_keys(private_infrastructure.database_url, "repayment-tracking", CallerRole.OPERATOR, "retired-role")
    async with httpx.AsyncClient(base_url=tracking.url) as http:
        for path in (f"/v1/plans/{plan.plan_id}", f"/v1/loans/{plan.loan_id}/plans"):
            answers = {name: await http.get(path, headers=key_header(key)) for name, key in keys.items()}
            assert {name: answer.status_code for name, answer in answers.items()} == {
                "none": 401,
                "unknown": 401,
                "revoked": 401,
                "lacking": 403,
                "allowed": 200,
            }, path
            assert answers["unknown"].headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
            assert answers["lacking"].json()["title"] == "A caller of role retired-role may not read plans"
            assert str(plan.plan_id) in answers["allowed"].text
            by_intake = await http.get(path, headers=harness_headers(CallerRole.NEGOTIATION_INTAKE))
            assert by_intake.json() == answers["allowed"].json()
