"""The offer JSON rendered for speed is the PlanOffered the contract describes, field for field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plan_calculation.application.offers import describe, quote, render_offer, render_quote
from plan_calculation.domain.activation import OwedInstallment
from plan_calculation.domain.calendar import add_months
from plan_calculation.domain.options import Hardship
from plan_calculation.domain.position import LoanPosition
from plan_calculation.entrypoints.http import QuoteOut
from tideover_contracts.events.negotiation import EFFECT_OF_KIND
from tideover_contracts.events.plans import OfferedOption, PlanOffered
from tideover_contracts.money import Money


@st.composite
def menus_to_render(draw: st.DrawFn) -> tuple[LoanPosition, Hardship, bool, tuple[OwedInstallment, ...]]:
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
    # The loan's installments around the basis date: some overdue, some due during a plan, some after it.
    first_due = position.business_date - timedelta(days=draw(st.integers(0, 90)))
    installments = tuple(
        OwedInstallment(sequence, add_months(first_due, sequence - 1), draw(amounts))
        for sequence in range(1, draw(st.integers(0, 20)) + 1)
    )
    return position, Hardship(Money.of(draw(amounts), currency)), draw(st.booleans()), installments


@given(case=menus_to_render(), supersedes=st.sampled_from([None, uuid.UUID(int=7)]))
@settings(max_examples=60, deadline=None)
def test_the_rendered_offer_is_the_described_offer(
    case: tuple[LoanPosition, Hardship, bool, tuple[OwedInstallment, ...]], supersedes: uuid.UUID | None
) -> None:
    position, hardship, verified, installments = case
    menu = quote(position, hardship, verified, installments)
    assume(menu.options)  # nothing owed, nothing to offer: no offer is made (PlanRejected)
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
    # The options read back in the shape readers use are the described ones.
    assert PlanOffered.model_validate_json(rendered).options == describe(menu)


@given(case=menus_to_render())
@settings(max_examples=30, deadline=None)
def test_the_rendered_quote_is_the_described_quote(
    case: tuple[LoanPosition, Hardship, bool, tuple[OwedInstallment, ...]],
) -> None:
    position, hardship, verified, installments = case
    menu = quote(position, hardship, verified, installments)
    described = QuoteOut(
        disposable_income=hardship.disposable_income,
        recommended_option_id=menu.recommended_option_id,
        options=[OfferedOption.of(option) for option in describe(menu)],
    )

    rendered = render_quote(menu)

    assert QuoteOut.model_validate_json(rendered) == described
    assert json.loads(rendered) == json.loads(described.model_dump_json())


BASIS = date(2026, 3, 15)


def _menu_with_installments() -> tuple[LoanPosition, tuple[OwedInstallment, ...]]:
    """Installment 1 overdue at the basis date, 2 and 3 due during a 3-month plan, 4 with
    nothing owed, 9 long after; a contract rate of 7.2% under a 12% cap."""
    position = LoanPosition(
        currency="CNY",
        business_date=BASIS,
        principal=Decimal("1000.00"),
        interest=Decimal("45.00"),
        fee=Decimal("0.00"),
        penalty=Decimal("12.00"),
        outstanding_principal=Decimal("3000.00"),
        contract_rate=Decimal("0.0720"),
        future_installments=(Decimal("1045.00"), Decimal("1045.00")),
        charges_cap=Decimal("0.12"),
    )
    installments = (
        OwedInstallment(1, date(2026, 2, 20), Decimal("1057.00")),
        OwedInstallment(2, date(2026, 3, 20), Decimal("1045.00")),
        OwedInstallment(3, date(2026, 4, 20), Decimal("1045.00")),
        OwedInstallment(4, date(2026, 5, 20), Decimal("0.00")),
        OwedInstallment(9, date(2026, 10, 20), Decimal("1045.00")),
    )
    return position, installments


def test_an_arrears_option_states_the_installments_that_continue_beside_it_and_adds_no_interest() -> None:
    position, installments = _menu_with_installments()
    options = {
        option.option_id: option for option in describe(quote(position, Hardship(Money.of("9000", "CNY")), True, installments))
    }

    arrears = options["arrears-3"]
    # The same installments activation takes over (domain/activation.py taken_over): due from the
    # basis date up to the plan's last month, with something owed.
    assert [(i.sequence, i.due_date, i.amount) for i in arrears.continuing_installments] == [
        (2, date(2026, 3, 20), Money.of("1045.00", "CNY")),
        (3, date(2026, 4, 20), Money.of("1045.00", "CNY")),
    ]
    assert arrears.plan_rate == Decimal("0.000000")
    extension = options["extension-6"]
    assert extension.continuing_installments == ()
    assert extension.plan_rate == Decimal("0.072000")


def test_a_what_if_quote_without_the_loans_installments_states_none() -> None:
    position, _ = _menu_with_installments()

    options = describe(quote(position, Hardship(Money.of("9000", "CNY")), True))

    assert all(option.continuing_installments == () for option in options)
