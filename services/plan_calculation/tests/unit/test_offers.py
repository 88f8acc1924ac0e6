"""application/offers.py as the use cases use it: the offer a hardship request stages (through
the fake PlanStore and a MemoryOutbox) is the menu `describe` gives for the same position, and
what each option states beside its schedule (test_offer_rendering.py checks the JSON itself)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from plan_calculation.adapters.memory import MemoryPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.offers import describe, quote
from plan_calculation.application.ports import Plans, ProjectedLoan
from plan_calculation.domain.options import Hardship
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.negotiation import NegotiationRequested
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.clock import BusinessClock
from tideover_testkit.memory import MemoryOutbox, unit_of

POSITION = LoanPosition(
    currency="CNY",
    business_date=date(2026, 2, 16),
    principal=Decimal("1000.00"),
    interest=Decimal("45.00"),
    fee=Decimal("0.00"),
    penalty=Decimal("12.00"),
    outstanding_principal=Decimal("3000.00"),
    contract_rate=Decimal("0.2400"),
    future_installments=(Decimal("1045.00"), Decimal("1045.00")),
    charges_cap=Decimal("0.12"),
)


async def test_the_offer_staged_for_a_request_is_the_described_menu_of_its_position() -> None:
    request = next(event for event in golden_events() if isinstance(event, NegotiationRequested))
    outbox, caps = MemoryOutbox(), ChargeCaps()
    clock = BusinessClock(datetime(2026, 3, 16, 1, 0, tzinfo=UTC))
    unit = unit_of(request, producer="plan-calculation", outbox=outbox, clock=clock)
    await handlers.when_negotiation_requested_offer_plans(unit, Plans(MemoryPlanStore(), caps))
    [offer] = outbox.events(PlanOffered)

    assert request.basis is not None
    loan = ProjectedLoan.at(request.basis)
    position = replace(loan.position, charges_cap=caps.cap_for(Jurisdiction.CN))
    hardship = Hardship.from_budget(request.hardship.monthly_income, request.hardship.essential_expenses)
    menu = quote(position, hardship, True, loan.installments)
    assert offer.options == describe(menu)
    assert offer.recommended_option_id == menu.recommended_option_id


def test_a_reschedule_charges_the_contract_rate_capped_and_an_arrears_plan_none() -> None:
    options = {option.option_id: option for option in describe(quote(POSITION, Hardship(Money.of("9000", "CNY")), True))}
    assert options["extension-6"].plan_rate == Decimal("0.120000")  # 24% a year, capped at 12%
    assert options["arrears-3"].plan_rate == Decimal("0.000000")
    # Against the status quo (1,057.00 overdue and 2,090.00 to come): the waiver within the agent's
    # authority saves the 12.00 of penalty (the hardship is proven) and 20% of the 45.00 of interest.
    assert options["waiver-arrears-3"].cost_vs_status_quo == Money.of("-21.00", "CNY")
    assert options["arrears-3"].cost_vs_status_quo == Money.of("0.00", "CNY")


def test_only_the_recommended_option_says_why_it_was_chosen() -> None:
    menu = quote(POSITION, Hardship(Money.of("9000", "CNY")), True)
    assert menu.recommended is not None
    assert menu.why(menu.recommended) is not None
    assert all(menu.why(option) is None for option in menu.options if option is not menu.recommended)
