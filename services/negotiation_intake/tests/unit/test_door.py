"""The door (issue 17, L2 and M3) around a tiny API, with a key check and a refusal log of the
test's own: the key is checked before the body is read, bodies are bounded, and each refused
answer is handed to the log once — unless the audit log has the request already."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from starlette.middleware import Middleware

from negotiation_intake.adapters.refusals import Refusal, RefusalLog, note_audited
from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.borrower_page.need_help import MAX_FILES
from negotiation_intake.entrypoints.door import Door
from negotiation_intake.entrypoints.http import JSON_BODY_BYTES, UPLOAD_BODY_BYTES, body_limit
from tideover_runtime.clock import SystemClock
from tideover_runtime.http import build_http_app

LIMIT = 1000
AGENT = Agent(agent_id="agent-7", role=Role.AGENT, key_id="0123456789ab")


class Kept(RefusalLog):
    """The refusals the door hands over, in a list."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    async def record(self, refusal: Refusal) -> None:
        self.refusals.append(refusal)


async def authenticate(request: Request) -> Agent:
    if request.headers.get("x-api-key") != "good":
        raise HTTPException(401, "Unknown or revoked API key", headers={"WWW-Authenticate": "ApiKey"})
    return AGENT


class Thing(BaseModel):
    name: str


def tiny_api(kept: Kept) -> FastAPI:
    app = build_http_app("tiny", {})

    @app.post("/v1/things")
    async def make(thing: Thing, request: Request) -> dict[str, Any]:
        agent = request.scope["state"]["agent"]
        return {"name": thing.name, "by": agent.agent_id}

    @app.post("/v1/audited")
    async def audited() -> None:
        note_audited()
        raise HTTPException(409, "Refused by a rule, and in the audit log")

    @app.post("/v1/open")
    async def open_to_all(thing: Thing) -> dict[str, str]:
        return {"name": thing.name}

    @app.post("/b/help")
    async def a_page_form(thing: Thing) -> dict[str, str]:
        return {"name": thing.name}

    @app.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("hunter2")

    door = Middleware(
        Door,
        authenticate=authenticate,
        refusals=kept,
        clock=SystemClock,
        body_limit=lambda *_: LIMIT,
        open_paths=frozenset({"/v1/open"}),
    )
    app.user_middleware.append(door)
    return app


@pytest.fixture
def kept() -> Kept:
    return Kept()


@pytest.fixture
async def http(kept: Kept) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tiny_api(kept), client=("203.0.113.9", 5000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        yield client


class Counted:
    """A streamed body of `chunks` × 600 bytes (no Content-Length), counting the chunks read."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.read = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.read += 1
            yield b" " * 600


async def test_without_a_key_the_body_is_not_read(http: httpx.AsyncClient, kept: Kept) -> None:
    body = Counted(1000)
    response = await http.post("/v1/things", content=body, headers={"Content-Type": "application/json"})

    assert (response.status_code, response.headers["www-authenticate"], body.read) == (401, "ApiKey", 0)
    assert [(r.status, r.reason, r.agent_id, r.client, r.path) for r in kept.refusals] == [
        (401, "Unknown or revoked API key", None, "203.0.113.9", "/v1/things")
    ]


async def test_the_caller_goes_through_to_the_route(http: httpx.AsyncClient, kept: Kept) -> None:
    response = await http.post("/v1/things", json={"name": "a"}, headers={"X-API-Key": "good"})

    assert (response.status_code, response.json()) == (200, {"name": "a", "by": "agent-7"})
    assert kept.refusals == []


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/v1/things", {"X-API-Key": "good"}), ("/v1/open", {}), ("/b/help", {})],
    ids=["with a key", "an open route", "a page's form, not under the API"],
)
async def test_a_body_past_the_limit_is_refused(http: httpx.AsyncClient, kept: Kept, path: str, headers: dict[str, str]) -> None:
    streamed = Counted(1000)
    declared = await http.post(path, content=b" " * (LIMIT + 1), headers={"Content-Type": "application/json", **headers})
    chunked = await http.post(path, content=streamed, headers={"Content-Type": "application/json", **headers})
    within = await http.post(path, json={"name": "x" * (LIMIT - 20)}, headers=headers)

    assert (declared.status_code, declared.headers["content-type"], declared.json()["limit_bytes"]) == (
        413,
        "application/problem+json",
        LIMIT,
    )
    assert (chunked.status_code, chunked.headers["content-type"], streamed.read) == (413, "application/problem+json", 2)
    assert within.status_code == 200
    assert [refusal.status for refusal in kept.refusals] == [413, 413]


async def test_each_refusal_is_handed_over_once_with_its_reason(http: httpx.AsyncClient, kept: Kept) -> None:
    key = {"X-API-Key": "good"}
    answers = [
        await http.post("/v1/things", json={"name": 7}, headers=key),
        await http.get("/v1/broken", headers=key),
        await http.get("/v1/missing", headers=key),
        await http.get("/nowhere"),
        await http.post("/v1/audited", headers=key),  # in the audit log already: not handed over
        await http.get("/healthz"),
    ]

    assert [answer.status_code for answer in answers] == [422, 500, 404, 404, 409, 200]
    assert "hunter2" not in answers[1].text
    assert [(r.status, r.reason, r.method, r.path, r.agent_id, r.key_id) for r in kept.refusals] == [
        (422, "Invalid request", "POST", "/v1/things", "agent-7", "0123456789ab"),
        (500, "Internal server error", "GET", "/v1/broken", "agent-7", "0123456789ab"),
        (404, "Not Found", "GET", "/v1/missing", "agent-7", "0123456789ab"),
        (404, "Not Found", "GET", "/nowhere", None, None),
    ]
    assert (kept.refusals[0].detail, kept.refusals[1].detail) == ("name: Input should be a valid string", "RuntimeError")


async def test_a_refused_key_is_kept_by_its_id_never_its_secret(http: httpx.AsyncClient, kept: Kept) -> None:
    await http.get("/v1/things", headers={"X-API-Key": "tdo_a1b2c3d4e5f6_the-secret-part"})
    await http.get("/v1/things", headers={"X-API-Key": "not-a-key-at-all"})

    assert [(refusal.key_id, refusal.agent_id) for refusal in kept.refusals] == [("a1b2c3d4e5f6", None), (None, None)]
    assert "the-secret-part" not in repr(kept.refusals)


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("POST", "/v1/applications/a1/evidence", UPLOAD_BODY_BYTES),
        ("POST", "/console/applications/a1/evidence", UPLOAD_BODY_BYTES),
        ("POST", "/b/help", MAX_FILES * MAX_BYTES + 64 * 1024),
        ("POST", "/b/help/code", JSON_BODY_BYTES),
        ("POST", "/console/sign-in", JSON_BODY_BYTES),
        ("POST", "/v1/applications", JSON_BODY_BYTES),
    ],
)
def test_every_body_is_bounded_an_upload_by_what_it_may_carry(method: str, path: str, limit: int) -> None:
    assert body_limit(method, path) == limit
