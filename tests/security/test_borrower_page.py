"""The borrower's page against an attacker (issue 21, "Done when": an expired, altered or other
loan's link is refused without telling what exists; the page is rate limited), with all five
services running on the module's own topics and database (conftest.py).

A prober who knows a loan exists learns it from no answer; junk never reaches a 500; the link is a
bearer credential for days, so neither intake's tables nor its log keep it in clear, whatever
happened to it; intake does not start outside development without its own link secret; and a
change on the page (*I need help*) is not made without the code sent to the phone on file."""

from __future__ import annotations

import asyncio
import io
import random
import re
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from PIL import Image

from negotiation_intake.domain.borrower_limits import LINK_PER_CLIENT, LINK_PER_LOAN
from negotiation_intake.entrypoints.bootstrap import SCHEMA
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.examples import loan_booked
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, TOKEN_LENGTH, sign
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import book_overdue_loans
from tideover_testkit.processes import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CLOSED_ON = date(2027, 6, 18)
NOW = datetime(2027, 6, 18, 10, tzinfo=UTC)  # the business clock once CLOSED_ON is closed
SECRET = DEVELOPMENT_LINK_SECRET.encode()  # the harness runs TIDEOVER_ENV=development
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class Page:
    infrastructure: Infrastructure
    intake: ServiceProcess
    #: A loan for each test that tries its links: the refused tries of one loan are limited.
    loans: dict[str, LoanBooked]

    def browser(self, **headers: str) -> httpx.AsyncClient:
        """From an address of its own (uvicorn trusts X-Forwarded-For from 127.0.0.1)."""
        sent = {"X-Forwarded-For": an_address(), "Accept-Language": "zh-CN", **headers}
        return httpx.AsyncClient(base_url=self.intake.url, headers=sent, timeout=10, follow_redirects=True)


def an_address() -> str:
    """An address of the benchmarking range (RFC 2544) no other request speaks from."""
    number = uuid.uuid4().int
    return f"198.19.{number % 256}.{number // 256 % 254 + 1}"


async def book(infrastructure: Infrastructure, overdue_url: str, loans: list[LoanBooked]) -> None:
    """Booked, one business day closed after their first due date, and every service settled."""
    await book_overdue_loans(infrastructure, overdue_url, loans, CLOSED_ON)


@pytest.fixture(scope="module")
def page(module_infrastructure: Infrastructure, running: dict[str, ServiceProcess]) -> Page:
    names = ("probed", "kept", "changed", "locked")
    loans = {name: loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15)) for name in names}
    asyncio.run(book(module_infrastructure, running["overdue_detection"].url, list(loans.values())))
    return Page(module_infrastructure, running["negotiation_intake"], loans)


async def test_the_link_is_never_kept_in_clear(page: Page) -> None:
    loan = page.loans["kept"]
    token = sign(loan.loan_id, loan.borrower.borrower_id, NOW + timedelta(days=7), SECRET)
    address = an_address()
    async with page.browser(**{"X-Forwarded-For": address}) as browser:
        opened = await browser.get(f"/b/{token}")
        others = [character for character in TOKEN_ALPHABET if character != token[-1]]
        for n in range(LINK_PER_CLIENT.tries):
            await browser.get(f"/b/{token[:-1]}{others[n]}")  # altered: refused, kept with a reason
        held = await browser.get(f"/b/{token}")  # over the limit: refused, kept too
        await browser.post(f"/b/{token}")  # a method it does not take: kept by the door
    assert opened.status_code == 200  # the redirect followed
    assert held.status_code == 429

    connection = await asyncpg.connect(page.infrastructure.database_url)
    try:
        tables = await connection.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", SCHEMA)
        rows = [
            str(row)
            for table in tables
            for row in await connection.fetch(f'SELECT row_to_json(t)::text AS r FROM "{SCHEMA}"."{table["table_name"]}" AS t')
        ]
        kept = await connection.fetchval(
            f"SELECT count(*) FROM {SCHEMA}.refused_requests WHERE path = '/b/{{token}}' AND client = $1", address
        )
    finally:
        await connection.close()
    assert kept >= 3  # first in the module: within the refusal log's bound a minute (adapters/refusals.py)
    assert not [row for row in rows if token[:30] in row]
    assert token[:30] not in page.intake.log_path.read_text()


async def test_a_prober_who_knows_the_loan_learns_nothing_from_the_answers(page: Page) -> None:
    loan_id, borrower = page.loans["probed"].loan_id, page.loans["probed"].borrower.borrower_id
    later = NOW + timedelta(days=7)
    probes = {
        "the loan, a guessed borrower": sign(loan_id, "B-000001", later, SECRET),
        "the loan, another secret": sign(loan_id, borrower, later, b"guessed" * 8),
        "the loan, expired": sign(loan_id, borrower, NOW - timedelta(hours=1), SECRET),
        "no such loan": sign(uuid.uuid4(), borrower, later, SECRET),
        "no token at all": secrets.token_urlsafe(30),
    }
    answers = {}
    for name, token in probes.items():
        async with page.browser() as browser:
            answers[name] = await browser.get(f"/b/{token}")

    assert {answer.status_code for answer in answers.values()} == {404}
    assert len({answer.text for answer in answers.values()}) == 1
    assert len({tuple(sorted(answer.headers.keys())) for answer in answers.values()}) == 1
    assert "无法打开此链接" in answers["no such loan"].text  # in the browser's language


