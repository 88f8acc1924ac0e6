"""Money and Rate: exact decimal strings on the wire, quantized to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tideover_contracts.money import CurrencyMismatchError, Money, Rate, minor_unit, total

# Currencies with 0, 2 and 3 decimals (ISO 4217 minor units via CLDR).
CURRENCIES = ("JPY", "CNY", "USD", "KWD")


def money_in(currency: str) -> st.SearchStrategy[Money]:
    """Any amount of `currency` exact to its minor unit, well inside Decimal's precision."""
    unit = minor_unit(currency)
    return st.integers(min_value=-(10**15), max_value=10**15).map(lambda minor: Money.of(minor * unit, currency))


same_currency_pairs = st.sampled_from(CURRENCIES).flatmap(lambda currency: st.tuples(money_in(currency), money_in(currency)))


class TestWireFormat:
    def test_a_json_number_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="not a JSON number"):
            Money.model_validate_json('{"amount": 12.5, "currency": "CNY"}')

    def test_a_json_integer_is_refused_too(self) -> None:
        with pytest.raises(ValidationError, match="not a JSON number"):
            Money.model_validate_json('{"amount": 12, "currency": "CNY"}')

    def test_more_decimals_than_the_minor_unit_are_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"amount 12\.555 has more decimals than CNY allows \(0\.01\)"):
            Money.model_validate_json('{"amount": "12.555", "currency": "CNY"}')

    def test_a_string_that_is_not_a_number_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="'twelve' is not a decimal number"):
            Money.model_validate_json('{"amount": "twelve", "currency": "CNY"}')

    @pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
    def test_non_finite_amounts_are_refused(self, amount: str) -> None:
        with pytest.raises(ValidationError, match="must be finite"):
            Money.model_validate({"amount": amount, "currency": "CNY"})

    def test_one_decimal_is_accepted_and_serialized_at_the_minor_unit(self) -> None:
        money = Money.model_validate_json('{"amount": "12.5", "currency": "CNY"}')

        assert money.amount == Decimal("12.50")
        assert money.model_dump_json() == '{"amount":"12.50","currency":"CNY"}'

    def test_a_whole_number_string_is_serialized_with_two_decimals(self) -> None:
        assert Money.of("1045", "CNY").model_dump(mode="json") == {"amount": "1045.00", "currency": "CNY"}

    def test_jpy_has_no_decimals(self) -> None:
        assert minor_unit("JPY") == Decimal(1)
        assert Money.of("1045", "JPY").model_dump(mode="json") == {"amount": "1045", "currency": "JPY"}
        with pytest.raises(ValidationError, match=r"more decimals than JPY allows \(1\)"):
            Money.of("1045.5", "JPY")

    def test_kwd_has_three_decimals(self) -> None:
        assert minor_unit("KWD") == Decimal("0.001")
        assert Money.of("1.5", "KWD").model_dump(mode="json") == {"amount": "1.500", "currency": "KWD"}

    def test_an_amount_too_large_to_quantize_is_a_validation_error(self) -> None:
        # "1e30" quantized to 0.01 needs 33 significant digits; Decimal's default context holds 28.
        with pytest.raises(ValidationError):
            Money.model_validate_json('{"amount": "1e30", "currency": "CNY"}')

    def test_an_unknown_currency_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="unknown currency 'XXY'"):
            Money.model_validate_json('{"amount": "1.00", "currency": "XXY"}')

    @given(st.sampled_from(CURRENCIES).flatmap(money_in))
    def test_json_round_trip_is_exact(self, money: Money) -> None:
        assert Money.model_validate_json(money.model_dump_json()) == money


