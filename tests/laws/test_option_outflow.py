"""One figure for what an option asks a month, in plan-calculation and in the agents' console
(issue 20, finding 2; DESIGN.md §3a and §4, affordability), as a law across both services.

For generated loans (some installments overdue, some due during a plan, one maybe due on the basis
date itself, some long after), plan-calculation's own domain computes the menu and writes the
offer as it publishes it (`render_offer`); the console reads that offer with the loan's schedule as
the ledger has it. For every option:

- the console's "pays per month" is plan-calculation's largest monthly outflow, and the share of
  disposable income the console shows is the offer's own, the same share the contracts' rule gives
  of the console's figure;
- "affordable" agrees with that share: at most 50% exactly when affordable (no disposable income:
  affordable only when nothing is asked), save a payment holiday, judged on its holiday months;
- what the console knows more, the regular installments after an arrears plan's last month, adds
  months after the plan only: the plan's months, the largest month and the verdict are the same
  without it; and the total from now on is plan-calculation's total cost to the borrower.

The borrower's own page (issue 21, *My options*) shows those cards, and each of its months is the
month the written plan of that option states.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import cast

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from negotiation_intake.application.written_plan import written_plan
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.borrower_page.my_options import my_options
from negotiation_intake.entrypoints.console.comparison import option_cost
from negotiation_intake.entrypoints.console.offer_comparison import LoanSchedule, offer_view
from plan_calculation.application.offers import Menu, quote, render_offer
from plan_calculation.domain.activation import OwedInstallment
from plan_calculation.domain.calendar import add_months
from plan_calculation.domain.options import Hardship
from plan_calculation.domain.position import LoanPosition
from repayment_tracking.domain.plan_rules import Due
from repayment_tracking.domain.plan_rules import plan_months as tracking_months
from tideover_contracts.common import ContinuingInstallment
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.money import Money, minor_unit
from tideover_contracts.outflow import AFFORDABILITY_SHARE, share_of_income

Loan = tuple[LoanPosition, tuple[OwedInstallment, ...], Hardship, bool]


@st.composite
def loans(draw: st.DrawFn) -> Loan:
    """A loan, its installments as owed at the basis date, a hardship and whether evidence is verified."""
    currency = draw(st.sampled_from(["CNY", "USD", "JPY"]))
    unit = minor_unit(currency)
    small = st.integers(min_value=0, max_value=300_000).map(lambda units: Decimal(units) * unit)
    amounts = st.one_of(small, st.integers(min_value=0, max_value=5_000_000).map(lambda units: Decimal(units) * unit))
    # Monthly from the first due date, the last days of a month clamped; the basis up to 90 days
    # after it, on a due date itself now and then (that installment continues beside the plan).
    first_due = draw(st.dates(date(2025, 1, 1), date(2029, 12, 31)))
    installments = tuple(
        OwedInstallment(sequence, add_months(first_due, sequence - 1), draw(amounts))
        for sequence in range(1, draw(st.integers(0, 36)) + 1)
    )
    basis = first_due + timedelta(days=draw(st.sampled_from([0, 31]) | st.integers(0, 90)))
    overdue_principal = draw(amounts)
    position = LoanPosition(
        currency=currency,
        business_date=basis,
        principal=overdue_principal,
        interest=draw(amounts),
        fee=draw(st.sampled_from([Decimal(0), Decimal(15)])).quantize(unit),
        penalty=draw(amounts),
        outstanding_principal=overdue_principal + draw(amounts),
        contract_rate=draw(st.integers(0, 3600).map(lambda rate: Decimal(rate) / 10000)),
        future_installments=tuple(item.owed for item in installments if item.due_date >= basis),
        charges_cap=draw(st.sampled_from([None, Decimal("0.12")])),
    )
    hardship = Hardship(Money.of(draw(amounts), currency), holiday_grounds=draw(st.booleans()))
    return position, installments, hardship, draw(st.booleans())


def published(menu: Menu) -> PlanOffered:
    """The offer as plan-calculation publishes it, read back as the console reads it."""
    rendered = render_offer(
        menu,
        offer_id=uuid.UUID(int=1),
        application_id=uuid.UUID(int=2),
        loan_id=uuid.UUID(int=3),
        basis_business_date=menu.position.business_date,
        valid_until=datetime(2030, 1, 1, tzinfo=UTC),
        supersedes_offer_id=None,
    )
    return PlanOffered.model_validate_json(rendered)


def the_ledgers_schedule(installments: tuple[OwedInstallment, ...], currency: str) -> LoanSchedule:
    """The loan's installments with something owed, as the console has them from the ledger."""
    return LoanSchedule(
        tuple(
            ContinuingInstallment(sequence=item.sequence, due_date=item.due_date, amount=Money.of(item.owed, currency))
            for item in installments
            if item.owed > 0
        )
    )