async def test_a_prober_who_forges_links_to_a_known_loan_cannot_lock_its_borrower_out(page: Page) -> None:
    loan = page.loans["locked"]
    later = NOW + timedelta(days=7)
    good = sign(loan.loan_id, loan.borrower.borrower_id, later, SECRET)
    forged = [
        sign(loan.loan_id, loan.borrower.borrower_id, later, secrets.token_bytes(32)),  # a guessed secret
        sign(loan.loan_id, "B-000001", later, SECRET),  # another borrower's name on the loan
        *(good[:-2] + tail for tail in ("AA", "zz", "-_") if tail != good[-2:]),  # altered, never the good one
    ]
    statuses = []
    for _ in range(LINK_PER_LOAN.tries):
        for token in forged:
            async with page.browser() as browser:  # from addresses of their own: no address is limited
                statuses.append((await browser.get(f"/b/{token}")).status_code)
    async with page.browser() as borrower:
        opened = await borrower.get(f"/b/{good}")

    assert set(statuses) == {404}
    assert opened.status_code == 200  # the redirect followed: the borrower's own link still opens


async def test_junk_never_reaches_a_500(page: Page) -> None:
    draw = random.Random(21)
    junk = [
        *("".join(draw.choices(TOKEN_ALPHABET, k=TOKEN_LENGTH)) for _ in range(40)),
        *("".join(chr(draw.randrange(32, 0x2FFF)) for _ in range(draw.randrange(1, 90))) for _ in range(40)),
    ]
    statuses = []
    for token in junk:
        async with page.browser() as browser:
            statuses.append((await browser.get(f"/b/{token}")).status_code)
    assert set(statuses) <= {404, 400}, statuses


@pytest.mark.parametrize("secret", ["", DEVELOPMENT_LINK_SECRET, "too-short"])
async def test_intake_refuses_to_start_outside_development_without_a_link_secret(page: Page, tmp_path: Path, secret: str) -> None:
    production = {
        "TIDEOVER_ENV": "production",
        "TIDEOVER_CODE_SECRET": secrets.token_urlsafe(32),
        "TIDEOVER_LINK_SECRET": secret,
    }
    replica = ServiceProcess("negotiation_intake", {**page.infrastructure.service_env(), **production}, tmp_path)
    with pytest.raises(RuntimeError, match="exited with 1"):
        replica.start(timeout=30)
    assert "TIDEOVER_LINK_SECRET must be set" in replica.log_path.read_text()


async def _applications(page: Page, loan: LoanBooked) -> tuple[int, int]:
    """The loan's applications and its changes applied, as intake keeps them."""
    connection = await asyncpg.connect(page.infrastructure.database_url, server_settings={"search_path": SCHEMA})
    try:
        made = await connection.fetchval("SELECT count(*) FROM applications WHERE loan_id = $1", loan.loan_id)
        applied = await connection.fetchval(
            "SELECT count(*) FROM borrower_changes WHERE loan_id = $1 AND state = 'applied'", loan.loan_id
        )
    finally:
        await connection.close()
    return made, applied


def _csrf(answer: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None, answer.text[:300]
    return found.group(1)


async def test_a_change_without_the_code_is_refused(page: Page) -> None:
    loan = page.loans["changed"]
    token = sign(loan.loan_id, loan.borrower.borrower_id, NOW + timedelta(days=7), SECRET)
    photo = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 90, 90)).save(photo, "PNG")
    fields = {"reason": "illness", "monthly_income": "3000", "essential_expenses": "2500", "description": "in hospital"}
    async with page.browser() as browser, page.browser() as stranger:
        assert (await browser.get(f"/b/{token}")).status_code == 200  # the redirect followed
        section = await browser.get("/b/help")
        files = [("files", ("scan.png", photo.getvalue(), "image/png"))]
        waiting = await browser.post("/b/help", data={"csrf": _csrf(section), **fields}, files=files)
        assert 'action="/b/help/code"' in waiting.text  # kept, a code sent: nothing made yet
        csrf = _csrf(waiting)
        tries = [{"csrf": csrf}, {"csrf": csrf, "code": ""}, {"csrf": csrf, "code": "abcdef"}, {"csrf": csrf, "code": "1" * 40}]
        tries += [{"csrf": csrf, "code": f"{n:06d}"} for n in (0, 123456, 999999)]
        answers = [await browser.post("/b/help/code", data=form) for form in tries]
        no_token = await browser.post("/b/help/code", data={"code": "000000"})
        # Another browser with the same link has a session of its own: the change is not its to confirm.
        assert (await stranger.get(f"/b/{token}")).status_code == 200
        elsewhere = await stranger.post("/b/help/code", data={"csrf": _csrf(await stranger.get("/b/help")), "code": "000000"})

    refused = [answer for answer in answers if answer.status_code == 422]
    assert len(refused) == len(answers), [answer.status_code for answer in answers]
    alerts = {re.findall(r'role="alert"[^>]*>([^<]+)<', answer.text)[0] for answer in [*answers, elsewhere]}
    assert len(alerts) == 1  # one and the same refusal, whatever was sent
    assert elsewhere.status_code == 422
    assert no_token.status_code == 403
    assert await _applications(page, loan) == (0, 0)
