"""*How we contact you* on the running services (issue 21), with overdue-detection, notification and
intake on topics and a database of this module's own: the section offers what notification's
contact rules allow (the legal window, the channels on file, masked); a choice sent waits for the
code notification sends to the phone on file; a wrong code changes nothing (no event, notification
keeps nothing); the right code publishes ContactPreferencesChosen, notification keeps it, and the
next overdue notice (DPD 7) is held until the borrower's preferred hour and sent then. Without the
session or the form token nothing is kept; with notification not answering, the section says the
choice cannot be changed now (no 500)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.entrypoints.borrower_page.i18n import Words
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import ClockTicked
from tideover_contracts.events.loans import LoanBooked
from tideover_testkit.fixtures import Infrastructure, Servers
from tideover_testkit.journeys import day_closed
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.service_keys import harness_headers
from tideover_testkit.settle import settled

from .borrower_services import (
    ALERT,
    CLOSED_ON,
    System,
    booked,
    code_entered,
    code_sent,
    connected,
    csrf_of,
    opened,
    other,
    sign_link,
    started_system,
    watching,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NAMES = ("overdue_detection", "notification", "negotiation_intake")
#: The choice: SMS first, no calls, from 09:00 to 10:00 in Beijing (01:00–02:00 UTC).
CHOICE = {"rank_sms": "1", "rank_voice_call": "off", "start": "09:00", "end": "10:00"}
#: DPD 7: overdue-detection's scheduled report, a new overdue notice, closed at 18:00 in Beijing.
NOTICE_DAY = CLOSED_ON + timedelta(days=4)
#: 09:00 in Beijing the morning after: the first instant the law and the borrower both allow.
PREFERRED = datetime.combine(NOTICE_DAY + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=1)


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    loans = {"journey": booked("B-000741"), "refused": booked("B-000852")}
    with started_system(servers, tmp_path_factory.mktemp("borrower-contact"), NAMES, loans) as system:
        yield system


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    async with connected(system.infrastructure) as connection:
        yield connection


@pytest.fixture
async def watcher(system: System) -> AsyncIterator[TopicWatcher]:
    async with watching(system.infrastructure) as watcher:
        yield watcher


async def choices(system: System, loan: LoanBooked) -> dict[str, Any]:
    """The contact choices notification keeps for the loan."""
    async with httpx.AsyncClient(base_url=system.urls["notification"], headers=harness_headers(), timeout=10) as http:
        answer = await http.get(f"/v1/loans/{loan.loan_id}/contact-choices")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def contact_log(system: System, loan: LoanBooked) -> list[dict[str, Any]]:
    """What notification decided for each message to the loan's borrower."""
    async with httpx.AsyncClient(base_url=system.urls["notification"], headers=harness_headers(), timeout=10) as http:
        entries: list[dict[str, Any]] = (await http.get(f"/v1/loans/{loan.loan_id}/contact-log")).json()["entries"]
    return entries


