"""The HTTP face every service has: /healthz, /readyz, /metrics, and RFC 9457 errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Lifespan

from tideover_runtime.security_headers import DOCS_PATHS, DOCS_POLICY, SecurityHeaders

PROBLEM_JSON = "application/problem+json"


class ProblemOut(BaseModel):
    """RFC 9457 problem details, as every service answers a refusal; `rule` names the rule that
    refused the request, `errors` the fields."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    rule: str | None = None


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem+json answer."""
    return {"description": description, "model": ProblemOut, "content": {PROBLEM_JSON: {}}}


#: The most loans one request of a batch read may name (the console's work queue asks for a page
#: of 25).
MAX_LOANS_PER_REQUEST = 100
#: The loans a batch read answers for: `?loan_id=…&loan_id=…`.
LoanIds = Annotated[
    list[uuid.UUID],
    Query(
        alias="loan_id",
        min_length=1,
        max_length=MAX_LOANS_PER_REQUEST,
        description=f"A loan to answer for, repeated for each (1 to {MAX_LOANS_PER_REQUEST}; a repeated id is answered once)",
    ),
]
#: A batch read's answer to too few, too many or malformed loan ids, for its OpenAPI `responses`.
TOO_MANY_LOANS: dict[int | str, dict[str, Any]] = {
    422: problem_response(f"No loan_id, more than {MAX_LOANS_PER_REQUEST}, or one not a UUID (`errors`)")
}


ReadinessCheck = Callable[[], Awaitable[bool]]
#: /readyz answers within this even when a check hangs (a check that overruns counts as failed).
READINESS_BOUND_SECONDS = 3.0


def problem_body(status: int, title: str, detail: str | None = None, **extensions: Any) -> dict[str, Any]:
    """An RFC 9457 problem document: every refusal of every service is built here."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return body


def problem(status: int, title: str, detail: str | None = None, **extensions: Any) -> JSONResponse:
    """A problem document as the answer (problem_body)."""
    return JSONResponse(problem_body(status, title, detail, **extensions), status_code=status, media_type=PROBLEM_JSON)


def field_name(loc: Sequence[int | str]) -> str:
    """The field an error names, dotted (`hardship.monthly_income`); a query, path or header
    parameter keeps where it came from (`query.limit`); the body as a whole is `body`."""
    steps = [str(step) for step in loc[1:]] if loc and loc[0] == "body" else [str(step) for step in loc]
    return ".".join(steps) or "body"


def add_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": field_name(item["loc"]), "message": item["msg"]} for item in error.errors()]
        detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        response = problem(error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, __: Exception) -> JSONResponse:
        # What went wrong stays in the log (Starlette raises the error again once this is sent),
        # never in the answer.
        return problem(500, "Internal server error")


class ServiceApp(FastAPI):
    """A service's app: the security headers go on every answer, outside even the handler of
    unexpected errors (which Starlette runs outside any middleware added with add_middleware)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), by_path=dict.fromkeys(DOCS_PATHS, DOCS_POLICY))


def build_http_app(title: str, readiness: dict[str, ReadinessCheck], *, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """A service's HTTP face: health, readiness, metrics and problem answers; `lifespan` starts
    and stops what runs beside it (tideover_runtime.service)."""
    app = ServiceApp(title=title, version="1.0.0", lifespan=lifespan)
    add_problem_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        results = await asyncio.gather(
            *(asyncio.wait_for(check(), READINESS_BOUND_SECONDS) for check in readiness.values()), return_exceptions=True
        )
        checks = {name: result is True for name, result in zip(readiness, results, strict=True)}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"ready": status == 200, "checks": checks}, status_code=status)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
