"""The console on the running service, as issue 17 probed it: a cookie saved before sign-out opens
nothing after it (M5), a revoked key or an idle session signs the agent out, every page and API
answer carries the browser's security headers (M6), and what the probe sent for a 500 is a 4xx
page or is ignored (M1)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.adapters import api_keys
from negotiation_intake.adapters.console_sessions import TOKEN_PATTERN
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.bootstrap import SCHEMA
from negotiation_intake.entrypoints.console import CONSOLE_POLICY
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_runtime.security_headers import API_POLICY
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import PROOF_PDF, hardship_application

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

#: TIDEOVER_ENV=development in the test harness: plain HTTP, so no Secure and no __Host- prefix.
COOKIE = "tideover_console"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SIGN_IN = "/console/sign-in"

Browser = Callable[..., Awaitable[httpx.AsyncClient]]


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


@pytest.fixture
async def browser(intake: str) -> AsyncIterator[Browser]:
    """Opens a browser on the console: signed in with `key`, or holding `cookie` as given."""
    async with AsyncExitStack() as stack:

        async def open_browser(key: str | None = None, cookie: str | None = None) -> httpx.AsyncClient:
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=f"{intake}/console", timeout=10))
            if cookie is not None:
                client.cookies.set(COOKIE, cookie)
            if key is not None:
                signed_in = await client.post("/sign-in", data={"csrf": csrf_of(await client.get("/sign-in")), "api_key": key})
                assert signed_in.status_code == 303, signed_in.text
            return client

        yield open_browser


@pytest.fixture
async def database(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(infrastructure.database_url, server_settings={"search_path": SCHEMA})
    try:
        yield connection
    finally:
        await connection.close()


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].endswith(SIGN_IN)


async def test_the_cookie_is_only_a_random_token_naming_a_stored_session(
    browser: Browser, keys: dict[Role, str], database: asyncpg.Connection
) -> None:
    agent = await browser(keys[Role.AGENT])
    token = agent.cookies[COOKIE]
    key_id = keys[Role.AGENT].split("_")[1]

    assert TOKEN_PATTERN.fullmatch(token)
    assert key_id not in token
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert await database.fetchval("SELECT key_id FROM console_sessions WHERE token_sha256 = $1", digest) == key_id
    assert await database.fetchval("SELECT count(*) FROM console_sessions WHERE token_sha256 = $1", token) == 0


async def test_the_cookie_is_httponly_and_samesite(browser: Browser, keys: dict[Role, str]) -> None:
    visitor = await browser()
    page = await visitor.get("/sign-in")
    answer = await visitor.post("/sign-in", data={"csrf": csrf_of(page), "api_key": keys[Role.AGENT]})

    for response in (page, answer):
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert {"Path=/", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}


async def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(browser: Browser, keys: dict[Role, str]) -> None:
    agent = await browser(keys[Role.AGENT])
    copy = await browser(cookie=agent.cookies[COOKIE])
    assert (await copy.get("/")).status_code == 200

    queue = await agent.get("/")
    answer = await agent.post("/sign-out", data={"csrf": csrf_of(queue)})

    assert signed_out(answer)
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert signed_out(await copy.get("/"))
    assert signed_out(await agent.get("/"))


async def test_signing_in_replaces_the_visitors_session(browser: Browser, keys: dict[Role, str]) -> None:
    visitor = await browser()
    page = await visitor.get("/sign-in")
    before = visitor.cookies[COOKIE]
    await visitor.post("/sign-in", data={"csrf": csrf_of(page), "api_key": keys[Role.AGENT]})

    assert visitor.cookies[COOKIE] != before
    planted = await browser(cookie=before)  # a session fixed on the agent before sign-in signs nobody in
    assert signed_out(await planted.get("/"))
    assert (await visitor.get("/")).status_code == 200


async def test_revoking_an_agents_key_ends_their_sessions(
    browser: Browser, infrastructure: Infrastructure, database: asyncpg.Connection
) -> None:
    key = await issue_key(infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    laptop, phone = await browser(key), await browser(key)
    assert (await laptop.get("/")).status_code == 200

    assert await api_keys.revoke_key(database, key.split("_")[1])

    assert signed_out(await laptop.get("/"))
    assert signed_out(await phone.get("/"))


@pytest.mark.parametrize(
    ("column", "moved_to"), [("last_seen_at", "now() - interval '31 minutes'"), ("expires_at", "now() - interval '1 second'")]
)
async def test_an_idle_or_expired_session_signs_the_agent_out(
    browser: Browser, keys: dict[Role, str], database: asyncpg.Connection, column: str, moved_to: str
) -> None:
    agent = await browser(keys[Role.AGENT])
    digest = hashlib.sha256(agent.cookies[COOKIE].encode()).hexdigest()

    await database.execute(f"UPDATE console_sessions SET {column} = {moved_to} WHERE token_sha256 = $1", digest)

    assert signed_out(await agent.get("/"))


async def test_the_language_is_kept_through_sign_in(browser: Browser, keys: dict[Role, str]) -> None:
    visitor = await browser()
    page = await visitor.get("/sign-in")
    await visitor.post("/language", data={"csrf": csrf_of(page), "lang": "zh-CN", "next": SIGN_IN})
    page = await visitor.get("/sign-in")
    await visitor.post("/sign-in", data={"csrf": csrf_of(page), "api_key": keys[Role.AGENT]})

    assert 'lang="zh-CN"' in (await visitor.get("/")).text


def assert_protected(response: httpx.Response, policy: str) -> None:
    assert response.headers["content-security-policy"] == policy, response.url
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


async def test_every_console_page_and_api_answer_carries_the_security_headers(
    browser: Browser, intake: str, keys: dict[Role, str], overdue_loan: Any
) -> None:
    loan_id = await overdue_loan()
    agent = await browser(keys[Role.AGENT])
    pages = {
        "sign-in": await (await browser()).get("/sign-in"),
        "queue": await agent.get("/"),
        "loan": await agent.get(f"/loans/{loan_id}"),
        "not found": await agent.get(f"/loans/{uuid.uuid4()}"),
        "no csrf": await agent.post("/sign-out", data={}),
    }
    for name, response in pages.items():
        assert response.headers["content-type"].startswith("text/html"), name
        assert_protected(response, CONSOLE_POLICY)
    assert "'unsafe-inline'" not in CONSOLE_POLICY
    assert "frame-ancestors 'none'" in CONSOLE_POLICY

    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as api:
        for response in (await api.get(f"/v1/loans/{loan_id}"), await api.get("/v1/loans/nope"), await api.get("/healthz")):
            assert response.status_code < 500
            assert_protected(response, API_POLICY)
        assert (await api.get("/healthz")).json() == {"status": "ok"}


async def test_a_document_is_framed_by_the_console_alone(
    browser: Browser, intake: str, keys: dict[Role, str], overdue_loan: Any
) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as api:
        opened = await api.post("/v1/applications", json=hardship_application(await overdue_loan()))
        application_id = opened.json()["application_id"]
        files = {"file": ("proof.pdf", PROOF_PDF, "application/pdf")}
        uploaded = await api.post(f"/v1/applications/{application_id}/evidence", data={"kind": "income_proof"}, files=files)
    agent = await browser(keys[Role.AGENT])

    document = await agent.get(f"/applications/{application_id}/evidence/{uploaded.json()['document_id']}")

    assert document.status_code == 200
    assert document.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert document.headers["x-frame-options"] == "SAMEORIGIN"
    assert document.headers["x-content-type-options"] == "nosniff"


# (what, the request in the console, the status it gets) — each gave a 500 in issue 17's probe.
BAD_REQUESTS: list[tuple[str, str, str, dict[str, str] | None, int]] = [
    ("a page number in superscript", "agent", "/?page=²", None, 200),
    ("days overdue in superscript", "agent", "/?min_dpd=²", None, 200),
    ("a page past any integer", "agent", "/?page=100000000000000000000", None, 200),
    ("days overdue past int4", "agent", "/?min_dpd=1000000000000", None, 200),
    ("a NUL in the search", "agent", "/?q=a%00b", None, 200),
    ("only a NUL in the search", "agent", "/?q=%00", None, 200),
    ("a 17-digit supervisor cursor", "supervisor", f"/supervisor?after=99999999999999999_{uuid.uuid4().hex}", None, 200),
    ("a loan that is not a UUID", "agent", "/loans/not-a-loan", None, 404),
    ("a NUL in the sign-in key", "visitor", "/sign-in", {"api_key": "tdo_abc\x00def_ghi"}, 401),
    # Refused by the door before the page reads it (64 KiB at most but an upload), as the API's.
    ("a 100 kB sign-in key", "visitor", "/sign-in", {"api_key": "tdo_" + "x" * 100_000}, 413),
    ("a CSRF token that is not ASCII", "agent", "/sign-out", {"csrf": "é"}, 403),
]


async def test_what_gave_a_500_is_a_4xx_page_or_ignored(browser: Browser, keys: dict[Role, str]) -> None:
    people = {
        "agent": await browser(keys[Role.AGENT]),
        "supervisor": await browser(keys[Role.SUPERVISOR]),
        "visitor": await browser(),
    }
    wrong = {}
    for what, who, path, form, status in BAD_REQUESTS:
        client = people[who]
        if form is None:
            response = await client.get(path)
        else:
            csrf = {"csrf": csrf_of(await client.get("/sign-in" if who == "visitor" else "/"))}
            response = await client.post(path, data={**csrf, **form})
        # The door's 413 answers before any page runs, with the console's own error page.
        if response.status_code != status or not response.headers["content-type"].startswith("text/html"):
            wrong[what] = f"{response.status_code} {response.headers['content-type']}: {response.text[:200]}"

    assert wrong == {}
    assert (await people["agent"].get("/")).status_code == 200  # the agent is still signed in
