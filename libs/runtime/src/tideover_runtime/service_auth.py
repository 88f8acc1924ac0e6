"""Every query route checks its caller first (DESIGN.md §5, STYLE.md): a route names the right it
needs (`requires(Right.READ_PLANS)`), and the caller's `X-Service-Key` must be a key of a role
that has it (service_keys.RIGHTS). No key, or an unknown or revoked one → 401 problem+json with
WWW-Authenticate; a role without the right → 403. Every refusal is logged with its reason, the
key's id and caller, never the key, within a bound (tideover_runtime.refusals). /healthz,
/readyz and /metrics stay open.

The key is checked before the body is read, and the body is bounded (tideover_runtime.door):
`guard` puts the door in front of the routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from starlette.middleware import Middleware
from starlette.types import Scope

from tideover_runtime.door import KeyFirst
from tideover_runtime.http import problem_response
from tideover_runtime.refusals import LoggedRefusals
from tideover_runtime.service_keys import HEADER, Right, ServiceCaller, authenticate, may, parse

KEY_HEADER = APIKeyHeader(
    name=HEADER, auto_error=False, description="The calling service's key (tsk_…), made by tideover-service-keys"
)
CHALLENGE = {"WWW-Authenticate": f'ServiceKey header="{HEADER}"'}
#: Where the door leaves the caller it authenticated.
STATE_KEY = "service_caller"
#: The most bytes a query's body may have, unless the service says otherwise (a GET has none).
BODY_LIMIT_BYTES = 4 * 1024


#: The refusals every guarded route may answer with, for its OpenAPI `responses` (problem+json).
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: problem_response("A body that cannot be parsed at all"),
    401: problem_response("No service key, or an unknown or revoked one"),
    403: problem_response("The caller's role does not grant this"),
    404: problem_response("No such loan or plan"),
    413: problem_response("A body larger than the route takes (`limit_bytes`)"),
    422: problem_response("Invalid input, naming the field (`errors`)"),
}


def guard(app: FastAPI, pool: Callable[[], asyncpg.Pool], body_limit_bytes: int = BODY_LIMIT_BYTES) -> None:
    """Look the keys of `app`'s guarded routes up through `pool` (the service's own schema),
    before any body is read, and refuse a body over `body_limit_bytes` (413)."""
    app.state.service_key_pool = pool
    app.state.authenticate_service = authenticated_caller  # testing.service_keys.trusting replaces it
    # Innermost of the middleware (appended): its own 401 gets the headers every answer carries;
    # each refusal, the door's own among them, is logged (tideover_runtime.refusals).
    app.user_middleware.append(
        Middleware(LoggedRefusals, caller_of=_caller_of, presented_key_id=_presented_key_id, monotonic=time.monotonic)
    )
    door = Middleware(
        KeyFirst,
        authenticate=lambda request: request.app.state.authenticate_service(request, request.headers.get(HEADER)),
        body_limit=lambda _method, _path: body_limit_bytes,
        state_key=STATE_KEY,
    )
    app.user_middleware.append(door)


async def authenticated_caller(request: Request, presented: Annotated[str | None, Security(KEY_HEADER)]) -> ServiceCaller:
    """The caller whose key came with the request: 401 without a valid one (checked by the door
    before the body was read; here again for a route reached otherwise)."""
    if isinstance(known := request.scope.get("state", {}).get(STATE_KEY), ServiceCaller):
        return known
    if not presented:
        raise HTTPException(401, f"Missing service key: send it in {HEADER}", headers=CHALLENGE)
    async with request.app.state.service_key_pool().acquire() as connection:
        caller = await authenticate(connection, presented)
    if caller is None:
        raise HTTPException(401, "Unknown or revoked service key", headers=CHALLENGE)
    return caller


def _caller_of(scope: Scope) -> dict[str, str] | None:
    caller = scope.get("state", {}).get(STATE_KEY)
    return {"key_id": caller.key_id, "caller": caller.caller, "role": caller.role} if isinstance(caller, ServiceCaller) else None


def _presented_key_id(scope: Scope) -> str | None:
    """The id of the key presented (refused), if it has our form: never its secret."""
    parsed = parse(Request(scope).headers.get(HEADER, ""))
    return parsed[0] if parsed else None


def requires(right: Right) -> Any:
    """A route dependency: the caller, if their role grants `right` (else 403)."""

    async def check(request: Request, caller: Annotated[ServiceCaller, Depends(authenticated_caller)]) -> ServiceCaller:
        if not may(caller.role, right):
            raise HTTPException(403, f"A caller of role {caller.role} may not {right.value.replace('_', ' ')}")
        return caller

    return Depends(check)
