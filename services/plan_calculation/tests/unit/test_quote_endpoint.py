"""The stateless quote endpoint: options out for a position and a hardship in; every bad input
(money overflow, out-of-range dates, negative amounts, a principal that does not add up, mixed
currencies) is a 422 problem+json naming the field, none reaches the domain, and nothing is
stored (issue 16)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
import pytest

from plan_calculation.domain.amortization import level_payment
from plan_calculation.entrypoints.http import QuoteOut, add_routes
from tideover_contracts.events.plans import PlanOption
from tideover_runtime.http import build_http_app
from tideover_testkit.service_keys import trusting


def _app(stored: list[str] | None = None) -> Any:
    """The quote routes with resources that record being asked for (the quote needs none), as
    negotiation-intake with its service key asks them (integration/test_quote_guard.py: the check of the key)."""
    asked = [] if stored is None else stored
    app = build_http_app("plan-calculation", {})
    add_routes(app, lambda: asked.append("resources") or None)  # type: ignore[arg-type,func-returns-value,return-value]
    return trusting(app)


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


async def _post(body: dict[str, Any], stored: list[str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(stored)), base_url="http://quote") as client:
        return await client.post("/v1/quotes", json=body)


def _options(body: dict[str, Any]) -> list[PlanOption]:
    """The options of a quote's answer, as readers use them."""
    return [option.expanded() for option in QuoteOut.model_validate(body).options]


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
    # Compact, as PlanOffered version 2 carries it: amounts in the option's currency, columns.
    assert first["currency"] == "CNY"
    assert first["total_payable"] == "1045.31"
    assert [line.total.amount for line in _options(body)[0].schedule] == [Decimal("348.43"), Decimal("348.43"), Decimal("348.45")]
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


def changed(path: str, value: Any) -> dict[str, Any]:
    """QUOTE with the field at the dotted `path` set to `value`."""
    body = copy.deepcopy(QUOTE)
    *parents, last = path.split(".")
    target = body
    for step in parents:
        target = target[step]
    target[last] = value
    return body


# (what, body, the field the problem names, words of its message)
BAD_QUOTES = [
    ("business date past 2100", changed("business_date", "9999-12-31"), "business_date", "2100-12-31"),
    ("business date before 2000", changed("business_date", "0001-01-01"), "business_date", "2000-01-01"),
    (
        "principal of 18 integer digits",
        changed("outstanding_principal", cny("999999999999999999.99")),
        "outstanding_principal",
        "12 integer digits",
    ),
    (
        "overdue principal of 13 integer digits",
        changed("overdue.principal", cny("1000000000000.00")),
        "overdue.principal",
        "12 integer digits",
    ),
    (
        "an installment of 13 integer digits",
        changed("future_installments", [cny("1045.00"), cny("1000000000000.00")]),
        "future_installments.1",
        "12 integer digits",
    ),
    ("an amount past the decimal context", changed("monthly_income", cny("1E+1000000")), "monthly_income", "out of range"),
    ("a contract rate above 1", changed("contract_rate", "1.5"), "contract_rate", "outside [0, 1]"),
    (
        "overdue principal above outstanding",
        changed("overdue.principal", cny("5000.00")),
        "outstanding_principal",
        "less than the overdue principal 5000.00",
    ),
    ("negative overdue principal", changed("overdue.principal", cny("-1.00")), "overdue.principal", "negative"),
    ("negative interest", changed("overdue.interest", cny("-45.00")), "overdue.interest", "negative"),
    ("negative fee", changed("overdue.fee", cny("-0.01")), "overdue.fee", "negative"),
    ("negative penalty", changed("overdue.penalty", cny("-0.31")), "overdue.penalty", "negative"),
    ("negative outstanding principal", changed("outstanding_principal", cny("-3000.00")), "outstanding_principal", "negative"),
    ("negative installment", changed("future_installments", [cny("-1045.00")]), "future_installments.0", "negative"),
    ("negative income", changed("monthly_income", cny("-4000.00")), "monthly_income", "negative"),
    ("negative expenses", changed("essential_expenses", cny("-2000.00")), "essential_expenses", "negative"),
    (
        "a USD income on a CNY loan",
        changed("monthly_income", {"amount": "4000.00", "currency": "USD"}),
        "monthly_income",
        "USD is not the loan's currency CNY",
    ),
    (
        "USD expenses on a CNY loan",
        changed("essential_expenses", {"amount": "2000.00", "currency": "USD"}),
        "essential_expenses",
        "USD is not the loan's currency CNY",
    ),
    (
        "USD overdue interest on a CNY principal",
        changed("overdue.interest", {"amount": "45.00", "currency": "USD"}),
        "overdue.interest",
        "USD is not the loan's currency CNY",
    ),
    (
        "a USD installment on a CNY loan",
        changed("future_installments", [{"amount": "1045.00", "currency": "USD"}]),
        "future_installments",
        "USD is not the loan's currency CNY",
    ),
    (
        "a NUL in a currency",
        changed("monthly_income", {"amount": "4000.00", "currency": "C\x00NY"}),
        "monthly_income",
        "unknown currency",
    ),
    (
        "a hardship reason the contracts do not know",
        changed("hardship_reason", "bankruptcy"),
        "hardship_reason",
        "Input should be 'unemployment'",
    ),
    ("a hardship reason that is not a string", changed("hardship_reason", 3), "hardship_reason", "Input should be"),
    (
        "an evidence kind the contracts do not know",
        changed("verified_evidence", ["payslip"]),
        "verified_evidence.0",
        "Input should be 'income_proof'",
    ),
    ("evidence kinds as one string", changed("verified_evidence", "unemployment_proof"), "verified_evidence", "valid list"),
    ("more evidence kinds than there are", changed("verified_evidence", ["other"] * 6), "verified_evidence", "at most 5 items"),
]


