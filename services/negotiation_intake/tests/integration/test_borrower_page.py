"""The borrower's page on the running service (issue 21), with overdue-detection, the book of
record, on topics and a database of this module's own (as the security tests run theirs): the
loans are booked and made overdue by a business day closed, as upstream and the scheduler would.

A good link opens *My loan* with overdue-detection's figures and a session whose cookie is
HttpOnly, SameSite and only a random token; every bad link — expired, altered, another loan's,
another borrower's, an unknown loan's, junk — gets one and the same refusal, kept with its reason
and never its token; the link and the page are limited per address (and the link per loan); the
token is never in a redirect or a page. Each test speaks from client addresses of its own (the
service trusts X-Forwarded-For from 127.0.0.1)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
import pytest

from negotiation_intake.adapters.console_sessions import TOKEN_PATTERN
from negotiation_intake.domain.borrower_limits import LINK_PER_CLIENT, LINK_PER_LOAN, PAGE_PER_CLIENT
from negotiation_intake.entrypoints.console import CONSOLE_POLICY
from tideover_contracts.events.loans import LoanBooked
from tideover_runtime.borrower_links import sign
from tideover_testkit.fixtures import Infrastructure, Servers
from tideover_testkit.processes import wait_until_ok

from .borrower_services import CSRF, NOW, SECRET, booked, client_address, connected, opened, sign_link, started_system

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

#: TIDEOVER_ENV=development and plain HTTP: no Secure, no __Host- prefix.
COOKIE = "tideover_borrower"


@dataclass(frozen=True)
class System:
    infrastructure: Infrastructure
    intake: str
    overdue: str
    #: The borrower's loan, another borrower's loan, and a loan of the borrower's for tests that change it.
    loans: dict[str, LoanBooked]

    def link(self, loan: str = "own", borrower: str | None = None, expires_at: datetime | None = None) -> str:
        """The token of a link as notification signs it."""
        return sign_link(self.loans[loan], borrower, expires_at)

    def browser(self, address: str | None = None, **headers: str) -> httpx.AsyncClient:
        """A browser on intake from an address of its own, following no redirect by itself."""
        sent = {"X-Forwarded-For": address or client_address(), **headers}
        return httpx.AsyncClient(base_url=self.intake, headers=sent, timeout=10, follow_redirects=False)


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    names = ("overdue_detection", "negotiation_intake")  # intake told where overdue-detection answers
    loans = {"own": booked("B-000123"), "other": booked("B-000456"), "moved": booked("B-000789")}
    with started_system(servers, tmp_path_factory.mktemp("borrower-page"), names, loans) as started:
        yield System(started.infrastructure, started.intake, started.urls["overdue_detection"], loans)


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    async with connected(system.infrastructure) as connection:
        yield connection


def owed_total(page: httpx.Response) -> Decimal:
    found = re.search(r'data-owed-total="([\d.]+)"', page.text)
    assert found is not None, page.text[:500]
    return Decimal(found.group(1))


async def test_a_good_link_opens_my_loan_with_overdue_detections_figures(system: System) -> None:
    token = system.link()
    async with system.browser() as browser:
        entry = await browser.get(f"/b/{token}")
        page = await browser.get(entry.headers["location"])
    status = (await wait_until_ok(f"{system.overdue}/v1/loans/{system.loans['own'].loan_id}/overdue-status")).json()

    assert (entry.status_code, entry.headers["location"]) == (303, "/b/")
    assert page.status_code == 200
    assert 'data-source="ledger"' in page.text
    amounts = {part: Decimal(money["amount"]) for part, money in status["overdue_amounts"].items()}
    shown = {part: Decimal(amount) for part, amount in re.findall(r'data-part="(\w+)" data-amount="([\d.]+)"', page.text)}
    assert shown == amounts
    assert owed_total(page) == sum(amounts.values()) > 0
    assert f'data-days-past-due="{status["days_past_due"]}"' in page.text
    assert status["days_past_due"] == 3
    assert '<html lang="zh-CN">' in page.text  # the language the borrower's messages are written in
    assert str(system.loans["own"].loan_id) in page.text  # the loan reference to pay with
    for answer in (entry, page):
        assert token not in answer.text
        assert token not in answer.headers.get("location", "")
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["content-security-policy"] == CONSOLE_POLICY


async def test_every_bad_link_gets_one_and_the_same_refusal(system: System, database: asyncpg.Connection) -> None:
    good = system.link()
    bad = {
        "expired": system.link(expires_at=NOW - timedelta(hours=2)),
        "altered": good[:30] + ("A" if good[30] != "A" else "B") + good[31:],
        "another loan": system.link("other", borrower="B-000123"),  # the borrower's name on another's loan
        "another borrower": system.link(borrower="B-000456"),
        "unknown loan": sign(uuid.uuid4(), "B-000123", NOW + timedelta(days=7), SECRET),
        "malformed": "not-a-link",
        "truncated": good[:25],
    }
    answers = {}
    async with system.browser() as browser:
        for name, token in bad.items():
            answers[name] = await browser.get(f"/b/{token}", headers={"Accept-Language": "en"})
        assert COOKIE not in browser.cookies

    bodies = {(answer.status_code, answer.text) for answer in answers.values()}
    assert len(bodies) == 1
    status, body = bodies.pop()
    assert status == 404
    assert "This link cannot be opened" in body
    assert "How to get a new link" in body
    for answer in answers.values():
        assert "set-cookie" not in answer.headers
        assert set(answer.headers) == set(answers["malformed"].headers)
    kept = await database.fetch("SELECT status, reason, detail, path FROM refused_requests WHERE reason = 'borrower_link'")
    reasons = " ".join(row["detail"] for row in kept)
    for why in ("expired", "not_signed_for_borrower", "unknown_loan", "malformed"):
        assert why in reasons
    assert {row["path"] for row in kept} == {"/b/{token}"}
    everything = " ".join(str(dict(row)) for row in await database.fetch("SELECT * FROM refused_requests"))
    assert all(token not in everything for token in [good, *bad.values()] if len(token) > 20)


async def test_the_cookie_is_httponly_samesite_and_only_a_random_token(system: System, database: asyncpg.Connection) -> None:
    async with system.browser() as browser:
        entry = await browser.get(f"/b/{system.link()}")
    cookie = entry.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.split(";", 1)[0]
    flags = {part.strip() for part in cookie.split(";")[1:]}

    assert name == COOKIE
    assert TOKEN_PATTERN.fullmatch(value)
    assert {"Path=/", "HttpOnly", "SameSite=Lax"} <= flags
    assert "Secure" not in flags  # plain HTTP in development
    max_age = next(int(flag.removeprefix("Max-Age=")) for flag in flags if flag.startswith("Max-Age="))
    assert 0 < max_age <= 3600  # the session's longest, well within the link's 7 days
    row = await database.fetchrow(
        "SELECT loan_id, borrower_id, link_expires_at FROM borrower_sessions WHERE token_sha256 = $1",
        hashlib.sha256(value.encode()).hexdigest(),
    )
    assert row is not None
    assert (row["loan_id"], row["borrower_id"]) == (system.loans["own"].loan_id, "B-000123")
    assert row["link_expires_at"] == NOW + timedelta(days=7)
    assert await database.fetchval("SELECT count(*) FROM borrower_sessions WHERE token_sha256 = $1", value) == 0

    async with system.browser(**{"X-Forwarded-Proto": "https"}) as browser:
        secure = (await browser.get(f"/b/{system.link()}")).headers["set-cookie"]
    assert secure.startswith("__Host-tideover_borrower=")
    assert "Secure" in {part.strip() for part in secure.split(";")}


@pytest.mark.parametrize(
    "ends",
    [
        "UPDATE borrower_sessions SET last_seen_at = now() - interval '16 minutes' WHERE token_sha256 = $1",
        "UPDATE borrower_sessions SET expires_at = now() - interval '1 second' WHERE token_sha256 = $1",
        "UPDATE borrower_sessions SET link_expires_at = '2027-06-18T09:59:59Z' WHERE token_sha256 = $1",
    ],
    ids=["idle", "its own expiry", "its link's expiry by the business clock"],
)
async def test_a_session_ends_idle_at_its_expiry_or_the_links(system: System, database: asyncpg.Connection, ends: str) -> None:
    async with system.browser() as browser:
        assert (await opened(browser, system.link())).status_code == 200
        await database.execute(ends, hashlib.sha256(browser.cookies[COOKIE].encode()).hexdigest())
        ended = await browser.get("/b/", headers={"Accept-Language": "en"})
    assert ended.status_code == 403
    assert "Your visit has ended" in ended.text


async def test_a_session_ends_when_the_loan_is_another_borrowers(system: System, database: asyncpg.Connection) -> None:
    moved = system.loans["moved"]
    async with system.browser() as browser:
        assert (await opened(browser, system.link("moved"))).status_code == 200
        await database.execute("UPDATE loan_views SET borrower_id = 'B-000999' WHERE loan_id = $1", moved.loan_id)
        try:
            ended = await browser.get("/b/")
            again = await browser.get(f"/b/{system.link('moved')}")  # signed for the borrower before
        finally:
            await database.execute("UPDATE loan_views SET borrower_id = $2 WHERE loan_id = $1", moved.loan_id, "B-000789")
    assert ended.status_code == 403
    assert again.status_code == 404


async def test_leaving_ends_the_session_and_a_copy_of_the_cookie(system: System) -> None:
    async with system.browser() as browser, system.browser() as copy:
        page = await opened(browser, system.link())
        copy.cookies.set(COOKIE, browser.cookies[COOKIE])
        assert (await copy.get("/b/")).status_code == 200
        csrf = CSRF.search(page.text)
        assert csrf is not None
        refused = await browser.post("/b/leave", data={"csrf": "not-the-token"})
        left = await browser.post("/b/leave", data={"csrf": csrf.group(1)})
        assert refused.status_code == 403
        assert (left.status_code, left.headers["location"]) == (303, "/b/left")
        assert "Max-Age=0" in left.headers["set-cookie"]
        assert (await copy.get("/b/")).status_code == 403
        assert (await browser.get("/b/left")).status_code == 200


async def test_the_language_switch_keeps_the_borrowers_choice(system: System) -> None:
    async with system.browser() as browser:
        page = await opened(browser, system.link())
        csrf = CSRF.search(page.text)
        assert csrf is not None
        switched = await browser.post("/b/language", data={"csrf": csrf.group(1), "lang": "zh-Hant"})
        assert (switched.status_code, switched.headers["location"]) == (303, "/b/")
        assert '<html lang="zh-Hant">' in (await browser.get("/b/")).text
        await browser.post("/b/language", data={"csrf": csrf.group(1), "lang": "xx"})  # not ours: no change
        assert '<html lang="zh-Hant">' in (await browser.get("/b/")).text


async def test_refused_links_from_one_address_are_limited_then_429_whatever_the_link(system: System) -> None:
    address = client_address()
    async with system.browser(address) as browser:
        refused = [await browser.get(f"/b/junk-{n}") for n in range(LINK_PER_CLIENT.tries)]
        over = await browser.get(f"/b/{system.link()}")  # a good link too: the limit is counted first
    async with system.browser() as elsewhere:
        good = await elsewhere.get(f"/b/{system.link()}")

    assert {answer.status_code for answer in refused} == {404}
    assert over.status_code == 429
    assert 0 < int(over.headers["retry-after"]) <= LINK_PER_CLIENT.window.total_seconds()
    assert "set-cookie" not in over.headers
    assert good.status_code == 303


async def test_expired_links_to_one_loan_are_limited_from_any_address_but_the_good_link_opens(system: System) -> None:
    expired = system.link("moved", expires_at=NOW - timedelta(hours=1))  # signed by us, for its borrower
    answers = []
    for _ in range(LINK_PER_LOAN.tries + 1):
        async with system.browser() as browser:
            answers.append(await browser.get(f"/b/{expired}"))
    async with system.browser() as browser:
        good = await browser.get(f"/b/{system.link('moved')}")
    assert [answer.status_code for answer in answers] == [404] * LINK_PER_LOAN.tries + [429]
    assert good.status_code == 303  # the loan's limit holds back refused links only


async def test_forged_links_naming_a_known_loan_do_not_lock_its_borrower_out(system: System) -> None:
    loan = system.loans["moved"]
    forged = {
        "another secret": sign(loan.loan_id, loan.borrower.borrower_id, NOW + timedelta(days=1), b"guessed" * 8),
        "another borrower": sign(loan.loan_id, "B-000001", NOW + timedelta(days=1), SECRET),
    }
    answers = []
    for _ in range(LINK_PER_LOAN.tries + 1):
        for token in forged.values():
            async with system.browser() as browser:  # many addresses: the per-address limit is not reached
                answers.append((await browser.get(f"/b/{token}")).status_code)
    async with system.browser() as browser:
        good = await browser.get(f"/b/{system.link('moved')}")
    assert set(answers) == {404}
    assert good.status_code == 303


async def test_an_ipv6_client_is_limited_by_its_64(system: System) -> None:
    prefix = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:1"
    refused = []
    for n in range(LINK_PER_CLIENT.tries):  # another address of the /64 each time, as a script may take
        async with system.browser(f"{prefix}::{n + 1:x}") as browser:
            refused.append((await browser.get(f"/b/junk-{n}")).status_code)
    async with system.browser(f"{prefix}:ffff:ffff:ffff:ffff") as browser:
        over = await browser.get(f"/b/{system.link()}")
    async with system.browser(f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:2::1") as browser:
        elsewhere = await browser.get(f"/b/{system.link()}")

    assert set(refused) == {404}
    assert over.status_code == 429
    assert elsewhere.status_code == 303


async def test_the_page_is_limited_per_address(system: System, database: asyncpg.Connection) -> None:
    address = client_address()
    async with system.browser(address) as browser:
        assert (await opened(browser, system.link())).status_code == 200
        await database.execute(  # as many requests as the limit allows, made already
            "UPDATE borrower_tries SET tries = $2 WHERE subject = $1", f"{PAGE_PER_CLIENT.scope}:{address}", PAGE_PER_CLIENT.tries
        )
        over = await browser.get("/b/")
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/b/%00"),
        ("GET", "/b/" + "A" * 5000),
        ("GET", "/b/%E2%80%AE%F0%9F%92%A5"),
        ("GET", "/b/a/b/c"),
        ("GET", "/b/static/nothing.css"),
        ("POST", "/b/" + "A" * 40),
        ("POST", "/b/language"),
        ("HEAD", "/b/"),
        ("GET", "/b"),
    ],
)
async def test_no_input_reaches_a_500(system: System, method: str, path: str) -> None:
    async with system.browser() as browser:
        answer = await browser.request(method, path)
    assert 300 <= answer.status_code < 500, (answer.status_code, answer.text[:200])
