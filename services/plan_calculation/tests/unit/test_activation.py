"""What a plan takes over of the loan's installments, and when no plan may be activated
(DESIGN.md §3a)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plan_calculation.domain.activation import (
    LoanStanding,
    OwedInstallment,
    materially_changed,
    refusal_to_activate,
    taken_over,
)
from tideover_contracts.events.negotiation import PlanEffect

BASIS = date(2026, 2, 18)
LOAN = uuid.UUID(int=5)


def owed(sequence: int, due: date, amount: str) -> OwedInstallment:
    return OwedInstallment(sequence, due, Decimal(amount))


#: A 6-month loan two installments in arrears on 18 Feb (the second partly paid), the third
#: prepaid in full, the rest not yet due.
SCHEDULE = (
    owed(1, date(2026, 1, 15), "1045.00"),
    owed(2, date(2026, 2, 15), "500.00"),
    owed(3, date(2026, 3, 15), "0.00"),
    owed(4, date(2026, 4, 15), "1045.00"),
    owed(5, date(2026, 5, 15), "1045.00"),
    owed(6, date(2026, 6, 15), "1045.00"),
)


def test_an_arrears_plan_re_dates_the_arrears_and_keeps_what_falls_due_during_it() -> None:
    taken = taken_over(PlanEffect.ARREARS, BASIS, SCHEDULE, last_plan_due=date(2026, 5, 18))
    assert taken.replaced == (1, 2)
    # The prepaid installment asks for nothing; the June one falls due after the plan's last month.
    assert taken.continuing == (owed(4, date(2026, 4, 15), "1045.00"), owed(5, date(2026, 5, 15), "1045.00"))


def test_an_installment_due_on_the_basis_date_is_not_yet_overdue_so_it_continues_as_does_one_on_the_last_plan_date() -> None:
    """Overdue from the day after the due date (DESIGN.md §4): on its due date an installment is
    not in the arrears the offer was computed on, so the plan's first month asks for it."""
    schedule = (
        owed(0, date(2026, 2, 15), "100.00"),
        owed(1, BASIS, "100.00"),
        owed(2, date(2026, 3, 18), "100.00"),
        owed(3, date(2026, 3, 19), "100.00"),
    )
    taken = taken_over(PlanEffect.ARREARS, BASIS, schedule, last_plan_due=date(2026, 3, 18))
    assert taken.replaced == (0,)
    assert [item.sequence for item in taken.continuing] == [1, 2]


def test_a_reschedule_replaces_every_installment_with_something_owed_and_nothing_continues() -> None:
    taken = taken_over(PlanEffect.RESCHEDULE, BASIS, SCHEDULE, last_plan_due=date(2027, 6, 18))
    assert taken.replaced == (1, 2, 4, 5, 6)
    assert taken.continuing == ()


def test_installments_are_taken_oldest_first_whatever_order_they_come_in() -> None:
    taken = taken_over(PlanEffect.ARREARS, BASIS, tuple(reversed(SCHEDULE)), last_plan_due=date(2026, 6, 18))
    assert taken.replaced == (1, 2)
    assert [item.sequence for item in taken.continuing] == [4, 5, 6]


@st.composite
def schedules(draw: st.DrawFn) -> tuple[tuple[OwedInstallment, ...], date]:
    count = draw(st.integers(0, 24))
    first = draw(st.dates(date(2025, 1, 1), date(2027, 1, 1)))
    amounts = st.integers(0, 500_000).map(lambda cents: Decimal(cents) / 100)
    items = tuple(OwedInstallment(n + 1, first + timedelta(days=30 * n), draw(amounts)) for n in range(count))
    return items, draw(st.dates(date(2025, 1, 1), date(2029, 1, 1)))


@given(case=schedules(), basis=st.dates(date(2025, 1, 1), date(2028, 1, 1)))
def test_no_installment_is_both_replaced_and_continuing_and_none_owing_is_forgotten(
    case: tuple[tuple[OwedInstallment, ...], date], basis: date
) -> None:
    installments, last_due = case
    arrears = taken_over(PlanEffect.ARREARS, basis, installments, last_due)
    continuing = {item.sequence for item in arrears.continuing}
    assert not set(arrears.replaced) & continuing
    owing = {item.sequence for item in installments if item.owed > 0}
    assert set(arrears.replaced) == {item.sequence for item in installments if item.owed > 0 and item.due_date < basis}
    assert continuing == {item.sequence for item in installments if item.owed > 0 and basis <= item.due_date <= last_due}
    assert set(taken_over(PlanEffect.RESCHEDULE, basis, installments, last_due).replaced) == owing
    assert all(item in installments for item in arrears.continuing)  # with what was owed at the basis date


