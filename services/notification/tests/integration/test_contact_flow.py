"""Notification on the real Kafka and Postgres, with its own topics, database and clock: a notice
due at 23:30 Beijing time is held and released at 08:00; a redelivered or repeated overdue event
makes one message; a failed SMS falls back to e-mail; receipts reach the contact log; a borrower
booked as reading Traditional Chinese is written to in zh-Hant, also after a contact change that
does not name the language; the contact log answers only a caller with a service key, and shows
a written plan's one-time code masked."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta

import asyncpg
import httpx
import pytest

from tideover_contracts.common import Channel, Language, Locale
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS_V1
from tideover_runtime.service_keys import CallerRole, key_header
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit import reference_gateway
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import guard_test_keys, harness_headers

from .flow import (
    EVENING,
    MIDDAY,
    MORNING,
    PAGE,
    at,
    contact_log,
    envelope,
    golden,
    handled,
    link_token,
    overdue_loan,
    publish_in_turn,
    quiet,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


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
    assert sent.template == "overdue_notice/sms.zh-Hant@v2"
    token = link_token(sent.body)
    assert sent.body == (
        "【Tideover】您的貸款已逾期1天，逾期金額¥1,045.00（應還款日2026年2月15日）。"
        f"請儘快還款；如還款有困難，可在 {PAGE}{token} 查看貸款、申請還款方案，或聯絡我們。"
    )
    # Version 1 has no language: the same text, under the locale it always had.
    assert (sent_v1.body, sent_v1.locale) == (sent.body, Locale.ZH_CN)
    assert "language" not in sent_v1.model_dump()
    [entry] = await contact_log(notification, overdue.loan_id)
    assert (entry["decision"], entry["template"], entry["body"]) == ("sent", sent.template, sent.body.replace(token, "******"))


async def test_a_borrower_booked_without_a_language_reads_the_locales_own(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient, watcher: TopicWatcher
) -> None:
    await at(private_infrastructure, client, MIDDAY)
    overdue = await overdue_loan(private_infrastructure, client)  # locale zh-CN, language not stated
    await client.publish(envelope(overdue))

    sent = await watcher.wait_for_event("NotificationRequested", lambda e: e.loan_id == overdue.loan_id)

    assert (sent.locale, sent.language, sent.template) == (Locale.ZH_CN, Language.ZH_HANS, "overdue_notice/sms.zh-CN@v2")
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
        "none": 401,
        "unknown": 401,
        "revoked": 401,
        "lacking": 403,
        "allowed": 200,
    }
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
    assert entry["body"] == request.body.replace(code, "******").replace(link_token(request.body), "******")
    assert "验证码******" in entry["body"]
    connection = await asyncpg.connect(private_infrastructure.database_url)
    try:
        stored = await connection.fetchval("SELECT body FROM notification.contact_log WHERE loan_id = $1", overdue.loan_id)
    finally:
        await connection.close()
    assert code not in stored


async def test_the_contact_window_says_when_the_rules_next_let_the_borrower_be_pressed(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient
) -> None:
    """Issue 20, finding 7: the console's "next allowed contact", from notification's own rules."""
    await at(private_infrastructure, client, EVENING)
    overdue = await overdue_loan(private_infrastructure, client)
    async with httpx.AsyncClient(base_url=notification.url, headers=harness_headers(CallerRole.NEGOTIATION_INTAKE)) as http:
        window = (await http.get(f"/v1/loans/{overdue.loan_id}/contact-window")).json()
        unknown = await http.get(f"/v1/loans/{uuid.uuid4()}/contact-window")
    async with httpx.AsyncClient(base_url=notification.url) as anonymous:
        refused = await anonymous.get(f"/v1/loans/{overdue.loan_id}/contact-window")
    assert (window["outcome"], window["channel"], window["rule"]) == ("held", "sms", "quiet_hours")
    assert datetime.fromisoformat(window["until"]) == MORNING  # 08:00 in the borrower's morning
    assert datetime.fromisoformat(window["at"]) == EVENING
    assert (unknown.status_code, refused.status_code) == (404, 401)
