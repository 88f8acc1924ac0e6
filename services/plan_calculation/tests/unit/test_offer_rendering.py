"""The offer JSON rendered for speed is the PlanOffered the contract describes, field for field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.application.offers import describe, quote, render_offer
from plan_calculation.domain.menu import LoanPosition
from plan_calculation.domain.options import Hardship
from tideover_contracts.events.negotiation import EFFECT_OF_KIND
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.money import Money


@st.composite
def menus_to_render(draw: st.DrawFn) -> tuple[LoanPosition, Hardship, bool]:
    currency = draw(st.sampled_from(["CNY", "USD", "JPY"]))
    scale = Decimal(1) if currency == "JPY" else Decimal("0.01")
    amounts = st.integers(min_value=0, max_value=5_000_000).map(lambda units: Decimal(units) * scale)
    position = LoanPosition(
        currency=currency,
        business_date=draw(st.dates(date(2025, 1, 1), date(2030, 12, 31))),
        principal=draw(amounts),
        interest=draw(amounts),
        fee=draw(amounts),
        penalty=draw(amounts),
        outstanding_principal=draw(amounts),
        contract_rate=draw(st.integers(0, 3600).map(lambda r: Decimal(r) / 10000)),
        future_installments=tuple(draw(st.lists(amounts, max_size=40))),
        charges_cap=draw(st.sampled_from([None, Decimal("0.12")])),
    )
    return position, Hardship(Money.of(draw(amounts), currency)), draw(st.booleans())


@given(case=menus_to_render(), supersedes=st.sampled_from([None, uuid.UUID(int=7)]))
@settings(max_examples=60, deadline=None)
def test_the_rendered_offer_is_the_described_offer(
    case: tuple[LoanPosition, Hardship, bool], supersedes: uuid.UUID | None
) -> None:
    position, hardship, verified = case
    menu = quote(position, hardship, verified)
    facts = {
        "offer_id": uuid.UUID(int=1),
        "application_id": uuid.UUID(int=2),
        "loan_id": uuid.UUID(int=3),
        "basis_business_date": position.business_date,
        "valid_until": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "supersedes_offer_id": supersedes,
    }
    described = PlanOffered(
        **facts,
        disposable_income=hardship.disposable_income,
        options=describe(menu),
        recommended_option_id=menu.recommended_option_id,
    )

    rendered = render_offer(menu, **facts)

    assert PlanOffered.model_validate_json(rendered) == described
    # The same JSON document too (every amount written alike, e.g. "0.00" not "0"), but for
    # the order of the fields.
    assert json.loads(rendered) == json.loads(described.model_dump_json())
    # Every option says what it does to the loan's ledger (DESIGN.md §3a), by the one rule.
    assert all(option["effect"] == EFFECT_OF_KIND[option["kind"]].value for option in json.loads(rendered)["options"])
