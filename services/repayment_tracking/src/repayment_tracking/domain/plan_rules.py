"""Following a plan (DESIGN.md §3 step 7, §4): how payments fill its installments, when one is
missed, when the plan breaks.

Payments fill the installments oldest first, and an overpayment runs on into the next ones; so
what each installment has received depends only on how much was paid by then, not on how it
was split. A day is judged by the payments value-dated on or before it: a payment that arrives
late but was made in time counts as made in time (value dating). Every day is judged the same
way whether days are closed one by one or several at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tideover_contracts.events.tracking import PlanBreakReason


@dataclass(frozen=True)
class Rules:
    """Every threshold configurable (DESIGN.md §4, policy defaults)."""

    #: A plan installment is missed when unpaid `grace_days` after its due date ...
    grace_days: int = 3
    #: ... by more than max(`tolerance_share` of it, `tolerance_floor`).
    tolerance_share: Decimal = Decimal("0.01")
    tolerance_floor: Decimal = Decimal("10.00")
    #: A plan breaks at `misses_to_break` missed installments, or one unpaid `unpaid_days_to_break`.
    misses_to_break: int = 2
    unpaid_days_to_break: int = 30
    #: Reminders go out this many days before each plan installment.
    reminder_days: tuple[int, ...] = (3, 1)

    def tolerance(self, amount: Decimal) -> Decimal:
        return max(amount * self.tolerance_share, self.tolerance_floor)


@dataclass(frozen=True)
class Due:
    sequence: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class Payment:
    payment_id: str
    value_date: date
    amount: Decimal


def filled(dues: Sequence[Due], total: Decimal) -> tuple[dict[int, Decimal], Decimal]:
    """What each installment has received from `total` paid, oldest first; and the excess beyond
    the last one (carried as credit)."""
    paid: dict[int, Decimal] = {}
    left = total
    for due in sorted(dues, key=lambda item: item.sequence):
        paid[due.sequence] = min(due.amount, max(left, Decimal(0)))
        left -= paid[due.sequence]
    return paid, max(left, Decimal(0))


def paid_by(payments: Iterable[Payment], day: date) -> Decimal:
    return sum((payment.amount for payment in payments if payment.value_date <= day), start=Decimal(0))


@dataclass(frozen=True)
class Missed:
    sequence: int
    due_date: date
    shortfall: Decimal
    on: date  # the business day it was judged missed
    missed_count: int


@dataclass(frozen=True)
class Broken:
    reason: PlanBreakReason
    on: date
    unpaid: Decimal  # everything the plan still asks for, as of that day


@dataclass(frozen=True)
class Judgement:
    missed: tuple[Missed, ...]
    broken: Broken | None


def judge(
    dues: Sequence[Due], payments: Sequence[Payment], missed_before: frozenset[int], days: Iterable[date], rules: Rules
) -> Judgement:
    """Judge each of `days` in order: installments newly missed, and whether the plan breaks
    (then the days after it are not judged)."""
    missed = set(missed_before)
    newly: list[Missed] = []
    for day in days:
        paid, _ = filled(dues, paid_by(payments, day))
        short = {due.sequence: due.amount - paid[due.sequence] for due in dues}
        for due in dues:
            late = day > due.due_date + timedelta(days=rules.grace_days)
            if due.sequence not in missed and late and short[due.sequence] > rules.tolerance(due.amount):
                missed.add(due.sequence)
                newly.append(Missed(due.sequence, due.due_date, short[due.sequence], day, len(missed)))
        unpaid = sum(short.values(), start=Decimal(0))
        if len(missed) >= rules.misses_to_break:
            return Judgement(tuple(newly), Broken(PlanBreakReason.TWO_MISSED, day, unpaid))
        too_long = any(
            day >= due.due_date + timedelta(days=rules.unpaid_days_to_break) and short[due.sequence] > rules.tolerance(due.amount)
            for due in dues
        )
        if too_long:
            return Judgement(tuple(newly), Broken(PlanBreakReason.UNPAID_30_DAYS, day, unpaid))
    return Judgement(tuple(newly), None)


def completed(dues: Sequence[Due], payments: Sequence[Payment]) -> bool:
    """Everything the plan asks for is paid."""
    paid, _ = filled(dues, paid_by(payments, date.max))
    return all(paid[due.sequence] == due.amount for due in dues)


def reminders(dues: Sequence[Due], payments: Sequence[Payment], day: date, rules: Rules) -> list[tuple[Due, int, Decimal]]:
    """Installments due `rules.reminder_days` after `day` and not yet paid: (installment, days
    before, amount still due)."""
    paid, _ = filled(dues, paid_by(payments, date.max))
    return [
        (due, (due.due_date - day).days, due.amount - paid[due.sequence])
        for due in dues
        if (due.due_date - day).days in rules.reminder_days and paid[due.sequence] < due.amount
    ]
