"""Notification on the real Kafka and Postgres, with its own topics, database and clock: a notice
due at 23:30 Beijing time is held and released at 08:00; a redelivered or repeated overdue event
makes one message; a failed SMS falls back to e-mail; receipts reach the contact log; a borrower
booked as reading Traditional Chinese is written to in zh-Hant, also after a contact change that
does not name the language; a broken
plan's message states the ledger's figures and a closed loan is pressed for nothing, whichever of
the two topics that bring a fact is read first; the contact log answers only a caller with a
service key, and shows a written plan's one-time code masked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tideover_contracts.common import Bucket, Channel, Language, Locale, OverdueAmounts
from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import CureReason, OverdueChangeReason
from tideover_contracts.events.plans import RejectionReason
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_contracts.money import Money
from tideover_contracts.topics import NOTIFICATIONS_RECEIPTS, NOTIFICATIONS_REQUESTS, NOTIFICATIONS_REQUESTS_V1
from tideover_runtime.service_keys import CallerRole, key_header
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit import reference_gateway
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import guard_test_keys, harness_headers
from tideover_testkit.settle import settled, taken_in

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
    await taken_in(infrastructure, "notification", *(envelope.event_id for envelope in envelopes))


async def quiet(infrastructure: Infrastructure, watcher: TopicWatcher) -> None:
    """Until notification has consumed everything and sent its outbox, and the watcher read it
    all: then a message, were there one, would have been seen."""
    await settled(infrastructure)
    await watcher.caught_up()


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
    async with httpx.AsyncClient(base_url=service.url, headers=harness_headers()) as http:
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
    await quiet(private_infrastructure, watcher)  # room for a second message, if there were one

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
        # The requests and the SMS failure came before the receipt, but on other topics: read them all.
        await watcher.caught_up()
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


async def test_a_borrower_who_reads_traditional_chinese_is_written_to_in_zh_hant_after_a_contact_change_too(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    overdue = await overdue_loan(infra, client, language=Language.ZH_HANT)
    # A new phone number, and nothing said of the language: the borrower still reads zh-Hant.
    changed = envelope(
        BorrowerContactChanged(loan_id=overdue.loan_id, borrower_id="B-000123", phone="+8613900139000", changed_at=MIDDAY)
    )
    await publish_in_turn(infra, client, changed)

    async with TopicWatcher(infra.bootstrap_servers, [NOTIFICATIONS_REQUESTS_V1.name], infra.topic_prefix) as old:
        await client.publish(envelope(overdue))
        sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)
        sent_v1 = await old.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)

    assert (sent.channel, sent.address) == (Channel.SMS, "+8613900139000")
    assert (sent.locale, sent.language) == (Locale.ZH_CN, Language.ZH_HANT)
    assert sent.template == "overdue_notice/sms.zh-Hant@v1"
    assert sent.body == (
        "【Tideover】您的貸款已逾期1天，逾期金額¥1,045.00（應還款日2026年2月15日）。"
        "請儘快還款；如還款有困難，請聯絡我們協商還款方案。"
    )
    # Version 1 has no language: the same text, under the locale it always had.
    assert (sent_v1.body, sent_v1.locale) == (sent.body, Locale.ZH_CN)
    assert "language" not in sent_v1.model_dump()
    [entry] = await contact_log(notification, overdue.loan_id)
    assert (entry["decision"], entry["template"], entry["body"]) == ("sent", sent.template, sent.body)


async def test_a_borrower_booked_without_a_language_reads_the_locales_own(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)  # locale zh-CN, language not stated
    await client.publish(envelope(overdue))

    sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)

    assert (sent.locale, sent.language, sent.template) == (Locale.ZH_CN, Language.ZH_HANS, "overdue_notice/sms.zh-CN@v1")
    assert "逾期金额¥1,045.00" in sent.body


async def test_the_contact_log_takes_a_service_key_granting_read_contact_log(
    private_infrastructure: Infrastructure, notification: ServiceProcess
) -> None:
    """Issue 17, H1: nobody without a key reads what was sent to a borrower."""
    keys = await guard_test_keys(private_infrastructure.database_url, "notification", CallerRole.OPERATOR, "retired-role")
    loan_id = uuid.uuid4()
    async with httpx.AsyncClient(base_url=notification.url) as http:
        answers = {
            name: await http.get(f"/v1/loans/{loan_id}/contact-log", headers=key_header(key)) for name, key in keys.items()
        }
        by_intake = await http.get(f"/v1/loans/{loan_id}/contact-log", headers=harness_headers(CallerRole.NEGOTIATION_INTAKE))
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "none": 401, "unknown": 401, "revoked": 401, "lacking": 403, "allowed": 200,
    }  # fmt: skip
    assert answers["none"].headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
    assert answers["allowed"].json() == by_intake.json() == {"loan_id": str(loan_id), "entries": []}


async def test_the_contact_log_shows_a_written_plans_code_masked_while_the_borrower_gets_it(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    """Issue 17, H1 and M4: the code is in the message the gateway delivers, never in what
    notification keeps and serves."""
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)
    code = "731904"
    sent = golden(
        "PlanSentToBorrower",
        loan_id=overdue.loan_id,
        application_id=uuid.uuid4(),
        confirmation_code=code,
        sent_at=MIDDAY,
        code_expires_at=MIDDAY + timedelta(hours=24),  # valid when read (an expired one is not sent)
    )
    await client.publish(envelope(sent))

    written = lambda e: e.loan_id == overdue.loan_id and e.purpose.value == "written_plan"  # noqa: E731
    request = await watcher.wait_for_event("NotificationRequested", written)
    assert f"验证码{code}" in request.body
    [entry] = await contact_log(notification, overdue.loan_id)
    assert (entry["purpose"], entry["decision"], entry["template"]) == ("written_plan", "sent", request.template)
    assert entry["body"] == request.body.replace(code, "******")
    assert "验证码******" in entry["body"]
    connection = await asyncpg.connect(private_infrastructure.database_url)
    try:
        stored = await connection.fetchval("SELECT body FROM notification.contact_log WHERE loan_id = $1", overdue.loan_id)
    finally:
        await connection.close()
    assert code not in stored


def golden(event_type: str, **changes: Any) -> Any:
    return next(event for event in golden_events() if type(event).__name__ == event_type).model_copy(update=changes)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


async def publish_in_turn(infrastructure: Infrastructure, kafka: KafkaTestClient, *envelopes: Envelope[Any]) -> None:
    """Each event taken in before the next is published: the order the service reads them in."""
    for each in envelopes:
        await kafka.publish(each)
        await handled(infrastructure, each)


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
    overdue = await overdue_loan(private_infrastructure, client)
    loan = {"loan_id": overdue.loan_id}
    ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
    # The golden plan broke on 18 June, its oldest missed installment due 15 May (34 days before).
    # overdue-detection undid the plan in its ledger and reports 31 days past due (the days under
    # the plan do not count) and 712.40 overdue: those are the figures the borrower is told.
    broken = envelope(golden("PlanBroken", **loan))
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

    missed = envelope(golden("PlanInstallmentMissed", **loan))
    await publish_in_turn(private_infrastructure, client, missed, first)
    assert "plan_broken" not in [entry["purpose"] for entry in await contact_log(notification, overdue.loan_id)]
    # The plan's activation (plans.offers.v1) is read last: the order of the topics must not matter.
    await publish_in_turn(private_infrastructure, client, second, envelope(golden("PlanActivated", **loan)))
    told = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_broken")
    assert "逾期31天" in told.body
    assert "逾期总额¥712.40" in told.body
    assert "未还金额¥696.67" in told.body
    assert "34天" not in told.body

    # Never twice: both events redelivered, and the break told again under another event id.
    again = envelope(broken.payload)
    await client.publish(broken, after_break, again)
    await handled(private_infrastructure, again)
    log = await contact_log(notification, overdue.loan_id)
    assert [entry["decision"] for entry in log if entry["purpose"] == "plan_broken"] == ["sent"]

    # The plan ended: collection messages go out again.
    later = envelope(overdue.model_copy(update={"business_date": date(2026, 6, 18), "episode": 2}))
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
    overdue = await overdue_loan(private_infrastructure, client)
    loan = {"loan_id": overdue.loan_id}
    ours = lambda e: e.loan_id == overdue.loan_id  # noqa: E731
    broken = envelope(golden("PlanBroken", **loan))
    amounts = OverdueAmounts(
        principal=cny("666.67"), interest=cny("30.00"), fee=cny("0.00"), penalty=cny("1.20"), total=cny("697.87")
    )
    begun = golden("LoanBecameOverdue", **loan, business_date=date(2026, 6, 18), episode=2, days_past_due=3, overdue=amounts)
    after_break = wrap(begun, producer="overdue-detection", occurred_at=noon, causation=broken)

    first, second = (after_break, broken) if ledger_first else (broken, after_break)
    await publish_in_turn(private_infrastructure, client, first, second, envelope(golden("PlanActivated", **loan)))
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


def closure_of(overdue: Any, reason: LoanClosureReason) -> Envelope[Any]:
    return envelope(LoanClosed(loan_id=overdue.loan_id, closed_on=date(2031, 3, 3), reason=reason))


def cure_by_closure_of(overdue: Any) -> Envelope[Any]:
    """What overdue-detection publishes when a loan in an overdue episode closes."""
    cure = golden("LoanCured", loan_id=overdue.loan_id, business_date=date(2031, 3, 3), reason=CureReason.LOAN_CLOSED)
    return wrap(cure, producer="overdue-detection", occurred_at=MIDDAY)  # business time, like the clock's


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
