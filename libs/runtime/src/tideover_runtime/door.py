"""The door of a service's HTTP API (issue 17, L2): the caller's key is checked before the body
is read, and the body is bounded.

FastAPI reads and parses a request's body before it runs the route's dependencies, the key check
among them: a 100 MB JSON body without a key was parsed before the 401. The door checks the key
first for every keyed route (under `keyed_prefix`, but `open_paths`) and leaves the caller in the
request's state under `state_key`, where the route's own key check finds it. Then it bounds the
body of every request, keyed or not (a page's form as much as the API's JSON: `body_limit` of the
method and path): a declared Content-Length over the limit is refused
unread, and a body streamed without one is cut off where it passes the limit; both 413,
problem+json unless `too_large` answers a path otherwise (a page's HTML; the streamed case is
answered by the app's own handler of the HTTPException). (FastAPI's own `max_body_size` answers
a declared one in text/plain.)

The query services use it through service_auth.guard; negotiation-intake's own door wraps it and
keeps every refused answer (negotiation_intake/entrypoints/door.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tideover_runtime.http import problem

TOO_LARGE = "Content Too Large"


@dataclass
class KeyFirst:
    """ASGI middleware: see the module's docstring. `authenticate` is the API's own key check
    (401 as an HTTPException)."""

    app: ASGIApp
    authenticate: Callable[[Request], Awaitable[object]]
    #: The most bytes a body may have, by method and path.
    body_limit: Callable[[str, str], int]
    state_key: str
    keyed_prefix: str = "/v1/"
    open_paths: frozenset[str] = field(default_factory=frozenset)
    #: The 413 answer to a declared body over `limit` bytes for the request, if not problem+json.
    too_large: Callable[[Request, int], Response | None] = field(default=lambda _request, _limit: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if path.startswith(self.keyed_prefix) and path not in self.open_paths:
            try:
                caller = await self.authenticate(Request(scope))
            except HTTPException as error:
                response = problem(error.status_code, str(error.detail))
                response.headers.update(error.headers or {})
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})[self.state_key] = caller
        limit = self.body_limit(scope["method"], path)
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            detail = f"the body is {declared} bytes; this route takes {limit} at most"
            answer = self.too_large(Request(scope), limit) or problem(413, TOO_LARGE, detail, limit_bytes=limit)
            await answer(scope, receive, send)
            return
        await self.app(scope, bounded(receive, limit), send)


def bounded(receive: Receive, limit: int) -> Receive:
    """`receive`, refusing (413) a body once more than `limit` bytes of it have come."""
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI lets an HTTPException raised while it reads the body through to the
                # problem handlers; an endpoint reading it raises it itself.
                raise HTTPException(413, TOO_LARGE)
        return message

    return bounded_receive
