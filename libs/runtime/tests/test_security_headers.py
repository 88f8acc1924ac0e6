"""Every answer of every service carries the browser's security headers (issue 17, M6): a tiny
service built the way each service's HTTP face is built (`build_http_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from tideover_runtime.http import build_http_app
from tideover_runtime.security_headers import API_POLICY, DOCS_POLICY

OWN_POLICY = "default-src 'self'; frame-ancestors 'self'"


async def ready() -> bool:
    return True


def tiny_service() -> FastAPI:
    app = build_http_app("tiny", {"always": ready})

    @app.get("/v1/things/{number}")
    async def thing(number: int) -> dict[str, int]:
        return {"number": number}

    @app.get("/v1/broken")
    async def broken() -> dict[str, int]:
        raise RuntimeError("a bug")

    @app.get("/framed", include_in_schema=False)
    async def framed() -> HTMLResponse:
        return HTMLResponse("<p>shown inside a page of ours</p>", headers={"Content-Security-Policy": OWN_POLICY})

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=tiny_service(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        yield client


def assert_protected(response: httpx.Response, policy: str = API_POLICY) -> None:
    assert response.headers["content-security-policy"] == policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/v1/things/7", "/healthz", "/readyz", "/metrics", "/openapi.json"])
async def test_json_and_health_answers_carry_the_headers_and_still_answer(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert_protected(response)


async def test_the_health_answer_is_unchanged(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/v1/things/7")).json() == {"number": 7}


@pytest.mark.parametrize(("path", "status"), [("/v1/things/seven", 422), ("/nowhere", 404)])
async def test_refusals_carry_the_headers_too(client: httpx.AsyncClient, path: str, status: int) -> None:
    response = await client.get(path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert_protected(response)


async def test_an_unexpected_error_carries_the_headers_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/broken")

    assert response.status_code == 500
    assert_protected(response)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_api_docs_may_load_their_cdn_assets_and_nothing_else(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert_protected(response, DOCS_POLICY)
    assert "frame-ancestors 'none'" in DOCS_POLICY
    assert "https://cdn.jsdelivr.net" in DOCS_POLICY


async def test_a_policy_the_answer_sets_itself_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/framed")

    assert response.headers["content-security-policy"] == OWN_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get_list("content-security-policy") == [OWN_POLICY]