def near_the_boundary(loan: Loan, data: st.DataObject) -> Hardship:
    """A disposable income within a few minor units of twice some option's largest month: where a
    share rounded any other way than up would say 50% of an option that is not affordable."""
    position, installments, hardship, verified = loan
    first = quote(position, hardship, verified, installments)
    assume(first.options)
    pivot = data.draw(st.sampled_from(first.options), label="pivot")
    disposable = pivot.largest_outflow * 2 + data.draw(st.integers(-3, 3), label="units off") * minor_unit(position.currency)
    return Hardship(Money.of(max(disposable, Decimal(0)), position.currency), holiday_grounds=hardship.holiday_grounds)


@given(loan=loans(), data=st.data())
@settings(max_examples=150, deadline=None)
def test_the_console_shows_what_plan_calculation_judged_for_every_option(loan: Loan, data: st.DataObject) -> None:
    position, installments, hardship, verified = loan
    if data.draw(st.booleans(), label="near the boundary"):
        hardship = near_the_boundary(loan, data)
    menu = quote(position, hardship, verified, installments)
    assume(menu.options)  # nothing owed: no offer
    offer = published(menu)
    schedule = the_ledgers_schedule(installments, position.currency)
    view = offer_view(offer, None, schedule)
    cards = {card["option_id"]: card for card in (*view["shown"], *view["folded"])}
    disposable = hardship.disposable_income.amount
    basis = offer.basis_business_date

    for computed, option in zip(menu.options, offer.options, strict=True):
        card, cost = cards[option.option_id], option_cost(option, basis, schedule.installments)
        pays = Decimal(card["pays_per_month"]["amount"])
        # One figure: the console's largest month is plan-calculation's, and its share is the offer's.
        assert pays == cost.pays_per_month == computed.largest_outflow, option.option_id
        assert option.payment_to_disposable_income == share_of_income(pays, disposable), option.option_id
        if disposable > 0:
            assert card["percent"] == option.payment_to_disposable_income * 100, option.option_id
        else:
            assert card["percent"] is None, option.option_id
        # One verdict, and the share says it (a holiday is judged on its holiday months).
        assert card["affordable"] is option.affordable is computed.affordable(hardship), option.option_id
        if computed.holiday_months:
            assert option.affordable, option.option_id
            assert all(Decimal(month["amount"]) == 0 for month in card["month_list"][: computed.holiday_months])
        elif disposable > 0:
            assert option.affordable is (option.payment_to_disposable_income <= AFFORDABILITY_SHARE), option.option_id
        else:
            assert option.affordable is (pays == 0), option.option_id
        # The schedule after the plan adds months after it, nothing else.
        unknown = option_cost(option, basis, None)
        plan_months = len(option.schedule)
        assert cost.months[:plan_months] == unknown.months, option.option_id
        assert all(month.plan == 0 and month.due_date > option.schedule[-1].due_date for month in cost.months[plan_months:])
        assert unknown.pays_per_month == pays, option.option_id
        if option.plan_effect is PlanEffect.RESCHEDULE:
            assert cost.months == unknown.months, option.option_id
        # Everything the borrower pays from now on: plan-calculation's total cost to the borrower.
        assert Decimal(card["total_from_now"]["amount"]) == cost.total_from_now == computed.total_cost, option.option_id
    if offer.recommended_option_id is not None:
        assert cards[offer.recommended_option_id]["affordable"]


