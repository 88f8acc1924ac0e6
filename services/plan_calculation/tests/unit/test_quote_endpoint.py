"""The stateless quote endpoint: options out for a position and a hardship in; bad input is a
422 problem+json that names the field."""

from __future__ import annotations

from typing import Any

import httpx

from plan_calculation.entrypoints.http import add_routes
from tideover_runtime.http import build_http_app


def _app() -> Any:
    app = build_http_app("plan-calculation", {})
    add_routes(app, lambda: None)  # type: ignore[arg-type,return-value]
    return app


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


QUOTE = {
    "business_date": "2026-02-18",
    "overdue": {"principal": cny("1000.00"), "interest": cny("45.00"), "fee": cny("0.00"), "penalty": cny("0.31")},
    "outstanding_principal": cny("3000.00"),
    "contract_rate": "0.0720",
    "future_installments": [cny("1045.00"), cny("1045.00")],
    "monthly_income": cny("4000.00"),
    "essential_expenses": cny("2000.00"),
    "evidence_verified": True,
}


async def _post(body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://quote") as client:
        return await client.post("/v1/quotes", json=body)


async def test_a_quote_lists_every_option_and_the_recommended_one() -> None:
    response = await _post(QUOTE)
    assert response.status_code == 200
    body = response.json()
    ids = [option["option_id"] for option in body["options"]]
    assert ids[:3] == ["arrears-3", "arrears-6", "arrears-12"]
    # Nothing waived is affordable, so the cheapest such plan (DESIGN.md §4, recommendation).
    assert body["recommended_option_id"] == "extension-equal-principal-6"
    assert not any(option["needs_supervisor"] for option in body["options"])  # within authority suffices
    assert body["disposable_income"] == cny("2000.00")
    first = body["options"][0]
    assert [line["total"]["amount"] for line in first["schedule"]] == ["348.43", "348.43", "348.45"]
    assert first["affordable"] is False  # 348.45 + the regular 1,045.00 > 50% of 2,000.00
    assert set(first["explanation"]) == {"en", "zh-CN"}


async def test_money_as_a_json_number_is_a_422_naming_the_field() -> None:
    response = await _post({**QUOTE, "outstanding_principal": {"amount": 3000.0, "currency": "CNY"}})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "outstanding_principal.amount"
    assert "not a JSON number" in problem["detail"]


async def test_mixed_currencies_are_refused() -> None:
    response = await _post({**QUOTE, "monthly_income": {"amount": "4000.00", "currency": "USD"}})
    assert response.status_code == 422
    assert "one currency" in response.json()["detail"]
