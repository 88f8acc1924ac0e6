"""Repayment schedules: annuity (equal payments) and equal principal.

Rules, named once (STYLE.md, Money):
- the monthly rate is the yearly contract rate / 12 (nominal, as the contract states it);
- amounts are rounded to the currency's minor unit (the cent for CNY and USD);
- the level payment is the annuity formula's payment rounded half-up to the minor unit;
- each period's interest is the monthly rate × the balance before it, rounded half-up;
- every installment but the last pays the level payment; the last pays the whole remaining
  balance and its interest, so the parts always add up to the principal exactly;
- interest accrued while nothing is paid (a payment holiday) is each month's interest on the
  unchanged balance, rounded the same way, and never compounded: it is owed as interest, not
  added to the principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from plan_calculation.domain.calendar import monthly_due_dates

CENT = Decimal("0.01")
SCHEDULE_ROUNDING = ROUND_HALF_UP
MONTHS_A_YEAR = 12


@dataclass(frozen=True, slots=True)
class Line:
    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True, slots=True)
class Amortized:
    """A schedule as columns (a menu builds several; objects per line would cost more than
    the arithmetic)."""

    due_dates: tuple[date, ...]
    principal: tuple[Decimal, ...]
    interest: tuple[Decimal, ...]

    @property
    def lines(self) -> list[Line]:
        return [
            Line(n, *parts) for n, parts in enumerate(zip(self.due_dates, self.principal, self.interest, strict=True), start=1)
        ]


def _cents(amount: Decimal, unit: Decimal = CENT) -> Decimal:
    return amount.quantize(unit, rounding=SCHEDULE_ROUNDING)


def monthly_rate(yearly_rate: Decimal) -> Decimal:
    return yearly_rate / MONTHS_A_YEAR


def level_payment(principal: Decimal, yearly_rate: Decimal, months: int, unit: Decimal = CENT) -> Decimal:
    """The annuity payment P·r·(1+r)^n / ((1+r)^n − 1), or P / n at a zero rate, to the cent."""
    if months < 1:
        raise ValueError("a schedule has at least one month")
    rate = monthly_rate(yearly_rate)
    if rate == 0:
        return _cents(principal / months, unit)
    growth = _compound_growth(rate, months)
    return _cents(principal * rate * (1 + growth) / growth, unit)


def _compound_growth(rate: Decimal, months: int) -> Decimal:
    """(1+r)^n − 1 as the binomial sum Σ C(n,k)·r^k: every term is positive, so no digits
    cancel. Subtracting 1 from (1+r)^n instead loses them all for a tiny rate (1e-20 a year gave
    a payment 0.06 off; 1e-30 divided by zero)."""
    growth, term = Decimal(0), Decimal(1)
    for k in range(1, months + 1):
        term = term * rate * (months - k + 1) / k
        growth += term
    return growth


def accrued_interest(principal: Decimal, yearly_rate: Decimal, months: int, unit: Decimal = CENT) -> Decimal:
    """The interest `principal` accrues over `months` months in which nothing is paid: each
    month's, rounded as a schedule's line is, on the same balance (not compounded)."""
    return _cents(principal * monthly_rate(yearly_rate), unit) * months


def annuity(principal: Decimal, yearly_rate: Decimal, months: int, first_due: date, unit: Decimal = CENT) -> Amortized:
    """Equal payments; the last installment absorbs the rounding remainder. `unit`: the
    currency's minor unit (the cent unless told)."""
    payment = level_payment(principal, yearly_rate, months, unit)
    rate = monthly_rate(yearly_rate)
    balance = principal
    parts, interests = [], []
    for sequence in range(1, months + 1):
        interest = _cents(balance * rate, unit)
        part = balance if sequence == months else min(balance, payment - interest)
        parts.append(part)
        interests.append(interest)
        balance -= part
    return Amortized(monthly_due_dates(first_due, months), tuple(parts), tuple(interests))


def equal_principal(principal: Decimal, yearly_rate: Decimal, months: int, first_due: date, unit: Decimal = CENT) -> Amortized:
    """The same principal each month (rounded down to the cent, the last takes the rest),
    with interest on the falling balance."""
    if months < 1:
        raise ValueError("a schedule has at least one month")
    rate = monthly_rate(yearly_rate)
    part = (principal / months).quantize(unit, rounding=ROUND_DOWN)
    parts = (part,) * (months - 1) + (principal - part * (months - 1),)
    interests = []
    balance = principal
    for this_part in parts:
        interests.append(_cents(balance * rate, unit))
        balance -= this_part
    return Amortized(monthly_due_dates(first_due, months), parts, tuple(interests))
