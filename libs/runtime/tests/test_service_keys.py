"""Service keys (tideover_runtime.service_keys, service_auth): the key's form and hash, the one
rule of who may do what, and a query route's guard — 401 problem+json with WWW-Authenticate
without a key or with an unknown or revoked one, 403 for a role without the route's right, the
refusal logged with the key's id and never its secret; health and metrics stay open."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from tideover_runtime.http import build_http_app
from tideover_runtime.service_auth import guard, requires
from tideover_runtime.service_keys import (
    RIGHTS,
    CallerRole,
    Right,
    ServiceCaller,
    authenticate,
    digest,
    key_header,
    may,
    new_key,
    parse,
)
from tideover_runtime.service_keys_cli import read_keys, write_keys


class FakeConnection:
    """The service_keys table of one schema: key id → (secret_sha256, caller, role), active ones."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}
        self.asked = 0

    def add(self, role: str, caller: str = "test-caller") -> str:
        key = new_key()
        self.rows[key.key_id] = {"secret_sha256": digest(key.secret), "caller": caller, "role": role}
        return key.token

    async def fetchrow(self, _: str, key_id: str) -> dict[str, str] | None:
        self.asked += 1
        return self.rows.get(key_id)


class FakePool:
    def __init__(self, connection: FakeConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeConnection]:
        yield self.connection


# The key ------------------------------------------------------------------------------------


def test_a_key_is_its_id_and_a_32_byte_secret_of_which_only_the_sha256_is_kept() -> None:
    key = new_key()
    prefix, key_id, secret = key.token.split("_", 2)
    assert (prefix, key_id, secret) == ("tsk", key.key_id, key.secret)
    assert len(key.key_id) == 12
    assert len(key.secret) >= 43  # 32 bytes, URL-safe base64
    assert parse(key.token) == (key.key_id, key.secret)
    assert digest(key.secret) == hashlib.sha256(key.secret.encode()).hexdigest()
    assert key.secret not in repr(key)
    assert new_key() != new_key()


@pytest.mark.parametrize(
    "presented",
    [
        *("", "tsk", "tsk_abc", "tsk_abc_", "tdo_abc_secret", "tsk__secret"),
        *("tsk_a-b_secret", "tsk_ABC_secret", "tsk_" + "a" * 33 + "_secret"),
    ],
)
def test_a_key_not_of_our_form_is_not_parsed(presented: str) -> None:
    assert parse(presented) is None


async def test_a_key_authenticates_its_caller_and_a_wrong_secret_or_an_unknown_id_nobody() -> None:
    connection = FakeConnection()
    token = connection.add(CallerRole.OPERATOR, caller="support-desk")
    key_id = token.split("_")[1]

    assert await authenticate(connection, token) == ServiceCaller(key_id, "support-desk", "operator")  # type: ignore[arg-type]
    assert await authenticate(connection, token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # type: ignore[arg-type]
    assert await authenticate(connection, new_key().token) is None  # type: ignore[arg-type]
    asked = connection.asked
    assert await authenticate(connection, "not-a-key") is None  # type: ignore[arg-type]
    assert connection.asked == asked  # a malformed key is not looked up


# The rule -----------------------------------------------------------------------------------


def test_negotiation_intake_may_read_everything_and_quote() -> None:
    assert all(may(CallerRole.NEGOTIATION_INTAKE, right) for right in Right)


def test_an_operator_may_read_but_not_quote() -> None:
    assert [right for right in Right if may(CallerRole.OPERATOR, right)] == [
        Right.READ_LEDGER,
        Right.READ_CONTACT_LOG,
        Right.READ_PLANS,
    ]
    assert not may(CallerRole.OPERATOR, Right.QUOTE)


def test_a_role_the_rule_does_not_name_may_do_nothing() -> None:
    assert set(RIGHTS) == set(CallerRole)
    assert not any(may("retired-role", right) for right in Right)


# The guard ----------------------------------------------------------------------------------


def guarded_app(connection: FakeConnection) -> Any:
    app = build_http_app("test-service", {})
    guard(app, lambda: FakePool(connection))  # type: ignore[arg-type,return-value]

    @app.get("/v1/plans/{plan_id}", dependencies=[requires(Right.READ_PLANS)])
    async def plan(plan_id: str) -> dict[str, str]:
        return {"plan_id": plan_id}

    @app.post("/v1/quotes", dependencies=[requires(Right.QUOTE)])
    async def quote() -> dict[str, str]:
        return {"quoted": "yes"}

    return app


@asynccontextmanager
async def client(connection: FakeConnection) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=guarded_app(connection))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        yield http


def assert_unauthorized(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
    assert response.json()["title"] == detail


async def test_without_a_key_a_query_is_401_and_the_refusal_logged() -> None:
    async with client(FakeConnection()) as http:
        with capture_logs() as logs:
            response = await http.get("/v1/plans/p-1")
    assert_unauthorized(response, "Missing service key: send it in X-Service-Key")
    assert [(log["event"], log["status"], log["reason"], log["path"]) for log in logs] == [
        ("query refused", 401, "Missing service key: send it in X-Service-Key", "/v1/plans/p-1")
    ]


async def test_an_unknown_or_revoked_key_is_401_logged_with_its_id_and_never_its_secret() -> None:
    connection = FakeConnection()
    token = connection.add(CallerRole.OPERATOR)
    key_id, secret = parse(token)  # type: ignore[misc]
    del connection.rows[key_id]  # revoked: no longer an active row
    async with client(connection) as http:
        with capture_logs() as logs:
            responses = [await http.get("/v1/plans/p-1", headers=key_header(presented)) for presented in (token, "garbage")]
    for response in responses:
        assert_unauthorized(response, "Unknown or revoked service key")
    assert [log["key_id"] for log in logs] == [key_id, None]
    assert secret not in repr(logs)


async def test_a_role_without_the_routes_right_is_403_and_with_it_200() -> None:
    connection = FakeConnection()
    operator = connection.add(CallerRole.OPERATOR, caller="support-desk")
    intake = connection.add(CallerRole.NEGOTIATION_INTAKE)
    async with client(connection) as http:
        with capture_logs() as logs:
            refused = await http.post("/v1/quotes", headers=key_header(operator))
        read = await http.get("/v1/plans/p-1", headers=key_header(operator))
        quoted = await http.post("/v1/quotes", headers=key_header(intake))

    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "A caller of role operator may not quote"
    [log] = logs
    _, key_id, secret = operator.split("_", 2)
    assert (log["caller"], log["role"], log["reason"], log["key_id"]) == (
        "support-desk",
        "operator",
        "A caller of role operator may not quote",
        key_id,
    )
    assert secret not in repr(logs)
    assert (read.status_code, read.json()) == (200, {"plan_id": "p-1"})
    assert (quoted.status_code, quoted.json()) == (200, {"quoted": "yes"})


async def test_health_and_metrics_stay_open() -> None:
    async with client(FakeConnection()) as http:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await http.get(path)).status_code == 200, path


async def test_the_openapi_document_names_the_key_header() -> None:
    async with client(FakeConnection()) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Service-Key",
        "description": "The calling service's key (tsk_…), made by tideover-service-keys",
    }


# Local development's key file ---------------------------------------------------------------


def test_the_local_key_file_is_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "var" / "service-keys.env"
    keys = {"TIDEOVER_INTAKE_SERVICE_KEY": new_key().token, "TIDEOVER_OPERATOR_SERVICE_KEY": new_key().token}
    write_keys(path, keys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_keys(path) == keys
    assert read_keys(tmp_path / "missing.env") == {}
