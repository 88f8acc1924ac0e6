"""PlanActivated.months(): what each plan month asks for, one meaning for every consumer (DESIGN.md §3a)."""

from __future__ import annotations

from datetime import date

from tideover_contracts.events.plans import ContinuingInstallment, PlanActivated
from tideover_contracts.examples import cny, golden_events


def golden_plan() -> PlanActivated:
    return next(event for event in golden_events() if isinstance(event, PlanActivated))


def test_each_month_asks_for_its_line_and_the_regular_installments_due_since_the_previous_one() -> None:
    regular = (
        ContinuingInstallment(sequence=3, due_date=date(2026, 3, 20), amount=cny("1045.00")),  # after the activation
        ContinuingInstallment(sequence=4, due_date=date(2026, 4, 15), amount=cny("1045.00")),  # on month 1's date
        ContinuingInstallment(sequence=5, due_date=date(2026, 5, 16), amount=cny("1045.00")),  # a day after month 2's
        ContinuingInstallment(sequence=6, due_date=date(2026, 7, 15), amount=cny("1045.00")),  # after the last month
    )
    plan = golden_plan().model_copy(update={"continuing_installments": regular})
    months = plan.months()
    assert [[i.sequence for i in month.continuing] for month in months] == [[3, 4], [], [5]]
    assert [month.total for month in months] == [cny("2438.33"), cny("348.33"), cny("1393.34")]


def test_a_plan_without_continuing_installments_asks_for_its_lines() -> None:
    plan = golden_plan().model_copy(update={"continuing_installments": ()})
    assert [month.total for month in plan.months()] == [line.total for line in plan.schedule]


def test_an_installment_due_on_the_basis_date_is_asked_for_in_month_one() -> None:
    """Activation takes an installment due on the basis date over as continuing (it was not yet
    overdue), so month one asks for it: it is neither re-dated nor left out."""
    plan = golden_plan()
    on_basis = ContinuingInstallment(sequence=2, due_date=plan.basis_business_date, amount=cny("1045.00"))
    before = ContinuingInstallment(sequence=1, due_date=plan.basis_business_date.replace(day=1), amount=cny("1045.00"))
    months = plan.model_copy(update={"continuing_installments": (before, on_basis)}).months()
    assert [[i.sequence for i in month.continuing] for month in months] == [[2], [], []]