async def chose(browser: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await browser.get("/b/contact")
    assert page.status_code == 200, page.text[:300]
    return await browser.post("/b/contact", data={"csrf": csrf_of(page), **CHOICE, **fields})


async def entered(browser: httpx.AsyncClient, code: str) -> httpx.Response:
    return await code_entered(browser, "/b/contact", code)


async def publish(infrastructure: Infrastructure, *envelopes: Any) -> None:
    async with KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka:
        for envelope in envelopes:
            await kafka.publish(envelope)
    await settled(infrastructure)


def overdue_notices(watcher: TopicWatcher, loan: LoanBooked) -> list[Any]:
    return watcher.events("NotificationRequested", lambda e: e.loan_id == loan.loan_id and e.purpose == "overdue_notice")


async def test_a_confirmed_choice_reaches_notification_and_the_next_notice_waits_for_the_preferred_hour(
    system: System, watcher: TopicWatcher
) -> None:
    loan = system.loans["journey"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        page = await browser.get("/b/contact")
        assert page.status_code == 200
        assert 'data-quiet-hours="22:00-08:00"' in page.text  # notification's legal window for CN
        assert loan.borrower.phone not in page.text
        assert re.findall(r'<select id="(rank_\w+)"', page.text) == ["rank_sms", "rank_voice_call"]

        sent = await chose(browser)
        assert (sent.status_code, sent.headers["location"]) == (303, "/b/contact?done=code_sent")
        code, request = await code_sent(watcher, loan)
        assert (request.channel, request.address) == ("sms", loan.borrower.phone)
        assert "更改联系方式偏好" in request.body  # the borrower's language (zh-CN), the change it confirms

        wrong = await entered(browser, other(code))
        assert wrong.status_code == 422
        assert ALERT.findall(wrong.text) == [Words("zh-CN")("contact_code_refused")]
        await settled(system.infrastructure)
        assert watcher.events("ContactPreferencesChosen", lambda e: e.loan_id == loan.loan_id) == []
        assert (await choices(system, loan))["chosen"] is None

        right = await entered(browser, code)
        assert (right.status_code, right.headers["location"]) == (303, "/b/contact?done=saved")
        chosen = await watcher.wait_for_event("ContactPreferencesChosen", lambda e: e.loan_id == loan.loan_id)
        shown = await browser.get(right.headers["location"])
    assert (chosen.preferred_channels, chosen.opted_out_channels) == (("sms",), ("voice_call",))
    assert 'data-hours="09:00-10:00"' in shown.text
    assert code not in shown.text
    await settled(system.infrastructure)
    kept = (await choices(system, loan))["chosen"]
    assert (kept["preferred_channels"], kept["opted_out_channels"], kept["preferred_hours"]) == (
        ["sms"],
        ["voice_call"],
        {"start": "09:00", "end": "10:00"},
    )

    before = len(overdue_notices(watcher, loan))
    await publish(system.infrastructure, *(day_closed(CLOSED_ON + timedelta(days=n)) for n in range(1, 5)))
    held = [
        entry for entry in await contact_log(system, loan) if entry["purpose"] == "overdue_notice" and entry["decision"] == "held"
    ]
    assert [(entry["rule"], entry["held_until"]) for entry in held] == [("preferred_hours", PREFERRED.isoformat())]
    assert len(overdue_notices(watcher, loan)) == before  # 18:00 in Beijing: the law allows it, the borrower does not

    await publish(
        system.infrastructure,
        wrap(ClockTicked(at=PREFERRED - timedelta(minutes=30)), producer="simulator", occurred_at=datetime.now(UTC)),
    )
    assert len(overdue_notices(watcher, loan)) == before
    await publish(system.infrastructure, wrap(ClockTicked(at=PREFERRED), producer="simulator", occurred_at=datetime.now(UTC)))
    await watcher.wait_for(lambda _: len(overdue_notices(watcher, loan)) > before, what="the held notice")
    assert [notice.channel for notice in overdue_notices(watcher, loan)[before:]] == ["sms"]


async def test_without_the_session_or_the_form_token_nothing_is_kept(system: System, database: asyncpg.Connection) -> None:
    loan = system.loans["refused"]
    async with system.browser() as stranger:
        assert (await stranger.get("/b/contact")).status_code == 403
        assert (await stranger.post("/b/contact", data={"csrf": "x", **CHOICE})).status_code == 403
        assert (await stranger.post("/b/contact/code", data={"csrf": "x", "code": "123456"})).status_code == 403
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        forged = await browser.post("/b/contact", data={"csrf": "not-the-token", **CHOICE})
        refused = await chose(browser, rank_sms="off")  # no channel left
    assert forged.status_code == 403
    assert refused.status_code == 422
    assert re.findall(r'data-error="(\w+)"', refused.text) == ["channels"]
    assert await database.fetchval("SELECT count(*) FROM borrower_changes WHERE loan_id = $1", loan.loan_id) == 0


@pytest.fixture(scope="module")
def without_notification(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    names = ("overdue_detection", "negotiation_intake")  # intake told of no notification
    loans = {"alone": booked("B-000963")}
    with started_system(servers, tmp_path_factory.mktemp("contact-alone"), names, loans) as system:
        yield system


async def test_when_notification_does_not_answer_the_section_says_so_and_keeps_nothing(without_notification: System) -> None:
    loan = without_notification.loans["alone"]
    async with without_notification.browser() as browser:
        await opened(browser, sign_link(loan))
        page = await browser.get("/b/contact")
        sent = await browser.post("/b/contact", data={"csrf": csrf_of(page), **CHOICE})
    assert page.status_code == 200
    assert 'data-hidden="unavailable"' in page.text
    assert sent.status_code == 503
    assert 'data-hidden="unavailable"' in sent.text
