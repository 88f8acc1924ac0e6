"""What the loan page shows from the other services, asked over their query APIs with
negotiation-intake's service key: never required (an unset URL, a silent service or a refused
key shows "not available")."""

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

    async def contact_logs(self, loan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any | None]:
        """Each loan's contact log, asked at once (the work queue's last contact); None when not available."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, headers=self._headers) as client:
            paths = [f"/v1/loans/{loan_id}/contact-log" for loan_id in loan_ids]
            answers = await asyncio.gather(*(self._get(client, "contacts", path) for path in paths))
        return dict(zip(loan_ids, answers, strict=True))

    async def _get(self, client: httpx.AsyncClient, name: str, path: str) -> Any | None:
        base = self._urls[name]
        if not base:
            return None
        try:
            response = await client.get(base.rstrip("/") + path)
        except httpx.HTTPError as error:
            log.warning("upstream not available", upstream=name, error=repr(error))
            return None
        if response.status_code in (401, 403):
            log.warning("upstream refused our service key", upstream=name, status=response.status_code)
        return response.json() if response.status_code == 200 else None
