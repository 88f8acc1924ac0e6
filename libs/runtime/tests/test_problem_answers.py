"""Every service answers an error as RFC 9457 problem+json (DESIGN.md §5), an unexpected one too:
a 500 says nothing of what went wrong (issue 17, M1). A tiny service built the way each
service's HTTP face is built (`build_http_app`)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tideover_runtime.http import build_http_app

SECRET_DETAIL = "password=hunter2 in /srv/tideover/handlers.py line 42"


async def ready() -> bool:
    return True


def tiny_service() -> FastAPI:
    app = build_http_app("tiny", {"always": ready})

    @app.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/v1/things/{number}")
    async def thing(number: int) -> dict[str, int]:
        return {"number": number}

    return app


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/v1/broken", 500, "Internal server error"),
        ("/v1/things/one", 422, "Invalid request"),
        ("/v1/nothing-here", 404, "Not Found"),
    ],
)
async def test_an_error_is_a_problem_document(path: str, status: int, title: str) -> None:
    # The transport hands the answer back, as a server does, rather than raising the error again.
    transport = httpx.ASGITransport(app=tiny_service(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        response = await client.get(path)

    assert (response.status_code, response.headers["content-type"]) == (status, "application/problem+json")
    assert response.json()["title"] == title
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