@pytest.mark.parametrize(("body", "field", "words"), [case[1:] for case in BAD_QUOTES], ids=[case[0] for case in BAD_QUOTES])
async def test_a_bad_input_is_a_422_naming_the_field(body: dict[str, Any], field: str, words: str) -> None:
    stored: list[str] = []

    response = await _post(body, stored)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert words in problem["errors"][0]["message"]
    assert problem["detail"].startswith(f"{field}: ")
    assert stored == []


#: QUOTE for a borrower with no income left: nothing within the agent's authority is affordable.
NO_INCOME = {**QUOTE, "monthly_income": cny("0.00"), "hardship_reason": "unemployment"}


async def test_verified_unemployment_at_zero_income_is_quoted_a_payment_holiday() -> None:
    response = await _post({**NO_INCOME, "verified_evidence": ["unemployment_proof"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recommended_option_id"] == "holiday-3"
    holidays = [option for option in body["options"] if option["option_id"].startswith("holiday-")]
    assert [option["option_id"] for option in holidays] == [
        "holiday-3",
        "holiday-3-extension-6",
        "holiday-3-extension-12",
        "holiday-3-extension-24",
    ]
    holiday = holidays[0]
    assert holiday["schedule"]["principal"][:3] == holiday["schedule"]["interest"][:3] == ["0.00", "0.00", "0.00"]
    assert holiday["needs_supervisor"] is True
    assert holiday["affordable"] is True
    assert holiday["waived"]["total"] == "0.00"


@pytest.mark.parametrize(
    "hardship",
    [
        pytest.param({}, id="unemployment, no evidence verified"),
        pytest.param({"verified_evidence": ["income_proof"]}, id="unemployment, only an income proof"),
        pytest.param({"verified_evidence": ["medical_record"]}, id="unemployment, the proof of illness"),
        pytest.param({"hardship_reason": None, "verified_evidence": ["unemployment_proof"]}, id="proof, no reason"),
        pytest.param({"hardship_reason": "income_reduction", "verified_evidence": ["income_proof"]}, id="income reduction"),
    ],
)
async def test_without_the_proof_of_its_reason_no_holiday_is_quoted(hardship: dict[str, Any]) -> None:
    response = await _post({**NO_INCOME, **hardship})

    assert response.status_code == 200, response.text
    body = response.json()
    assert not [option for option in body["options"] if option["option_id"].startswith("holiday-")]
    assert body["recommended_option_id"] is None  # nothing is affordable at zero income


async def test_verified_evidence_of_any_kind_is_verified_evidence() -> None:
    # The kinds listed are verified documents: the penalty waiver follows, as in an offer.
    unverified = {**QUOTE, "evidence_verified": False}
    plain, listed = await _post(unverified), await _post({**unverified, "verified_evidence": ["income_proof"]})
    both = await _post({**QUOTE, "verified_evidence": ["income_proof"]})

    assert plain.status_code == listed.status_code == both.status_code == 200
    assert not any(option["waived"]["penalty"] != "0.00" for option in plain.json()["options"])
    assert listed.json()["options"] == both.json()["options"] == (await _post(QUOTE)).json()["options"]


@pytest.mark.parametrize("rate", ["1e-30", "1e-20", "0.000000000001"])
async def test_a_tiny_contract_rate_prices_like_no_rate(rate: str) -> None:
    tiny, zero = await _post(changed("contract_rate", rate), []), await _post(changed("contract_rate", "0"), [])

    assert tiny.status_code == zero.status_code == 200, tiny.text
    assert tiny.json()["options"] == zero.json()["options"]


@pytest.mark.parametrize("rate", ["1e-30", "1e-20", "1e-12"])
@pytest.mark.parametrize("months", [1, 3, 7, 12, 60])
def test_a_tiny_rate_gives_the_zero_rate_level_payment_to_the_cent(rate: str, months: int) -> None:
    principal = Decimal("3000.00")
    assert level_payment(principal, Decimal(rate), months) == level_payment(principal, Decimal(0), months)


def test_a_small_rate_still_charges_its_interest() -> None:
    # 0.01 % a year on 1,000,000.00 over 12 months: 83,337.85 a month (numpy-financial's pmt
    # says 83,337.847…) against 83,333.33 without.
    assert level_payment(Decimal("1000000.00"), Decimal("0.0001"), 12) == Decimal("83337.85")
