"""Schedules against an independent implementation (numpy-financial's pmt and ipmt)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.domain.amortization import annuity, equal_principal, level_payment

RATES = [Decimal("0"), Decimal("0.0720"), Decimal("0.18"), Decimal("0.24")]
TERMS = [3, 12, 36, 60]
# Ordinary amounts, odd cents, a principal that does not divide evenly, and a large loan.
PRINCIPALS = [Decimal("1000.00"), Decimal("3333.33"), Decimal("10000.01"), Decimal("12345.67"), Decimal("500000.00")]
FIRST_DUE = date(2026, 1, 31)
# numpy-financial divides by a zero rate before it takes its zero-rate branch.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
CASES = [(p, r, n) for p in PRINCIPALS for r in RATES for n in TERMS]


def cents(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("principal", "rate", "months"), CASES)
def test_the_level_payment_is_pmt_rounded_half_up_to_the_cent(principal: Decimal, rate: Decimal, months: int) -> None:
    expected = cents(-npf.pmt(float(rate) / 12, months, float(principal)))
    assert level_payment(principal, rate, months) == expected


@pytest.mark.parametrize(("principal", "rate", "months"), CASES)
def test_annuity_schedule_follows_the_documented_rules(principal: Decimal, rate: Decimal, months: int) -> None:
    lines = annuity(principal, rate, months, FIRST_DUE).lines
    payment = level_payment(principal, rate, months)
    monthly = rate / 12

    # Parts add up exactly, and every installment but the last pays the level payment.
    assert sum(line.principal for line in lines) == principal
    assert all(line.total == payment for line in lines[:-1])
    # Each period's interest is the monthly rate on the balance before it, rounded half-up.
    balance = principal
    for line in lines:
        assert line.interest == (balance * monthly).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        balance -= line.principal
    assert balance == 0
    # The first period's interest is ipmt's; the last installment absorbs the rounding
    # remainder, so it stays within a few cents of the level payment.
    assert lines[0].interest == cents(-npf.ipmt(float(monthly), 1, months, float(principal)))
    assert abs(lines[-1].total - payment) <= Decimal("0.01") * months
    assert [line.due_date.month for line in lines[:2]] == [1, 2]
    assert lines[1].due_date == date(2026, 2, 28)  # 31 January + 1 month


@pytest.mark.parametrize(("principal", "rate", "months"), CASES)
def test_equal_principal_schedule_adds_up_with_falling_interest(principal: Decimal, rate: Decimal, months: int) -> None:
    lines = equal_principal(principal, rate, months, FIRST_DUE).lines
    assert sum(line.principal for line in lines) == principal
    assert len({line.principal for line in lines[:-1]}) <= 1
    assert all(later.interest <= earlier.interest for earlier, later in itertools.pairwise(lines))


def test_a_worked_annuity() -> None:
    # 10,000.00 at 18% a year over 12 months: r = 0.015, (1.015)^12 = 1.195618...,
    # payment = 10000 × 0.015 × 1.195618 / 0.195618 = 916.7999 → 916.80.
    # Month 1: interest 10000 × 0.015 = 150.00, principal 766.80, balance 9,233.20.
    lines = annuity(Decimal("10000.00"), Decimal("0.18"), 12, FIRST_DUE).lines
    assert (lines[0].principal, lines[0].interest) == (Decimal("766.80"), Decimal("150.00"))
    assert (lines[1].principal, lines[1].interest) == (Decimal("778.30"), Decimal("138.50"))  # 9,233.20 × 0.015 = 138.498
    assert lines[-1].total == Decimal("916.81")  # 903.26 + 13.55: the last takes the remainder
    assert sum(line.total for line in lines) == Decimal("11001.61")


@given(
    principal=st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100),
    rate=st.integers(min_value=0, max_value=3600).map(lambda r: Decimal(r) / 10000),
    months=st.integers(min_value=1, max_value=60),
)
@settings(max_examples=300, deadline=None)
def test_any_schedule_repays_exactly_the_principal_with_no_negative_part(principal: Decimal, rate: Decimal, months: int) -> None:
    for schedule in (annuity, equal_principal):
        lines = schedule(principal, rate, months, FIRST_DUE).lines
        assert sum(line.principal for line in lines) == principal
        assert all(line.principal >= 0 and line.interest >= 0 for line in lines)
        assert len(lines) == months
