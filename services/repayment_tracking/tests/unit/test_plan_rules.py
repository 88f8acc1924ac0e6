"""Plan rules: payments oldest first, missed after 3 grace days beyond a tolerance, broken at 30 days unpaid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from repayment_tracking.domain.plan_rules import PlanInstallment, apply_payment, is_missed, unpaid_too_long

D = Decimal
DUE = date(2026, 4, 15)


def installment(amount: str, paid: str = "0.00", sequence: int = 1, due: date = DUE, missed: bool = False) -> PlanInstallment:
    return PlanInstallment(sequence=sequence, due_date=due, amount=D(amount), paid=D(paid), missed=missed)


def plan_1045() -> list[PlanInstallment]:
    """The golden plan: 348.33, 348.33, 348.34 due monthly from 15 April."""
    return [
        installment("348.33", sequence=1, due=date(2026, 4, 15)),
        installment("348.33", sequence=2, due=date(2026, 5, 15)),
        installment("348.34", sequence=3, due=date(2026, 6, 15)),
    ]


class TestApplyPayment:
    def test_a_payment_of_exactly_one_installment(self) -> None:
        assert apply_payment(D("348.33"), plan_1045()) == ([(1, D("348.33"))], D("0.00"))

    def test_a_partial_payment_goes_to_the_oldest(self) -> None:
        assert apply_payment(D("100.00"), plan_1045()) == ([(1, D("100.00"))], D("0.00"))

    def test_a_payment_spills_over_to_the_next_installment(self) -> None:
        # 500.00 - 348.33 = 151.67 for #2
        assert apply_payment(D("500.00"), plan_1045()) == ([(1, D("348.33")), (2, D("151.67"))], D("0.00"))

    def test_a_partly_paid_installment_takes_only_its_shortfall(self) -> None:
        # #1 is short 348.33 - 300.00 = 48.33; 100.00 - 48.33 = 51.67 for #2
        plan = [installment("348.33", paid="300.00", sequence=1), *plan_1045()[1:]]

        assert apply_payment(D("100.00"), plan) == ([(1, D("48.33")), (2, D("51.67"))], D("0.00"))

    def test_paid_installments_are_skipped(self) -> None:
        plan = [installment("348.33", paid="348.33", sequence=1), *plan_1045()[1:]]

        assert apply_payment(D("10.00"), plan) == ([(2, D("10.00"))], D("0.00"))

    def test_the_excess_over_the_whole_plan_is_returned(self) -> None:
        # 1100.00 - (348.33 + 348.33 + 348.34 = 1045.00) = 55.00
        applied, excess = apply_payment(D("1100.00"), plan_1045())

        assert applied == [(1, D("348.33")), (2, D("348.33")), (3, D("348.34"))]
        assert excess == D("55.00")

    def test_installments_are_taken_by_sequence_not_by_list_order(self) -> None:
        assert apply_payment(D("400.00"), list(reversed(plan_1045()))) == ([(1, D("348.33")), (2, D("51.67"))], D("0.00"))


class TestIsMissed:
    def test_not_missed_within_the_three_grace_days(self) -> None:
        unpaid = installment("348.33")

        assert not is_missed(unpaid, DUE)
        assert not is_missed(unpaid, DUE + timedelta(days=3))

    def test_missed_on_the_fourth_day(self) -> None:
        assert is_missed(installment("348.33"), DUE + timedelta(days=4))

    @pytest.mark.parametrize(
        ("amount", "paid", "missed"),
        [
            # 1% of 348.33 = 3.48 < 10.00, so the tolerance is 10.00
            ("348.33", "338.34", False),  # short 9.99
            ("348.33", "338.33", False),  # short exactly 10.00: does not exceed the tolerance
            ("348.33", "338.32", True),  # short 10.01
            # 1% of 5000.00 = 50.00 > 10.00, so the tolerance is 50.00
            ("5000.00", "4951.00", False),  # short 49.00
            ("5000.00", "4950.00", False),  # short exactly 50.00
            ("5000.00", "4949.00", True),  # short 51.00
        ],
    )
    def test_shortfall_must_exceed_the_larger_of_one_percent_and_ten(self, amount: str, paid: str, missed: bool) -> None:
        assert is_missed(installment(amount, paid), DUE + timedelta(days=4)) is missed

    def test_a_large_shortfall_within_the_grace_days_is_not_missed(self) -> None:
        assert not is_missed(installment("5000.00", "4000.00"), DUE + timedelta(days=3))

    def test_an_installment_already_marked_missed_is_not_missed_again(self) -> None:
        assert not is_missed(installment("348.33", missed=True), DUE + timedelta(days=10))

    def test_a_paid_installment_is_never_missed(self) -> None:
        assert not is_missed(installment("348.33", "348.33"), DUE + timedelta(days=60))


class TestUnpaidTooLong:
    def test_not_before_thirty_days(self) -> None:
        assert not unpaid_too_long(installment("348.33"), DUE + timedelta(days=29))

    def test_at_thirty_days(self) -> None:
        assert unpaid_too_long(installment("348.33"), DUE + timedelta(days=30))

    def test_a_partly_paid_installment_counts(self) -> None:
        # 348.33 - 100.00 = 248.33 still unpaid after 30 days
        assert unpaid_too_long(installment("348.33", "100.00"), DUE + timedelta(days=30))

    def test_a_paid_installment_is_never_unpaid_too_long(self) -> None:
        assert not unpaid_too_long(installment("348.33", "348.33"), DUE + timedelta(days=365))
