"""Repayment schedules: annuity (equal payments) and equal principal.

Rules, named once (STYLE.md, Money):
- the monthly rate is the yearly contract rate / 12 (nominal, as the contract states it);
- the level payment is the annuity formula's payment rounded half-up to the cent;
- each period's interest is the monthly rate × the balance before it, rounded half-up to the cent;
- every installment but the last pays the level payment; the last pays the whole remaining
  balance and its interest, so the parts always add up to the principal exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from plan_calculation.domain.calendar import add_months

CENT = Decimal("0.01")
SCHEDULE_ROUNDING = ROUND_HALF_UP
MONTHS_A_YEAR = 12


@dataclass(frozen=True)
class Line:
    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=SCHEDULE_ROUNDING)


def monthly_rate(yearly_rate: Decimal) -> Decimal:
    return yearly_rate / MONTHS_A_YEAR


def level_payment(principal: Decimal, yearly_rate: Decimal, months: int) -> Decimal:
    """The annuity payment P·r·(1+r)^n / ((1+r)^n − 1), or P / n at a zero rate, to the cent."""
    if months < 1:
        raise ValueError("a schedule has at least one month")
    rate = monthly_rate(yearly_rate)
    if rate == 0:
        return _cents(principal / months)
    growth = (1 + rate) ** months
    return _cents(principal * rate * growth / (growth - 1))


def annuity(principal: Decimal, yearly_rate: Decimal, months: int, first_due: date) -> list[Line]:
    """Equal payments; the last installment absorbs the rounding remainder."""
    payment = level_payment(principal, yearly_rate, months)
    rate = monthly_rate(yearly_rate)
    balance = principal
    lines = []
    for sequence in range(1, months + 1):
        interest = _cents(balance * rate)
        part = balance if sequence == months else min(balance, payment - interest)
        lines.append(Line(sequence, add_months(first_due, sequence - 1), part, interest))
        balance -= part
    return lines


def equal_principal(principal: Decimal, yearly_rate: Decimal, months: int, first_due: date) -> list[Line]:
    """The same principal each month (rounded down to the cent, the last takes the rest),
    with interest on the falling balance."""
    if months < 1:
        raise ValueError("a schedule has at least one month")
    rate = monthly_rate(yearly_rate)
    part = (principal / months).quantize(CENT, rounding="ROUND_DOWN")
    balance = principal
    lines = []
    for sequence in range(1, months + 1):
        interest = _cents(balance * rate)
        this_part = balance if sequence == months else part
        lines.append(Line(sequence, add_months(first_due, sequence - 1), this_part, interest))
        balance -= this_part
    return lines
