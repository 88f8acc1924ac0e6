"""Plan options: even splits whose parts add up, arrears schedules, affordability (DESIGN.md §4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plan_calculation.domain.calendar import add_months
from plan_calculation.domain.options import (
    ComputedOption,
    Hardship,
    Parts,
    arrears_installments,
    disposable_income_needed,
    split,
)
from tideover_contracts import outflow
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import Money, minor_unit


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def overdue_1045() -> Parts:
    return Parts(principal=Decimal("1000.00"), interest=Decimal("45.00"), fee=Decimal("0.00"), penalty=Decimal("0.00"))


def arrears_option(owed: Parts, months: int, first_due: date) -> ComputedOption:
    schedule = arrears_installments(owed, months, first_due, Decimal("0.01"))
    return ComputedOption(f"arrears-{months}", OptionKind.ARREARS_INSTALLMENTS, schedule, "CNY")


def arrears_3() -> ComputedOption:
    return arrears_option(overdue_1045(), 3, date(2026, 4, 15))


def split_evenly(amount: Money, parts: int) -> list[Money]:
    return [Money.of(part, amount.currency) for part in split(amount.amount, parts, minor_unit(amount.currency))]


class TestSplitEvenly:
    def test_the_last_part_absorbs_the_remainder(self) -> None:
        # 1000.00 / 3 = 333.333... -> 333.33, 333.33 and 1000.00 - 666.66 = 333.34
        assert split_evenly(cny("1000.00"), 3) == [cny("333.33"), cny("333.33"), cny("333.34")]

    def test_parts_round_down_even_when_the_quotient_would_round_up(self) -> None:
        # 200.00 / 3 = 66.666... -> 66.66 (not 66.67); the last is 200.00 - 133.32 = 66.68
        assert split_evenly(cny("200.00"), 3) == [cny("66.66"), cny("66.66"), cny("66.68")]

    def test_jpy_splits_in_whole_yen(self) -> None:
        # 1000 / 3 = 333 r 1 -> 333, 333, 334
        assert split_evenly(Money.of("1000", "JPY"), 3) == [Money.of(333, "JPY"), Money.of(333, "JPY"), Money.of(334, "JPY")]

    def test_one_part_is_the_whole(self) -> None:
        assert split_evenly(cny("45.01"), 1) == [cny("45.01")]

    def test_less_than_one_minor_unit_per_part(self) -> None:
        assert split_evenly(cny("0.02"), 3) == [cny("0.00"), cny("0.00"), cny("0.02")]

    @given(
        currency=st.sampled_from(["CNY", "JPY", "KWD"]),
        minor_units=st.integers(min_value=0, max_value=10**12),
        parts=st.integers(min_value=1, max_value=60),
    )
    def test_parts_add_up_and_only_the_last_differs_by_less_than_a_unit_per_part(
        self, currency: str, minor_units: int, parts: int
    ) -> None:
        unit = minor_unit(currency)
        whole = Money.of(minor_units * unit, currency)

        split = split_evenly(whole, parts)

        assert len(split) == parts
        assert sum((part.amount for part in split), Decimal(0)) == whole.amount
        assert len({part.amount for part in split[:-1]}) <= 1
        remainder = split[-1].amount - split[0].amount
        assert Decimal(0) <= remainder <= (parts - 1) * unit


class TestArrearsInstallments:
    def test_1045_over_three_months(self) -> None:
        # principal 1000.00 -> 333.33, 333.33, 333.34; interest 45.00 -> 15.00 each
        # totals 348.33, 348.33, 348.34 (sum 1045.00)
        option = arrears_3()

        assert [line.total for line in option.schedule] == [Decimal("348.33"), Decimal("348.33"), Decimal("348.34")]
        assert [line.principal for line in option.schedule] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
        assert [line.interest for line in option.schedule] == [Decimal("15.00")] * 3
        assert [line.sequence for line in option.schedule] == [1, 2, 3]
        assert option.total_payable == Decimal("1045.00")
        assert option.largest_payment == Decimal("348.34")
        assert option.waived.total == 0

    def test_due_dates_are_monthly_from_the_first(self) -> None:
        assert [line.due_date for line in arrears_3().schedule] == [date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15)]

    def test_due_dates_from_a_month_end_do_not_drift(self) -> None:
        # Each date is counted from the first one: 31 Jan, 28 Feb, 31 Mar (not 28 Mar).
        option = arrears_option(overdue_1045(), 3, date(2026, 1, 31))

        assert [line.due_date for line in option.schedule] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]

    def test_penalty_and_fee_are_split_too(self) -> None:
        # penalty 10.00 -> 3.33, 3.33, 3.34; fee 1.00 -> 0.33, 0.33, 0.34
        overdue = Parts(principal=Decimal("1000.00"), interest=Decimal("45.00"), fee=Decimal("1.00"), penalty=Decimal("10.00"))

        option = arrears_option(overdue, 3, date(2026, 4, 15))

        assert [line.penalty for line in option.schedule] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
        assert [line.fee for line in option.schedule] == [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]
        assert option.total_payable == Decimal("1056.00")

    def test_sixty_months_is_the_longest_plan(self) -> None:
        option = arrears_option(overdue_1045(), 60, date(2026, 4, 15))

        assert len(option.schedule) == 60
        assert option.schedule[-1].due_date == date(2031, 3, 15)
        assert option.total_payable == Decimal("1045.00")

    @pytest.mark.parametrize("months", [0, -1, 61])
    def test_months_outside_one_to_sixty_are_refused(self, months: int) -> None:
        with pytest.raises(ValueError, match=f"a plan runs 1 to 60 months, not {months}"):
            arrears_installments(overdue_1045(), months, date(2026, 4, 15), Decimal("0.01"))


class TestAffordability:
    def test_hardship_from_budget(self) -> None:
        # 4000.00 income - 2000.00 essential expenses = 2000.00 disposable
        assert Hardship.from_budget(cny("4000.00"), cny("2000.00")).disposable_income == cny("2000.00")

    def test_negative_disposable_income_is_floored_at_zero(self) -> None:
        assert Hardship.from_budget(cny("3000.00"), cny("3500.00")).disposable_income == cny("0.00")

    def test_largest_payment_exactly_half_of_disposable_income_is_affordable(self) -> None:
        # 50% of 696.68 = 348.34, the largest payment
        assert arrears_3().affordable(Hardship(cny("696.68")))

    def test_one_cent_less_disposable_income_is_not_affordable(self) -> None:
        # 50% of 696.67 = 348.335 < 348.34
        assert not arrears_3().affordable(Hardship(cny("696.67")))

    def test_nothing_is_affordable_on_zero_disposable_income(self) -> None:
        hardship = Hardship.from_budget(cny("3000.00"), cny("3500.00"))

        assert not arrears_3().affordable(hardship)
        assert arrears_3().payment_to_disposable_income(hardship) == Decimal("999.9999")

    def test_payment_to_disposable_income(self) -> None:
        # 348.34 / 2000.00 = 0.17417 -> 0.1742
        assert arrears_3().payment_to_disposable_income(Hardship(cny("2000.00"))) == Decimal("0.1742")

    def test_payment_to_disposable_income_rounds_up_so_that_at_most_half_is_affordable(self) -> None:
        # 348.34 / 696.67 = 0.500007... -> 0.5001, not 0.5000: one cent short is not affordable.
        assert arrears_3().payment_to_disposable_income(Hardship(cny("696.67"))) == Decimal("0.5001")
        assert arrears_3().payment_to_disposable_income(Hardship(cny("696.68"))) == Decimal("0.5000")

    def test_disposable_income_needed_is_twice_the_largest_payment(self) -> None:
        # 348.34 / 0.50 = 696.68
        assert disposable_income_needed([arrears_3()]) == cny("696.68")

    def test_disposable_income_needed_rounds_up(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # With a 30% share: 348.34 / 0.30 = 1161.1333... -> 1161.14 (rounding down would give 1161.13)
        monkeypatch.setattr(outflow, "AFFORDABILITY_SHARE", Decimal("0.30"))

        assert disposable_income_needed([arrears_3()]) == cny("1161.14")

    def test_disposable_income_needed_is_the_least_affordable_income(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # 30% of 1161.14 = 348.342 >= 348.34, but 30% of 1161.13 = 348.339 < 348.34
        monkeypatch.setattr(outflow, "AFFORDABILITY_SHARE", Decimal("0.30"))
        needed = disposable_income_needed([arrears_3()])

        assert arrears_3().affordable(Hardship(needed))
        assert not arrears_3().affordable(Hardship(needed - cny("0.01")))


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2026, 1, 31), 1, date(2026, 2, 28)),  # 2026 is not a leap year
            (date(2028, 1, 31), 1, date(2028, 2, 29)),  # 2028 is
            (date(2026, 3, 31), 1, date(2026, 4, 30)),
            (date(2026, 1, 15), 1, date(2026, 2, 15)),
            (date(2026, 11, 30), 2, date(2027, 1, 30)),  # across the year end
            (date(2026, 12, 15), 12, date(2027, 12, 15)),
            (date(2026, 1, 31), 0, date(2026, 1, 31)),
            (date(2026, 3, 31), -1, date(2026, 2, 28)),
            (date(2026, 1, 15), -1, date(2025, 12, 15)),
        ],
    )
    def test_add_months_clamps_to_the_last_day_of_the_month(self, day: date, months: int, expected: date) -> None:
        assert add_months(day, months) == expected