def test_a_month_with_two_regular_installments_is_judged_on_both() -> None:
    """The basis date is a due date: that installment is not yet overdue and continues, and the
    next falls due on the plan's first due date, so the first month asks for the plan's line and
    both (DESIGN.md §3a). Judged on the month's sum, as the written plan asks it, the arrears plan
    over 3 months is not affordable on a disposable income of 3,000.00 (it was, on the plan's
    largest line and one regular installment: 348.34 + 1,045.00 = 1,393.34)."""
    basis = date(2026, 3, 15)
    installments = (
        OwedInstallment(1, date(2026, 2, 15), Decimal("1045.00")),  # overdue
        OwedInstallment(2, date(2026, 3, 15), Decimal("1045.00")),  # due today: continues
        OwedInstallment(3, date(2026, 4, 15), Decimal("1045.00")),  # on the plan's first due date
        OwedInstallment(4, date(2026, 5, 15), Decimal("1045.00")),
        OwedInstallment(5, date(2026, 6, 15), Decimal("1045.00")),
        OwedInstallment(6, date(2026, 7, 15), Decimal("1045.00")),  # after the plan
    )
    position = LoanPosition(
        currency="CNY",
        business_date=basis,
        principal=Decimal("1000.00"),
        interest=Decimal("45.00"),
        fee=Decimal("0.00"),
        penalty=Decimal("0.00"),
        outstanding_principal=Decimal("5000.00"),
        contract_rate=Decimal("0.0720"),
        future_installments=(Decimal("1045.00"),) * 5,
    )
    hardship = Hardship(Money.of("3000.00", "CNY"))
    menu = quote(position, hardship, False, installments)
    offer = published(menu)
    arrears = next(option for option in offer.options if option.option_id == "arrears-3")
    computed = next(option for option in menu.options if option.option_id == "arrears-3")

    assert computed.outflow.amounts == (Decimal("2438.33"), Decimal("1393.33"), Decimal("1393.34"))
    assert (arrears.payment_to_disposable_income, arrears.affordable) == (Decimal("0.8128"), False)
    view = offer_view(offer, None, the_ledgers_schedule(installments, "CNY"))
    card = next(card for card in (*view["shown"], *view["folded"]) if card["option_id"] == "arrears-3")
    assert (card["pays_per_month"]["amount"], card["percent"], card["affordable"]) == ("2438.33", Decimal("81.28"), False)


@given(loan=loans())
@settings(max_examples=100, deadline=None)
def test_repayment_tracking_asks_each_month_what_the_offer_judged(loan: Loan) -> None:
    """The plan in force asks each month what the option was judged on (DESIGN.md §3a): for every
    option, repayment-tracking's months (its domain's plan_months, from the option's lines and the
    regular installments that continue beside an arrears plan, from the basis date) are the offer's
    months by the contracts' rule, month by month."""
    position, installments, hardship, verified = loan
    menu = quote(position, hardship, verified, installments)
    assume(menu.options)
    offer = published(menu)
    basis = offer.basis_business_date
    for option in offer.options:
        continuing = option.continuing_installments if option.plan_effect is PlanEffect.ARREARS else ()
        tracked = tracking_months(
            [Due(line.sequence, line.due_date, line.total.amount) for line in option.schedule],
            [Due(item.sequence, item.due_date, item.amount.amount) for item in continuing],
            basis,
        )
        assert tuple(month.total for month in tracked) == option.outflow(basis).amounts, option.option_id


@given(loan=loans())
@settings(max_examples=100, deadline=None)
def test_the_borrowers_page_shows_each_month_the_written_plan_states(loan: Loan) -> None:
    """A number the borrower is told equals the book's: for every option, the months *My options*
    shows on the borrower's page are, one by one, the months of the written plan intake would send
    for it (`written_plan(offer, option).months()`, the rule PlanActivated applies), and its "at
    most a month" is the largest of them."""
    position, installments, hardship, verified = loan
    menu = quote(position, hardship, verified, installments)
    assume(menu.options)
    offer = published(menu)
    view = offer_view(offer, {"state": "offered"}, the_ledgers_schedule(installments, position.currency))
    page = my_options(cast(Application, SimpleNamespace(state=State.OFFERED)), view)
    cards = {card["option_id"]: card for card in (*page.shown, *page.folded)}
    assert len(cards) == len(offer.options)
    for option in offer.options:
        card, written = cards[option.option_id], written_plan(offer, option).months()
        shown = [(month["due_date"], Decimal(month["amount"])) for month in card["month_list"][: len(written)]]
        assert shown == [(month.line.due_date, month.total.amount) for month in written], option.option_id
        assert Decimal(card["pays_per_month"]["amount"]) == max(month.total.amount for month in written), option.option_id
