"""Applying payments to a plan, and when a plan installment counts as missed (DESIGN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

#: A plan installment is missed 3 days after its due date ...
GRACE_DAYS = 3
#: ... if the shortfall exceeds 1% of the installment or 10.00, whichever is larger.
TOLERANCE_SHARE = Decimal("0.01")
TOLERANCE_FLOOR = Decimal("10.00")
#: A plan breaks after 2 missed installments, or one unpaid for 30 days.
MISSES_TO_BREAK = 2
UNPAID_DAYS_TO_BREAK = 30


@dataclass(frozen=True)
class PlanInstallment:
    sequence: int
    due_date: date
    amount: Decimal
    paid: Decimal
    missed: bool = False

    @property
    def shortfall(self) -> Decimal:
        return self.amount - self.paid


def apply_payment(amount: Decimal, installments: list[PlanInstallment]) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Oldest unpaid installment first; returns (sequence, applied) pairs and the excess."""
    remaining = amount
    applied: list[tuple[int, Decimal]] = []
    for installment in sorted(installments, key=lambda item: item.sequence):
        if remaining <= 0:
            break
        part = min(installment.shortfall, remaining)
        if part > 0:
            applied.append((installment.sequence, part))
            remaining -= part
    return applied, remaining


def short_beyond_tolerance(installment: PlanInstallment) -> bool:
    return installment.shortfall > max(installment.amount * TOLERANCE_SHARE, TOLERANCE_FLOOR)


def is_missed(installment: PlanInstallment, business_date: date) -> bool:
    if installment.missed or business_date <= installment.due_date + timedelta(days=GRACE_DAYS):
        return False
    return short_beyond_tolerance(installment)


def unpaid_too_long(installment: PlanInstallment, business_date: date) -> bool:
    """Unpaid (beyond the same tolerance) 30 days after its due date."""
    return short_beyond_tolerance(installment) and business_date >= installment.due_date + timedelta(days=UNPAID_DAYS_TO_BREAK)