class TestArithmetic:
    def test_adding_and_subtracting_same_currency(self) -> None:
        # 1000.00 + 45.00 = 1045.00; 1045.00 - 348.33 = 696.67
        assert Money.of("1000.00", "CNY") + Money.of("45.00", "CNY") == Money.of("1045.00", "CNY")
        assert Money.of("1045.00", "CNY") - Money.of("348.33", "CNY") == Money.of("696.67", "CNY")

    def test_currency_mismatch_in_addition_raises(self) -> None:
        with pytest.raises(CurrencyMismatchError, match="CNY and USD do not mix"):
            _ = Money.of("1.00", "CNY") + Money.of("1.00", "USD")

    def test_currency_mismatch_in_subtraction_and_comparison_raises(self) -> None:
        with pytest.raises(CurrencyMismatchError):
            _ = Money.of("1.00", "CNY") - Money.of("1.00", "JPY")
        with pytest.raises(CurrencyMismatchError):
            _ = Money.of("1.00", "CNY") < Money.of("2.00", "USD")

    def test_comparisons_and_min(self) -> None:
        small, large = Money.of("348.33", "CNY"), Money.of("348.34", "CNY")

        assert small < large
        assert small <= large
        assert large > small
        assert large >= small
        assert small.min(large) == small
        assert large.min(small) == small

    def test_zero_and_negative(self) -> None:
        assert Money.zero("CNY").is_zero
        assert Money.zero("CNY").model_dump(mode="json") == {"amount": "0.00", "currency": "CNY"}
        assert Money.of("-0.01", "CNY").is_negative
        assert not Money.of("0.01", "CNY").is_negative

    def test_total_adds_up_and_is_zero_for_none(self) -> None:
        # 348.33 + 348.33 + 348.34 = 1045.00
        parts = [Money.of("348.33", "CNY"), Money.of("348.33", "CNY"), Money.of("348.34", "CNY")]

        assert total(parts, "CNY") == Money.of("1045.00", "CNY")
        assert total([], "JPY") == Money.zero("JPY")

    @given(same_currency_pairs)
    def test_adding_then_subtracting_gives_the_original(self, pair: tuple[Money, Money]) -> None:
        a, b = pair
        assert a + b - b == a


class TestRounding:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("0.125", "0.12"),  # tie, 2 is even: stays down
            ("0.135", "0.14"),  # tie, 3 is odd: goes up to the even 4
            ("0.126", "0.13"),  # not a tie: nearest
            ("-0.125", "-0.12"),
        ],
    )
    def test_rounded_uses_half_even_by_default(self, amount: str, expected: str) -> None:
        assert Money.rounded(Decimal(amount), "CNY").amount == Decimal(expected)

    def test_rounded_half_even_for_jpy(self) -> None:
        # 2.5 -> 2 and 3.5 -> 4 under banker's rounding
        assert Money.rounded(Decimal("2.5"), "JPY").amount == Decimal(2)
        assert Money.rounded(Decimal("3.5"), "JPY").amount == Decimal(4)

    def test_rounded_with_a_named_mode(self) -> None:
        assert Money.rounded(Decimal("0.125"), "CNY", rounding=ROUND_HALF_UP).amount == Decimal("0.13")

    def test_exact_construction_does_not_round(self) -> None:
        with pytest.raises(ValidationError, match="more decimals"):
            Money.of(Decimal("0.125"), "CNY")


class TestRate:
    rate = TypeAdapter(Rate)

    @pytest.mark.parametrize("value", ["0", "0.1800", "1"])
    def test_rates_in_zero_to_one_are_accepted(self, value: str) -> None:
        assert self.rate.validate_python(value) == Decimal(value)

    def test_rate_serializes_as_the_same_decimal_string(self) -> None:
        assert self.rate.dump_json(self.rate.validate_json('"0.1800"')) == b'"0.1800"'

    @pytest.mark.parametrize("value", ["1.5", "1.0001", "-0.01"])
    def test_rates_outside_zero_to_one_are_refused(self, value: str) -> None:
        with pytest.raises(ValidationError, match=r"outside \[0, 1\]"):
            self.rate.validate_python(value)

    def test_a_rate_as_json_number_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="not a JSON number"):
            self.rate.validate_json("0.18")
