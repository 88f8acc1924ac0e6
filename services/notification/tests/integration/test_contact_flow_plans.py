"""Plan messages on the real Kafka and Postgres: a broken plan's message states the ledger's figures
whichever of the two topics that bring them is read first, also for an early plan whose break began
the episode; a refused acceptance is told on notifications.requests.v2 only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from tideover_contracts.common import Bucket, OverdueAmounts
from tideover_contracts.envelope import wrap
from tideover_contracts.events.overdue import OverdueChangeReason
from tideover_contracts.events.plans import RejectionReason
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS_V1
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess

from .flow import (
    MIDDAY,
    at,
    cny,
    contact_log,
    envelope,
    golden,
    handled,
    overdue_loan,
    publish_in_turn,
    quiet,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.mark.parametrize("ledger_first", [False, True], ids=["break_first", "ledger_first"])
async def test_a_broken_plan_message_states_the_ledgers_days_past_due_whichever_comes_first(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    ledger_first: bool,
) -> None:
    noon = datetime(2026, 6, 18, 4, tzinfo=UTC)  # in Beijing
    await at(private_infrastructure, client, noon)
    overdue = await overdue_loan(private_infrastructure, client, noon)
    loan = {"loan_id": overdue.loan_id}
    ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
    # The golden plan broke on 18 June, its oldest missed installment due 15 May (34 days before).
    # overdue-detection undid the plan in its ledger and reports 31 days past due (the days under
    # the plan do not count) and 712.40 overdue: those are the figures the borrower is told.
    broken = envelope(golden("PlanBroken", **loan), noon)
    overdue_amounts = OverdueAmounts(
        principal=cny("666.67"), interest=cny("30.00"), fee=cny("0.00"), penalty=cny("15.73"), total=cny("712.40")
    )
    ledger = golden(
        "OverdueStatusChanged",
        **loan,
        business_date=date(2026, 6, 18),
        days_past_due=31,
        bucket=Bucket.M2,
        previous_bucket=Bucket.M2,
        reasons=(OverdueChangeReason.PLAN_BROKEN,),
        overdue=overdue_amounts,
    )
    # Our services' events carry business time: overdue-detection undid the plan at noon.
    after_break = wrap(ledger, producer="overdue-detection", occurred_at=noon, causation=broken)
    first, second = (after_break, broken) if ledger_first else (broken, after_break)

    missed = envelope(golden("PlanInstallmentMissed", **loan), noon)
    await publish_in_turn(private_infrastructure, client, missed, first)
    assert "plan_broken" not in [entry["purpose"] for entry in await contact_log(notification, overdue.loan_id)]
    # The plan's activation (plans.offers.v2) is read last: the order of the topics must not matter.
    await publish_in_turn(private_infrastructure, client, second, envelope(golden("PlanActivated", **loan), noon))
    told = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_broken")
    assert "逾期31天" in told.body
    assert "逾期总额¥712.40" in told.body
    assert "未还金额¥696.67" in told.body
    assert "34天" not in told.body

    # Never twice: both events redelivered, and the break told again under another event id.
    again = envelope(broken.payload, noon)
    await client.publish(broken, after_break, again)
    await handled(private_infrastructure, again)
    log = await contact_log(notification, overdue.loan_id)
    assert [entry["decision"] for entry in log if entry["purpose"] == "plan_broken"] == ["sent"]

    # The plan ended: collection messages go out again.
    later = envelope(overdue.model_copy(update={"business_date": date(2026, 6, 18), "episode": 2}), noon)
    await client.publish(later)
    notice = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "overdue_notice")
    assert "逾期1天" in notice.body
    assert len(watcher.events("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_broken")) == 1


@pytest.mark.parametrize("ledger_first", [False, True], ids=["break_first", "ledger_first"])
async def test_an_early_plan_broken_is_told_with_the_episode_the_break_began(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    watcher: TopicWatcher,
    ledger_first: bool,
) -> None:
    """A plan taken before anything was overdue (early hardship) breaks: the ledger's word after
    the break is the episode it begins (a LoanBecameOverdue caused by the PlanBroken), which the
    broken-plan message states as it would an OverdueStatusChanged(plan_broken)."""
    noon = datetime(2026, 6, 18, 4, tzinfo=UTC)
    await at(private_infrastructure, client, noon)
    overdue = await overdue_loan(private_infrastructure, client, noon)
    loan = {"loan_id": overdue.loan_id}
    ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
    broken = envelope(golden("PlanBroken", **loan), noon)
    amounts = OverdueAmounts(
        principal=cny("666.67"), interest=cny("30.00"), fee=cny("0.00"), penalty=cny("1.20"), total=cny("697.87")
    )
    begun = golden("LoanBecameOverdue", **loan, business_date=date(2026, 6, 18), episode=2, days_past_due=3, overdue=amounts)
    after_break = wrap(begun, producer="overdue-detection", occurred_at=noon, causation=broken)

    first, second = (after_break, broken) if ledger_first else (broken, after_break)
    await publish_in_turn(private_infrastructure, client, first, second, envelope(golden("PlanActivated", **loan), noon))
    told = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_broken")

    assert "逾期3天" in told.body
    assert "逾期总额¥697.87" in told.body


async def test_a_refused_acceptance_is_told_on_v2_only_and_every_other_request_on_v1_too(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    overdue = await overdue_loan(infra, client)
    ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
    cured = RejectionReason(code="loan_cured", message="cured since the offer")
    refused = golden("PlanRejected", loan_id=overdue.loan_id, offer_id=uuid.uuid4(), reasons=(cured,))
    no_plan = golden("PlanRejected", loan_id=overdue.loan_id, application_id=uuid.uuid4())  # the agent explains it

    async with TopicWatcher(infra.bootstrap_servers, [NOTIFICATIONS_REQUESTS_V1.name], infra.topic_prefix) as old:
        await publish_in_turn(infra, client, envelope(no_plan), envelope(refused), envelope(overdue))
        told = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_refused")
        notice = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "overdue_notice")
        notice_v1 = await old.wait_for_event("NotificationRequested", ours)
        await quiet(infra, old)
        await watcher.caught_up()

    assert "您确认的还款方案未生效" in told.body
    assert "已无逾期" in told.body
    assert sorted(request.purpose.value for request in watcher.events("NotificationRequested", ours)) == [
        "overdue_notice",
        "plan_refused",
    ]
    assert [request.purpose.value for request in old.events("NotificationRequested", ours)] == ["overdue_notice"]
    assert type(notice_v1).schema_version == 1
    assert (notice_v1.notification_id, notice_v1.body, notice_v1.channel) == (notice.notification_id, notice.body, notice.channel)
