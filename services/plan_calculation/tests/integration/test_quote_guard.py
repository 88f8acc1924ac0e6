"""The quote endpoint answers only a caller whose service key grants quote (issue 17): no key,
or an unknown or revoked one, is a 401; an operator's key (reads only) a 403; negotiation-intake's
key gets its options; health stays open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tideover_runtime.service_keys import CallerRole, key_header
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import guard_test_keys

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


QUOTE: dict[str, Any] = {
    "business_date": "2026-02-18",
    "overdue": {"principal": cny("1000.00"), "interest": cny("45.00"), "fee": cny("0.00"), "penalty": cny("0.31")},
    "outstanding_principal": cny("3000.00"),
    "contract_rate": "0.0720",
    "future_installments": [cny("1045.00"), cny("1045.00")],
    "monthly_income": cny("4000.00"),
    "essential_expenses": cny("2000.00"),
    "evidence_verified": True,
}


async def test_a_quote_takes_a_service_key_granting_quote(
    infrastructure: Infrastructure, services: Callable[[str], ServiceProcess]
) -> None:
    service = services("plan_calculation")
    keys = await guard_test_keys(infrastructure.database_url, "plan-calculation", CallerRole.NEGOTIATION_INTAKE, "operator")
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
        answers = {name: await http.post("/v1/quotes", json=QUOTE, headers=key_header(key)) for name, key in keys.items()}
        health = await http.get("/healthz")

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "none": 401,
        "unknown": 401,
        "revoked": 401,
        "lacking": 403,
        "allowed": 200,
    }
    assert answers["none"].headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
    assert answers["lacking"].json()["title"] == "A caller of role operator may not quote"
    assert answers["allowed"].json()["recommended_option_id"] == "extension-equal-principal-6"
    assert health.status_code == 200
