"""The door of the agents' API (issue 17, L2 and M3): the key is checked before the body is read,
bodies are bounded per route (413 problem+json, declared or streamed), and every refused request
is kept with its reason — bounded, so that a flood cannot fill the disk.

Most cases run the API in this process on the session's Postgres (`door`), where the client's
address, the bound and its clock are the test's own and the body a test sends is seen being
read or not; a few run against the service itself."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.adapters.refusals import OVER_THE_BOUND, RefusalLog, prune
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.bootstrap import SCHEMA
from negotiation_intake.entrypoints.http import JSON_BODY_BYTES, UPLOAD_BODY_BYTES, add_routes
from tideover_runtime.clock import SystemClock
from tideover_runtime.database import create_pool
from tideover_runtime.http import build_http_app
from tideover_runtime.refusals import Budget
from tideover_runtime.service import Resources
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import hardship_application, pdf_document

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MB = 1024 * 1024
PROOF_PAGES = (b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>")
PER_CALLER, ANONYMOUS = 4, 6


class FakeMonotonic:
    """The bound's clock, moved by the test: a window is one second of it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Door:
    app: Any
    pool: asyncpg.Pool
    monotonic: FakeMonotonic

    def client(self, address: str, key: str | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000), raise_app_exceptions=False)
        headers = {"X-API-Key": key} if key else {}
        return httpx.AsyncClient(transport=transport, base_url="http://intake", headers=headers, timeout=30)

    async def kept(self, address: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch("SELECT * FROM refused_requests WHERE client = $1 ORDER BY id", address)
        return [dict(row) for row in rows]


@pytest.fixture
async def door(infrastructure: Infrastructure, intake: str) -> AsyncIterator[Door]:
    """The API in this process (the service at `intake` has migrated the schema), with a small
    bound on a clock of the test's, and a route that fails as a bug would."""
    pool = await create_pool(infrastructure.database_url, SCHEMA)
    settings = infrastructure.settings().model_copy(update={"env": "development"})
    resources = Resources(settings, pool, SystemClock(), "negotiation-intake")
    monotonic = FakeMonotonic()
    app = build_http_app("negotiation-intake", {})
    budget = Budget(per_caller=PER_CALLER, anonymous=ANONYMOUS, window_seconds=1.0)
    add_routes(app, lambda: resources, RefusalLog(lambda: resources, budget, monotonic))

    @app.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("a bug, with a secret in its message: hunter2")

    try:
        yield Door(app, pool, monotonic)
    finally:
        await pool.close()


def an_address() -> str:
    """An address of the documentation range (2001:db8::/32), 64 random bits: its rows are its own."""
    random = uuid.uuid4().hex
    return f"2001:db8:{random[0:4]}:{random[4:8]}:{random[8:12]}:{random[12:16]}::1"


class Counted:
    """A streamed body of `chunks` megabytes (no Content-Length), counting the chunks read."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.read = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.read += 1
            yield b" " * MB


async def test_a_body_without_a_key_is_not_read(door: Door) -> None:
    body = Counted(100)
    async with door.client(an_address()) as http:
        response = await http.post("/v1/applications", content=body, headers={"Content-Type": "application/json"})

    assert (response.status_code, response.headers["content-type"]) == (401, "application/problem+json")
    assert response.headers["www-authenticate"] == "ApiKey"
    assert body.read == 0


async def test_a_streamed_body_is_cut_off_at_the_routes_limit(door: Door, keys: dict[Role, str]) -> None:
    body = Counted(100)
    async with door.client(an_address(), keys[Role.AGENT]) as http:
        response = await http.post("/v1/applications", content=body, headers={"Content-Type": "application/json"})

    assert (response.status_code, response.headers["content-type"]) == (413, "application/problem+json")
    assert body.read == 1  # the first megabyte is past 64 KiB: nothing more is read


# (what, method, path, body, extra headers, the role whose key goes with it or None)
TOO_LARGE: list[tuple[str, str, str, bytes, Role | None]] = [
    ("JSON past 64 KiB", "POST", "/v1/applications", b"[" + b" " * JSON_BODY_BYTES + b"]", Role.AGENT),
    (
        "a review note past 64 KiB",
        "POST",
        f"/v1/applications/{uuid.uuid4()}/evidence/{uuid.uuid4()}/review",
        json.dumps({"verified": True, "note": "x" * JSON_BODY_BYTES}).encode(),
        Role.AGENT,
    ),
    (
        "a body on a route that takes none",
        "POST",
        f"/v1/applications/{uuid.uuid4()}/submit",
        b" " * (JSON_BODY_BYTES + 1),
        Role.AGENT,
    ),
    (
        "an upload past 10 MB and its framing",
        "POST",
        f"/v1/applications/{uuid.uuid4()}/evidence",
        b"-" * (UPLOAD_BODY_BYTES + 1),
        Role.AGENT,
    ),
    ("the borrower's endpoint, which takes no key", "POST", "/v1/borrower/confirmations", b" " * (JSON_BODY_BYTES + 1), None),
]


async def test_a_declared_body_past_the_routes_limit_is_refused_unread(door: Door, keys: dict[Role, str]) -> None:
    wrong = {}
    for what, method, path, body, role in TOO_LARGE:
        async with door.client(an_address(), keys[role] if role else None) as http:
            response = await http.request(method, path, content=body, headers={"Content-Type": "application/json"})
        if (response.status_code, response.headers["content-type"]) != (413, "application/problem+json"):
            wrong[what] = f"{response.status_code} {response.text[:200]}"
        elif response.json()["limit_bytes"] != (UPLOAD_BODY_BYTES if what.startswith("an upload") else JSON_BODY_BYTES):
            wrong[what] = response.text

    assert wrong == {}


async def test_the_service_refuses_too_large_a_body_declared_or_streamed(intake: str, keys: dict[Role, str]) -> None:
    async def streamed() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * JSON_BODY_BYTES

    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        declared = await http.post("/v1/applications", content=b" " * (JSON_BODY_BYTES + 1))
        chunked = await http.post("/v1/applications", content=streamed(), headers={"Content-Type": "application/json"})

    for response in (declared, chunked):
        assert (response.status_code, response.headers["content-type"]) == (413, "application/problem+json"), response.text


async def test_a_document_of_10_mb_still_passes_the_door(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    scan = b"<</Length %d>>\nstream\n%s\nendstream" % (10 * MB - 2048, b"\xff" * (10 * MB - 2048))
    document = pdf_document(b"<</Type/Catalog/Pages 2 0 R>>", *PROOF_PAGES, scan)  # a page and a large unused stream
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=60) as http:
        loan_id = await overdue_loan()
        opened = await http.post("/v1/applications", json=hardship_application(loan_id))
        path = f"/v1/applications/{opened.json()['application_id']}"

        stored = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": ("scan.pdf", document, "application/pdf")}
        )

    assert stored.status_code == 201, stored.text[:300]
    assert stored.json()["size_bytes"] == len(document) > 10 * MB - 2048


# (what, the request, the role whose key goes with it or None, the status, the reason kept)
Send = Callable[[httpx.AsyncClient], Any]
REFUSALS: list[tuple[str, Send, Role | str | None, int, str]] = [
    ("no key", lambda http: http.get("/v1/applications"), None, 401, "Missing API key: send it in X-API-Key"),
    ("an unknown key", lambda http: http.get("/v1/applications"), "tdo_0123456789ab_madeup", 401, "Unknown or revoked API key"),
    ("a role without the right", lambda http: http.get("/v1/audit"), Role.AGENT, 403, "A agent may not audit"),
    ("invalid input", lambda http: http.post("/v1/applications", json={}), Role.AGENT, 422, "Invalid request"),
    (
        "JSON that does not parse",
        lambda http: http.post("/v1/applications", content=b"{", headers={"Content-Type": "application/json"}),
        Role.AGENT,
        422,
        "Invalid request",
    ),
    (
        "a multipart body without its boundary",
        lambda http: http.post(
            f"/v1/applications/{uuid.uuid4()}/evidence", content=b"x", headers={"Content-Type": "multipart/form-data"}
        ),
        Role.AGENT,
        400,
        "Missing boundary in multipart.",
    ),
    ("nothing by that id", lambda http: http.get(f"/v1/applications/{uuid.uuid4()}"), Role.AGENT, 404, "Not found"),
    ("no such route", lambda http: http.get("/v1/nowhere"), Role.AGENT, 404, "Not Found"),
    ("a NUL in the path", lambda http: http.get("/v1/nowhere%00"), Role.AGENT, 404, "Not Found"),
    (
        "too large a body",
        lambda http: http.post("/v1/applications", content=b" " * (JSON_BODY_BYTES + 1)),
        Role.AGENT,
        413,
        "Content Too Large",
    ),
    ("a server error", lambda http: http.get("/v1/broken"), Role.AGENT, 500, "Internal server error"),
]


@pytest.mark.parametrize(("what", "send", "caller", "status", "reason"), REFUSALS, ids=[what for what, *_ in REFUSALS])
async def test_a_refused_request_is_kept_with_its_reason(
    door: Door, keys: dict[Role, str], what: str, send: Send, caller: Role | str | None, status: int, reason: str
) -> None:
    address = an_address()
    key = keys[caller] if isinstance(caller, Role) else caller
    async with door.client(address, key) as http:
        response = await send(http)

    assert (response.status_code, response.headers["content-type"]) == (status, "application/problem+json")
    assert "hunter2" not in response.text
    rows = await door.kept(address)
    assert len(rows) == 1, rows
    [kept] = rows
    assert (kept["status"], kept["reason"], kept["method"], kept["path"]) == (
        status,
        reason,
        response.request.method,
        response.request.url.path.replace("\x00", "\ufffd"),
    )
    assert kept["role"] == (caller.value if isinstance(caller, Role) else None)
    assert kept["key_id"] == (None if caller is None else (key or "").split("_")[1])
    assert (kept["agent_id"] is not None) == isinstance(caller, Role)


async def test_a_refused_change_is_in_the_audit_log_and_not_kept_twice(door: Door, keys: dict[Role, str]) -> None:
    address, application_id = an_address(), uuid.uuid4()
    async with door.client(address, keys[Role.AGENT]) as http:
        response = await http.post(f"/v1/applications/{application_id}/submit")

    assert response.status_code == 404
    assert await door.kept(address) == []
    audited = await door.pool.fetchval("SELECT count(*) FROM audit_log WHERE application_id = $1", application_id)
    assert audited == 1


async def test_a_flood_is_kept_within_the_bound_and_counted(door: Door) -> None:
    flooding, others = an_address(), [an_address() for _ in range(10)]
    async with door.client(flooding) as http:
        answers = [(await http.get("/v1/applications")).status_code for _ in range(50)]
    for address in others:
        async with door.client(address) as http:
            await http.get("/v1/applications")

    assert answers == [401] * 50  # the bound is on what is kept, never on the answer
    assert len(await door.kept(flooding)) == PER_CALLER
    kept_others = sum([len(await door.kept(address)) for address in others])
    assert kept_others == ANONYMOUS - PER_CALLER  # unauthenticated callers share one bound
    for _ in range(50):  # the summary is written once the window (a second) is over
        await asyncio.sleep(0.1)
        query = "SELECT * FROM refused_requests WHERE reason = $1 AND detail LIKE $2"
        if summary := await door.pool.fetchrow(query, OVER_THE_BOUND, f"%address {flooding}: 46%"):
            break
    assert summary is not None
    assert summary["dropped"] == 50 - PER_CALLER + 10 - (ANONYMOUS - PER_CALLER)
    assert summary["status"] is None


async def test_an_auditor_reads_what_was_kept(door: Door, intake: str, keys: dict[Role, str]) -> None:
    address = an_address()
    async with door.client(address, "tdo_0123456789ab_madeup") as http:
        await http.get("/v1/loans/not-a-loan")
    [kept] = await door.kept(address)

    async with httpx.AsyncClient(base_url=intake, timeout=30) as http:
        page, items = None, list[dict[str, Any]]()
        while not any(item["id"] == kept["id"] for item in items):
            params = {"limit": 200, **({"after": page} if page else {})}
            answer = await http.get("/v1/audit/refusals", params=params, headers={"X-API-Key": keys[Role.SUPERVISOR]})
            items, page = answer.json()["items"], answer.json()["after"]
            assert page or any(item["id"] == kept["id"] for item in items)
        refused = await http.get("/v1/audit/refusals", headers={"X-API-Key": keys[Role.AGENT]})

    item = next(item for item in items if item["id"] == kept["id"])
    assert (item["status"], item["reason"], item["client"]) == (401, "Unknown or revoked API key", address)
    assert item["key_id"] == "0123456789ab"
    assert refused.status_code == 403


async def test_rows_are_kept_90_days_unchanged_then_pruned(door: Door) -> None:
    address = an_address()
    insert = "INSERT INTO refused_requests (at, recorded_at, status, reason, client) VALUES (now(), $1, 401, 'x', $2)"
    async with door.pool.acquire() as connection:
        await connection.execute(insert, await connection.fetchval("SELECT now() - interval '91 days'"), address)
        await connection.execute(insert, await connection.fetchval("SELECT now() - interval '89 days'"), address)
        with pytest.raises(asyncpg.RaiseError, match="kept unchanged for 90 days"):
            await connection.execute("UPDATE refused_requests SET reason = 'changed' WHERE client = $1", address)
        with pytest.raises(asyncpg.RaiseError, match="kept unchanged for 90 days"):
            await connection.execute("DELETE FROM refused_requests WHERE client = $1", address)

        assert await prune(connection) >= 1
    assert len(await door.kept(address)) == 1
