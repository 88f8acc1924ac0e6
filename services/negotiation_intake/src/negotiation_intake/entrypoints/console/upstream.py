"""What the loan page and the work queue show from the other services, asked over their query
APIs with negotiation-intake's service key: never required (an unset URL, a silent service or a
refused key shows "not available")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import structlog

from tideover_runtime.service_keys import key_header

log = structlog.get_logger(__name__)
TIMEOUT_SECONDS = 2.0
#: The batch forms the work queue asks, each with what narrows it: a page is 25 loans, within
#: the 100 each batch form takes.
Params = tuple[tuple[str, str], ...]
QUEUE_PATHS: dict[str, tuple[str, Params]] = {
    "overdue": ("/v1/loans/overdue-statuses", ()),
    "contacts": ("/v1/loans/contact-logs", (("decision", "sent"), ("latest", "1"))),
    "window": ("/v1/loans/contact-windows", ()),
}


class Upstream:
    def __init__(
        self, overdue_url: str | None, notification_url: str | None, tracking_url: str | None, service_key: str | None = None
    ) -> None:
        self._urls = {"overdue": overdue_url, "contacts": notification_url, "window": notification_url, "plans": tracking_url}
        self._headers = key_header(service_key)

    async def loan(self, loan_id: uuid.UUID) -> dict[str, Any | None]:
        """{"overdue": ..., "contacts": ..., "window": ..., "plans": ...}, each None when not available
        ("window": when notification's contact rules next let the borrower be pressed for payment)."""
        paths = {
            "overdue": f"/v1/loans/{loan_id}/overdue-status",
            "contacts": f"/v1/loans/{loan_id}/contact-log",
            "window": f"/v1/loans/{loan_id}/contact-window",
            "plans": f"/v1/loans/{loan_id}/plans",
        }
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers=self._headers) as client:
            answers = await asyncio.gather(*(self._get(client, name, paths[name]) for name in paths))
        return dict(zip(paths, answers, strict=True))

    async def contact_choices(self, loan_id: uuid.UUID) -> Any | None:
        """What the borrower's page may offer in *How we contact you*, as notification's contact rules
        have it (its /v1/loans/{id}/contact-choices); None when not available."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers=self._headers) as client:
            return await self._get(client, "contacts", f"/v1/loans/{loan_id}/contact-choices")

    async def queue(self, loan_ids: Sequence[uuid.UUID]) -> dict[str, dict[uuid.UUID, Any] | None]:
        """What the work queue shows of a page of loans, one request to each batch form for the
        whole page (issue 20, finding 9): {"overdue": each loan's overdue status (as the loan
        page's "overdue"), "contacts": each loan's last message sent (its contact log narrowed to
        it), "window": each loan's contact window}, by loan; a source is None when not available,
        a loan it does not know is missing from it."""
        if not loan_ids:
            return {name: {} for name in QUEUE_PATHS}
        asked = tuple(("loan_id", str(loan_id)) for loan_id in loan_ids)
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers=self._headers) as client:
            answers = await asyncio.gather(
                *(self._get(client, name, path, (*asked, *extra)) for name, (path, extra) in QUEUE_PATHS.items())
            )
        return {name: _by_loan(answer) for name, answer in zip(QUEUE_PATHS, answers, strict=True)}

    async def _get(self, client: httpx.AsyncClient, name: str, path: str, params: Params = ()) -> Any | None:
        base = self._urls[name]
        if not base:
            return None
        try:
            response = await client.get(base.rstrip("/") + path, params=params)
        except httpx.HTTPError as error:
            log.warning("upstream not available", upstream=name, error=repr(error))
            return None
        if response.status_code in (401, 403):
            log.warning("upstream refused our service key", upstream=name, status=response.status_code)
        return response.json() if response.status_code == 200 else None


def _by_loan(answer: Any | None) -> dict[uuid.UUID, Any] | None:
    """A batch answer's `loans`, by loan id; None when it did not come or is not one."""
    try:
        return {uuid.UUID(item["loan_id"]): item for item in answer["loans"]} if answer is not None else None
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("upstream answered what is not a batch of loans")
        return None
