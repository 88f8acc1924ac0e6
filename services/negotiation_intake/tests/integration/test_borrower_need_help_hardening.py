"""*I need help* after the security review (issue 21), on the running services (overdue-detection,
notification, intake) with topics and a database of this module's own: the application the right
code opens is in the audit log by `borrower-page`; a loan intake does not know as overdue is asked
of the ledger before the code's transaction (as the console asks it), so the right code opens the
application; wrong change codes are limited per loan across sessions and addresses; forms are
counted before they are read; no more codes are asked in any 24 hours than notification sends; a
body over the limit is answered with the page's own HTML; the borrower's confirmation's
Idempotency-Key keeps only a keyed fingerprint of the body, and still replays."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import httpx
import pytest

from negotiation_intake.application.borrower_help import BORROWER_PAGE
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.borrower_changes import CODE_TRIES
from negotiation_intake.domain.borrower_limits import CHANGE_CODE_TRIES_PER_LOAN, CODES_A_DAY_PER_LOAN, HELP_FORMS_PER_SESSION
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.events.loans import LoanBooked
from tideover_testkit.fixtures import Servers
from tideover_testkit.kafka import TopicWatcher

from .borrower_services import (
    System,
    booked,
    client_address,
    code_in,
    code_sent,
    connected,
    csrf_of,
    opened,
    other,
    sign_link,
    started_system,
    watching,
)
from .test_borrower_need_help import entered, sent_for_help

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NAMES = ("overdue_detection", "notification", "negotiation_intake")
LOANS = ("audited", "early", "guessed", "forms", "daily", "large")


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    loans = {name: booked(f"B-{400 + n:06d}") for n, name in enumerate(LOANS)}
    with started_system(servers, tmp_path_factory.mktemp("help-hardening"), NAMES, loans) as system:
        yield system


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    async with connected(system.infrastructure) as connection:
        yield connection


@pytest.fixture
async def requests(system: System) -> AsyncIterator[TopicWatcher]:
    async with watching(system.infrastructure) as watcher:
        yield watcher


async def nth_code(requests: TopicWatcher, loan: LoanBooked, n: int) -> str:
    """The `n`th change code (from 0) notification sent for the loan."""
    ours = lambda event: event.loan_id == loan.loan_id and event.purpose == "change_code"  # noqa: E731
    await requests.wait_for(lambda _: len(requests.events("NotificationRequested", ours)) > n)
    return code_in(requests.events("NotificationRequested", ours)[n].body)


async def key_of(system: System, role: Role) -> str:
    return await issue_key(system.infrastructure.database_url, f"{role.value}-{uuid.uuid4().hex[:6]}", role)


async def test_the_application_the_code_opens_is_audited_as_the_borrower_pages(
    system: System, database: asyncpg.Connection, requests: TopicWatcher
) -> None:
    loan = system.loans["audited"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        await sent_for_help(browser)
        code, _ = await code_sent(requests, loan)
        right = await entered(browser, code)
    assert (right.status_code, right.headers["location"]) == (303, "/b/help?done=applied")
    application_id = await database.fetchval("SELECT application_id FROM applications WHERE loan_id = $1", loan.loan_id)

    async with httpx.AsyncClient(base_url=system.intake, headers={"X-API-Key": await key_of(system, Role.ADMIN)}) as http:
        entries = (await http.get("/v1/audit", params={"application_id": str(application_id)})).json()["items"]
    [opening] = [entry for entry in entries if entry["action"] == "open_application"]
    assert (opening["agent_id"], opening["method"], opening["path"], opening["status"]) == (
        BORROWER_PAGE,
        "POST",
        "/b/help/code",
        201,
    )
    assert opening["before"] is None
    assert (opening["after"]["application_id"], opening["after"]["state"]) == (str(application_id), "draft")
    assert code not in json.dumps(entries)


async def test_a_loan_intake_does_not_know_as_overdue_is_asked_of_the_ledger_before_the_code(
    system: System, database: asyncpg.Connection, requests: TopicWatcher
) -> None:
    loan = system.loans["early"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        # Intake has not heard the loan is overdue (an event late, or early hardship): only the
        # ledger, overdue-detection, knows.
        await database.execute("UPDATE loan_views SET overdue = false WHERE loan_id = $1", loan.loan_id)
        await sent_for_help(browser)
        code, _ = await code_sent(requests, loan)
        right = await entered(browser, code)

    assert (right.status_code, right.headers.get("location")) == (303, "/b/help?done=applied"), right.text[:300]
    assert await database.fetchval("SELECT overdue FROM loan_views WHERE loan_id = $1", loan.loan_id) is True
    assert await database.fetchval("SELECT count(*) FROM applications WHERE loan_id = $1", loan.loan_id) == 1


async def test_wrong_change_codes_for_a_loan_are_limited_across_sessions_and_addresses(
    system: System, database: asyncpg.Connection, requests: TopicWatcher
) -> None:
    loan = system.loans["guessed"]
    statuses = []
    for sent in range(CHANGE_CODE_TRIES_PER_LOAN.tries // CODE_TRIES):  # each a session of its own, from an address of its own
        async with system.browser() as browser:
            await opened(browser, sign_link(loan))
            await sent_for_help(browser)
            code = await nth_code(requests, loan, sent)
            statuses += [(await entered(browser, other(code))).status_code for _ in range(CODE_TRIES)]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        over = await entered(browser, "123456")

    assert statuses == [422] * CHANGE_CODE_TRIES_PER_LOAN.tries
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) > 0
    assert await database.fetchval("SELECT count(*) FROM applications WHERE loan_id = $1", loan.loan_id) == 0


async def test_forms_from_one_session_are_counted_before_they_are_read(system: System) -> None:
    loan = system.loans["forms"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        refused = [await browser.post("/b/help", data={"csrf": "not-the-token"}) for _ in range(HELP_FORMS_PER_SESSION.tries)]
        over = await browser.post("/b/help", content=b"never read", headers={"content-type": "multipart/form-data; boundary=x"})

    assert {answer.status_code for answer in refused} == {403}
    assert over.status_code == 429
    assert over.headers["content-type"].startswith("text/html")
    assert Words("en")("too_many_title") in over.text


async def test_no_more_codes_are_asked_for_a_loan_in_a_day_than_notification_sends(
    system: System, database: asyncpg.Connection, requests: TopicWatcher
) -> None:
    loan = system.loans["daily"]
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        assert (await sent_for_help(browser)).status_code == 303
        await code_sent(requests, loan)
        first = await database.fetchval("SELECT asked_at FROM borrower_code_requests WHERE loan_id = $1", loan.loan_id)
        others = [(loan.loan_id, first - timedelta(hours=n)) for n in range(1, CODES_A_DAY_PER_LOAN.tries)]
        await database.executemany("INSERT INTO borrower_code_requests (loan_id, asked_at) VALUES ($1, $2)", others)
        asked = len(requests.events("BorrowerCodeRequested", lambda event: event.loan_id == loan.loan_id))
        page = await browser.get("/b/help")
        again = await browser.post("/b/help/code/new", data={"csrf": csrf_of(page)})

    assert again.status_code == 429
    oldest = first - timedelta(hours=CODES_A_DAY_PER_LOAN.tries - 1)
    assert abs(int(again.headers["retry-after"]) - (oldest + timedelta(hours=24) - first).total_seconds()) < 120
    assert Words("en")("too_many_title") in again.text
    await asyncio.sleep(1)
    assert len(requests.events("BorrowerCodeRequested", lambda event: event.loan_id == loan.loan_id)) == asked == 1


async def test_a_body_over_the_limit_gets_the_pages_html_declared_or_streamed(system: System) -> None:
    loan = system.loans["large"]

    async def streamed() -> AsyncIterator[bytes]:  # a photo too large, with no Content-Length
        yield b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        for _ in range(80):
            yield b"x" * (1024 * 1024)

    too_much = b"x" * (65 * 1024)
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        chunked = await browser.post("/b/help", content=streamed(), headers={"content-type": "multipart/form-data; boundary=x"})
        declared = await browser.post(
            "/b/language", content=too_much, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        console = await browser.post("/console/language", content=too_much)
        api = await browser.post("/v1/borrower/confirmations", content=too_much)

    for answer in (chunked, declared):
        assert answer.status_code == 413, answer.text[:200]
        assert answer.headers["content-type"].startswith("text/html")
        assert Words("en")("too_large_title") in answer.text
    assert (console.status_code, console.headers["content-type"][:9]) == (413, "text/html")
    assert "larger than the console takes" in console.text
    assert (api.status_code, api.headers["content-type"]) == (413, "application/problem+json")


async def test_the_borrowers_confirmation_keeps_a_keyed_fingerprint_and_still_replays(
    system: System, database: asyncpg.Connection
) -> None:
    body = json.dumps({"application_id": str(uuid.uuid4()), "code": "482913"}).encode()
    headers = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json", "X-Forwarded-For": client_address()}
    async with httpx.AsyncClient(base_url=system.intake, headers=headers) as http:
        first = await http.post("/v1/borrower/confirmations", content=body)
        again = await http.post("/v1/borrower/confirmations", content=body)
        another = await http.post("/v1/borrower/confirmations", content=body.replace(b"482913", b"482914"))

    assert (first.status_code, again.status_code, again.json()) == (422, 422, first.json())
    assert another.json()["rule"] == "idempotency_key_reuse"
    kept = await database.fetchval(
        "SELECT request_hash FROM idempotency_keys WHERE key LIKE $1", f"%:{headers['Idempotency-Key']}"
    )
    plain = hashlib.sha256(b"\n".join([b"POST", b"/v1/borrower/confirmations", body])).hexdigest()
    assert kept is not None
    assert kept != plain
    assert kept.startswith("hmac-sha256:")
