"""The simulator's HTTP clients on the services. A call that meets a service restarting (the
connection refused or cut, a 5xx while its database restarts) is sent again until the service
answers, as a careful client would (`httpx-retries`). Only calls that are safe to repeat go
out: reads, and changes that carry an `Idempotency-Key` (a repeat gets the first answer) — a
change without one is refused here, before it is sent.

The borrower's page is visited as a phone's browser does (`page_client`): its pages are loaded
again until they answer, but a form is never sent twice by the client — a borrower whose form got
no answer tries again another day (tideover_simulator.page_borrower)."""

from __future__ import annotations

import httpx
from httpx_retries import Retry, RetryTransport

#: Long enough for a service to be killed and started again (about 10 s on this machine), or for
#: Postgres to restart under it.
RETRY = Retry(
    total=400,
    allowed_methods=["GET", "POST"],
    status_forcelist=[500, 502, 503, 504],
    backoff_factor=0.05,
    max_backoff_wait=0.5,
    total_timeout=120.0,
)
#: A page loaded again, as a browser's reload; never a form (POST).
RELOAD = Retry(
    total=RETRY.total,
    allowed_methods=["GET"],
    status_forcelist=[502, 503, 504],
    backoff_factor=RETRY.backoff_factor,
    max_backoff_wait=RETRY.max_backoff_wait,
    total_timeout=RETRY.total_timeout,
)


class _Recorded(httpx.AsyncBaseTransport):
    """Notes every attempt that failed (and will be retried, or given up on)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failed: list[str]) -> None:
        self._inner, self._failed = inner, failed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError as error:
            self._failed.append(f"{request.method} {request.url.path}: {type(error).__name__}")
            raise
        if response.status_code >= 500:
            self._failed.append(f"{request.method} {request.url.path}: {response.status_code}")
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _repeatable(request: httpx.Request) -> None:
    if request.method != "GET" and "Idempotency-Key" not in request.headers:
        raise ValueError(f"{request.method} {request.url.path} has no Idempotency-Key: it could not be sent again safely")


def service_client(base_url: str, failed: list[str], headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A client on one service that retries as above; each failed attempt is added to `failed`."""
    transport = RetryTransport(transport=_Recorded(httpx.AsyncHTTPTransport(), failed), retry=RETRY)
    return httpx.AsyncClient(
        base_url=base_url, timeout=30, headers=headers, transport=transport, event_hooks={"request": [_repeatable]}
    )


def page_client(base_url: str, failed: list[str], headers: dict[str, str]) -> httpx.AsyncClient:
    """A phone's browser on the borrower's page: it keeps the page's cookie, does not follow the
    page's redirects (their targets say what happened: `?done=`), and loads a page again as
    above; each failed attempt is added to `failed`."""
    transport = RetryTransport(transport=_Recorded(httpx.AsyncHTTPTransport(), failed), retry=RELOAD)
    return httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers, transport=transport, follow_redirects=False)