def test_a_loan_with_nothing_against_it_may_get_a_plan() -> None:
    assert refusal_to_activate(LoanStanding(LOAN), BASIS) is None
    # A cure before the offer's basis date was an earlier episode: the offer is on the new arrears.
    assert refusal_to_activate(LoanStanding(LOAN, cured_on=BASIS - timedelta(days=1)), BASIS) is None


def test_a_second_plan_is_refused_naming_the_plan_in_force() -> None:
    plan = uuid.UUID(int=9)
    refusal = refusal_to_activate(LoanStanding(LOAN, active_plan_id=plan), BASIS)
    assert refusal is not None
    assert refusal.code == "plan_already_active"
    assert str(plan) in refusal.message


def test_a_loan_cured_since_the_offer_gets_no_plan() -> None:
    for cured_on in (BASIS, BASIS + timedelta(days=3)):
        refusal = refusal_to_activate(LoanStanding(LOAN, cured_on=cured_on), BASIS)
        assert refusal is not None
        assert refusal.code == "loan_cured"
        assert cured_on.isoformat() in refusal.message


def test_a_closed_loan_gets_no_plan_whatever_else_is_true() -> None:
    standing = LoanStanding(LOAN, closed_on=date(2026, 2, 20), cured_on=date(2026, 2, 20), active_plan_id=uuid.UUID(int=9))
    refusal = refusal_to_activate(standing, BASIS)
    assert refusal is not None
    assert (refusal.code, "2026-02-20" in refusal.message) == ("loan_closed", True)


def test_a_plan_in_force_explains_a_refusal_before_the_cure_it_may_have_caused() -> None:
    standing = LoanStanding(LOAN, cured_on=BASIS + timedelta(days=1), active_plan_id=uuid.UUID(int=9))
    refusal = refusal_to_activate(standing, BASIS)
    assert refusal is not None
    assert refusal.code == "plan_already_active"


def test_only_a_material_change_quotes_again() -> None:
    """DESIGN.md §3a: a payment that moved the quoted arrears by more than the tolerance (1% or
    10.00), or an installment newly due; never penalty accrued since the quote."""
    quoted = Decimal("1045.00")
    assert not materially_changed(quoted, quoted)  # only penalty accrued since: the quote stands
    assert not materially_changed(quoted, quoted - Decimal("10.45"))  # within 1% of the arrears
    assert materially_changed(quoted, quoted - Decimal("10.46"))
    assert not materially_changed(Decimal("300.00"), Decimal("290.00"))  # within the 10.00 floor
    assert materially_changed(quoted, quoted + Decimal("1045.00"))  # the next installment fell due unpaid


def test_an_installment_newly_due_quotes_again_an_arrears_plan_only() -> None:
    """DESIGN.md §3a: "a regular installment newly due and unpaid (arrears plans)"; a reschedule
    takes over every installment, so only a payment beyond the tolerance re-quotes it — an early
    offer (nothing overdue quoted) included."""
    for quoted in (Decimal("1045.00"), Decimal(0)):
        assert not materially_changed(quoted, quoted + Decimal("1045.00"), PlanEffect.RESCHEDULE)
        assert materially_changed(quoted, quoted + Decimal("1045.00"), PlanEffect.ARREARS)
    assert materially_changed(Decimal("1045.00"), Decimal("545.00"), PlanEffect.RESCHEDULE)  # a payment
    assert not materially_changed(Decimal("1045.00"), Decimal("1040.00"), PlanEffect.RESCHEDULE)


def test_a_cure_does_not_refuse_an_offer_that_quoted_no_arrears() -> None:
    """An early offer (DESIGN.md §4) quoted nothing overdue: an installment that fell due, went
    overdue and was paid before the borrower confirmed does not undo it."""
    standing = LoanStanding(LOAN, cured_on=BASIS + timedelta(days=5))
    assert refusal_to_activate(standing, BASIS, quoted_arrears=False) is None
    refused = refusal_to_activate(standing, BASIS, quoted_arrears=True)
    assert refused is not None
    assert refused.code == "loan_cured"
    closed = LoanStanding(LOAN, closed_on=BASIS + timedelta(days=5))
    still = refusal_to_activate(closed, BASIS, quoted_arrears=False)
    assert still is not None
    assert still.code == "loan_closed"
