"""The browser-facing security headers every answer of every service carries (issue 17, M6).

An ASGI middleware that adds each header the answer does not set itself: a route or a mounted
app with stricter or other needs (the console's policy, a document shown inside a console page)
sets its own, and the middleware leaves it alone."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: JSON answers load nothing and are framed by nobody.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: FastAPI's /docs and /redoc load Swagger UI and ReDoc from the jsDelivr CDN and start them with an
#: inline script: the one place an inline script runs. They show the OpenAPI document and hold no
#: data; the API they call answers only with a key.
DOCS_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/redoc")

COMMON_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # frame-ancestors for browsers that predate CSP level 2.
    "X-Frame-Options": "DENY",
    # Every answer but health and metrics is for an authenticated caller; none is for a cache.
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Adds Content-Security-Policy (`policy`, or `by_path`'s for a path under one of its
    prefixes), nosniff, Referrer-Policy, X-Frame-Options and Cache-Control: no-store to every
    HTTP answer that does not set them."""

    def __init__(self, app: ASGIApp, policy: str = API_POLICY, by_path: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.policy = policy
        self.by_path = dict(by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(str(scope.get("path", "")))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)

    def _policy(self, path: str) -> str:
        for prefix, policy in self.by_path.items():
            if path == prefix or path.startswith(prefix + "/"):
                return policy
        return self.policy
