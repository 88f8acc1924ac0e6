"""overdue-detection's ledger, asked over its query API for a loan's position (the basis a
hardship request is priced on, DESIGN.md §3a), with negotiation-intake's service key."""

from __future__ import annotations

import uuid
from functools import cache

import httpx
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from negotiation_intake.application.ports import LedgerUnavailableError
from tideover_contracts.events.overdue import LedgerPosition
from tideover_runtime.service_keys import CallerSettings, key_header

TIMEOUT_SECONDS = 5.0


class HttpLedger:
    def __init__(self, overdue_url: str, service_key: str | None = None) -> None:
        self._url = overdue_url.rstrip("/")
        self._headers = key_header(service_key)

    async def position(self, loan_id: uuid.UUID) -> LedgerPosition | None:
        """The loan's position at the last closed business day; None if it is not booked (or
        closed: nothing to negotiate)."""
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.get(f"{self._url}/v1/loans/{loan_id}/position", headers=self._headers)
        except httpx.HTTPError as error:
            raise LedgerUnavailableError(f"overdue-detection did not answer ({type(error).__name__})") from error
        if response.status_code in (404, 409):
            return None
        if response.status_code != 200:
            raise LedgerUnavailableError(f"overdue-detection answered {response.status_code}")
        try:
            return LedgerPosition.model_validate_json(response.content)
        except ValidationError as error:
            raise LedgerUnavailableError("overdue-detection's answer is not a LedgerPosition") from error


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    overdue_url: str | None = Field(default=None, description="overdue-detection, the ledger the plans are priced on")


@cache
def configured_ledger() -> HttpLedger | None:
    """The ledger TIDEOVER_OVERDUE_URL names (read once), asked with TIDEOVER_SERVICE_KEY, or None."""
    url = LedgerSettings().overdue_url
    return HttpLedger(url, CallerSettings().service_key) if url else None
