"""What an option asks each month and whether it is affordable: the contracts' one definition
(tideover_contracts.outflow), which plan-calculation and the agents' console both apply."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tideover_contracts.common import plan_month_of
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.plans import PlanOffered, PlanRejected
from tideover_contracts.examples import golden_events
from tideover_contracts.examples.negotiation import plan_events
from tideover_contracts.outflow import NO_INCOME_SHARE, Outflow, OutflowMonth, affordable, income_needed, share_of_income

D = Decimal
BASIS = date(2026, 3, 15)
DUE = (date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15))
LINES = (D("348.33"), D("348.33"), D("348.34"))
#: The loan's regular installments: one due on the basis date, one on each plan date, one after.
REGULAR = [(date(2026, m, 15), D("1045.00")) for m in (3, 4, 5, 6, 7)]


@pytest.mark.parametrize(
    ("due", "month"),
    [
        (date(2026, 3, 14), None),  # before the basis: overdue, re-dated by the plan, not beside it
        (BASIS, 0),  # due on the basis date: not yet overdue, it continues in the first month
        (date(2026, 4, 15), 0),  # on the first month's date
        (date(2026, 4, 16), 1),
        (date(2026, 6, 15), 2),
        (date(2026, 6, 16), None),  # after the last month: the loan's, not the plan's
    ],
)
def test_each_regular_installment_falls_in_one_plan_month_or_none(due: date, month: int | None) -> None:
    assert plan_month_of(due, DUE, BASIS) == month


def test_an_arrears_month_is_its_line_and_the_regular_installments_due_in_it() -> None:
    outflow = Outflow.of(PlanEffect.ARREARS, DUE, LINES, REGULAR, BASIS)

    assert outflow.regular == (D("2090.00"), D("1045.00"), D("1045.00"))
    assert outflow.amounts == (D("2438.33"), D("1393.33"), D("1393.34"))
    assert outflow.months[0] == OutflowMonth(DUE[0], D("348.33"), D("2090.00"))
    assert (outflow.pays_per_month, outflow.total) == (D("2438.33"), D("5225.00"))


def test_a_reschedule_asks_its_own_lines_whatever_the_loans_schedule() -> None:
    outflow = Outflow.of(PlanEffect.RESCHEDULE, DUE, LINES, REGULAR, BASIS)

    assert outflow.amounts == LINES
    assert [month.regular for month in outflow.months] == [D(0)] * 3
    assert outflow.pays_per_month == D("348.34")


def test_a_payment_holiday_is_judged_on_its_holiday_months() -> None:
    holiday = Outflow(DUE, (D("0.00"), D("0.00"), D("1563.18")))

    assert (holiday.judged(2), holiday.judged(), holiday.pays_per_month) == (D("0.00"), D("1563.18"), D("1563.18"))


def test_affordable_is_at_most_half_of_disposable_income_and_the_share_says_so() -> None:
    assert affordable(D("348.34"), D("696.68"))
    assert not affordable(D("348.34"), D("696.67"))
    # Rounded up: one cent short of affordable is never stated as 0.5000.
    assert share_of_income(D("348.34"), D("696.68")) == D("0.5000")
    assert share_of_income(D("348.34"), D("696.67")) == D("0.5001")
    assert share_of_income(D("348.34"), D("2000.00")) == D("0.1742")
    assert income_needed(D("348.34")) == D("696.68")


def test_without_disposable_income_only_nothing_to_pay_is_affordable() -> None:
    assert share_of_income(D("1.00"), D(0)) == NO_INCOME_SHARE
    assert affordable(D("0.00"), D(0))
    assert not affordable(D("0.01"), D(0))


def test_an_offered_option_states_its_months_by_the_same_rule() -> None:
    offer = next(event for event in golden_events() if isinstance(event, PlanOffered))
    option = offer.options[0]  # arrears-3, installment 3 (1,045.00) due in its first month

    outflow = option.outflow(offer.basis_business_date)

    assert outflow.amounts == (D("1393.33"), D("348.33"), D("348.34"))
    assert outflow.pays_per_month == D("1393.33")


def test_the_golden_offer_states_its_share_and_verdict_by_the_rule() -> None:
    """The contracts' own example obeys the rule every consumer reads it by: its share is the
    largest plan month (line and the regular installment due with it) of its disposable income."""
    offer = next(event for event in plan_events() if isinstance(event, PlanOffered))
    rejected = next(event for event in plan_events() if isinstance(event, PlanRejected))
    for option in offer.options:
        judged = option.outflow(offer.basis_business_date).judged()
        assert option.payment_to_disposable_income == share_of_income(judged, offer.disposable_income.amount)
        assert option.affordable is affordable(judged, offer.disposable_income.amount)
        assert rejected.disposable_income_needed.amount == income_needed(judged)
