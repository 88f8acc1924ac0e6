"""*I need help* on the running services (issue 21, deliver 2), with overdue-detection and
notification on topics and a database of this module's own: the borrower opens their link, sends
the application with a photo of their payslip; the code reaches notification's
NotificationRequested v3 (purpose change_code) for the phone on file; a wrong code is refused with
the one refusal and makes nothing; the right code makes the application the agents' API shows,
from the borrower's page, with the photo as its evidence, and the section then shows its state.
A form with wrong answers is refused field by field and keeps nothing; codes asked for one loan
are limited (429); no input reaches a 500."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from PIL import Image

from negotiation_intake.application.borrower_help import BORROWER_PAGE
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.borrower_limits import CODES_PER_LOAN
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.events.loans import LoanBooked
from tideover_testkit.fixtures import Servers
from tideover_testkit.kafka import TopicWatcher

from .borrower_services import (
    ALERT,
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

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

NAMES = ("overdue_detection", "notification", "negotiation_intake")


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    loans = {"journey": booked("B-000321"), "refused": booked("B-000654"), "limited": booked("B-000987")}
    with started_system(servers, tmp_path_factory.mktemp("borrower-help"), NAMES, loans) as system:
        yield system


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    async with connected(system.infrastructure) as connection:
        yield connection


@pytest.fixture
async def requests(system: System) -> AsyncIterator[TopicWatcher]:
    async with watching(system.infrastructure) as watcher:
        yield watcher


def payslip_photo() -> bytes:
    """A small JPEG, as a phone's camera sends one."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (230, 220, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


FIELDS = {"reason": "income_reduction", "monthly_income": "4200", "essential_expenses": "2600.50", "description": "Shop closed"}


async def sent_for_help(browser: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await browser.get("/b/help")
    assert page.status_code == 200, page.text[:300]
    files = [("files", ("payslip.jpg", payslip_photo(), "image/jpeg"))]
    return await browser.post("/b/help", data={"csrf": csrf_of(page), **FIELDS, **fields}, files=files)


async def entered(browser: httpx.AsyncClient, code: str) -> httpx.Response:
    return await code_entered(browser, "/b/help", code)


async def agents_view(system: System, loan: LoanBooked) -> list[dict[str, Any]]:
    key = await issue_key(system.infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    async with httpx.AsyncClient(base_url=system.intake, headers={"X-API-Key": key}, timeout=10) as http:
        shown = (await http.get(f"/v1/loans/{loan.loan_id}")).json()["applications"]
        return [(await http.get(f"/v1/applications/{a['application_id']}")).json() for a in shown]


async def test_an_application_with_a_photo_is_made_with_the_code_sent_to_the_phone(
    system: System, database: asyncpg.Connection, requests: TopicWatcher
) -> None:
    loan = system.loans["journey"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        sent = await sent_for_help(browser)
        assert (sent.status_code, sent.headers["location"]) == (303, "/b/help?done=code_sent")
        code, request = await code_sent(requests, loan)
        asked = requests.events("BorrowerCodeRequested", lambda event: event.loan_id == loan.loan_id)
        assert [event.change for event in asked] == ["hardship_application"]
        assert (request.channel, request.address) == ("sms", loan.borrower.phone)

        wrong = await entered(browser, other(code))
        assert wrong.status_code == 422
        assert ALERT.findall(wrong.text) == [Words("zh-CN")("help_code_refused")]  # the borrower's language
        assert await agents_view(system, loan) == []

        right = await entered(browser, code)
        assert (right.status_code, right.headers["location"]) == (303, "/b/help?done=applied")
        shown = await browser.get(right.headers["location"])
    assert 'data-hidden="application_open"' in shown.text
    assert 'data-application-state="draft"' in shown.text
    assert code not in shown.text
    [application] = await agents_view(system, loan)
    assert (application["state"], application["agent_id"], application["reason"]) == ("draft", BORROWER_PAGE, "income_reduction")
    assert application["monthly_income"]["amount"] == "4200.00"
    assert [(d["filename"], d["kind"], d["media_type"]) for d in application["evidence"]] == [
        ("payslip.jpg", "income_proof", "image/jpeg")
    ]
    kept = await database.fetchrow("SELECT state, code_hash FROM borrower_changes WHERE loan_id = $1", loan.loan_id)
    assert kept is not None
    assert kept["state"] == "applied"
    assert code not in kept["code_hash"]
    assert await database.fetchval("SELECT count(*) FROM outbox WHERE convert_from(value, 'UTF8') LIKE $1", f"%{code}%") == 0


async def test_a_form_with_wrong_answers_is_refused_field_by_field_and_keeps_nothing(
    system: System, database: asyncpg.Connection
) -> None:
    loan = system.loans["refused"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        answer = await sent_for_help(browser, monthly_income="lots", reason="bored")
    assert answer.status_code == 422
    assert set(re.findall(r'data-error="(\w+)"', answer.text)) == {"reason", "monthly_income"}
    assert 'value="lots"' in answer.text
    assert await database.fetchval("SELECT count(*) FROM borrower_changes WHERE loan_id = $1", loan.loan_id) == 0


async def test_codes_asked_for_one_loan_are_limited(system: System, database: asyncpg.Connection) -> None:
    loan = system.loans["limited"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        answers = [await sent_for_help(browser) for _ in range(CODES_PER_LOAN.tries + 1)]
    assert [answer.status_code for answer in answers] == [303] * CODES_PER_LOAN.tries + [429]
    assert int(answers[-1].headers["retry-after"]) > 0
    kept = await database.fetchval("SELECT count(*) FROM borrower_changes WHERE loan_id = $1", loan.loan_id)
    assert kept == 1  # each form replaces the session's last; the refused one kept nothing


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("/b/help", {"data": {"csrf": "x" * 5000, "reason": "\x00"}}),
        ("/b/help", {"content": b"--nothing\r\n", "headers": {"content-type": "multipart/form-data; boundary=nothing"}}),
        ("/b/help", {"files": [("files", ("a.jpg", b"\xff\xd8", "image/jpeg"))] * 9}),
        ("/b/help/code", {"data": {"code": "\u0663" * 6}}),
        ("/b/help/code/new", {"data": {}}),
    ],
)
async def test_no_input_reaches_a_500(system: System, path: str, sent: dict[str, Any]) -> None:
    loan = system.loans["refused"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        answer = await browser.post(path, **sent)
    assert 300 <= answer.status_code < 500, (answer.status_code, answer.text[:200])
