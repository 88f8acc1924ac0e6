"""What a plan option asks of the borrower each month, and whether that is affordable: the one
definition (issue 20, finding 2) by which plan-calculation judges affordability and writes an
option's `payment_to_disposable_income`, and by which the agents' console shows what it asks.

- **A month of the plan** is its line and, for an arrears plan, the loan's regular installments
  that month asks for beside it (DESIGN.md §3a: "each plan month the borrower owes the plan
  installment plus any regular installment due that month ... the month is judged on the sum"),
  by the written plan's window (`common.plan_month_of`). A reschedule replaces the loan's whole
  schedule, so its months are its own lines.
- **Pays per month** is the largest month of the plan; `total` their sum. Regular installments
  due after an arrears plan's last month are the loan's, as before, not the plan's: a reader that
  knows them (the console, from the ledger's schedule) shows them as months of their own after the
  plan, and they change neither the largest month nor the verdict.
- **Judged** is the largest month, or for a payment holiday the largest of its holiday months
  (DESIGN.md §4, payment holiday: the payments after it are not judged on today's income).
- **Affordable**: judged ≤ 50% of disposable income (DESIGN.md §4, affordability: "plan payment
  ≤ 50% of (monthly income − essential expenses)", the plan payment being the month's sum).
- **Share of income** (`payment_to_disposable_income`): pays per month / disposable income,
  rounded up to four places, so that a share of 0.5000 or less is affordable and one above it is
  not, a holiday aside; `NO_INCOME_SHARE` when there is no disposable income.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from functools import cached_property

from tideover_contracts.common import plan_month_of
from tideover_contracts.events.negotiation import PlanEffect

#: Plan payment ≤ 50% of (monthly income − essential expenses) (DESIGN.md §4, policy).
AFFORDABILITY_SHARE = Decimal("0.50")
#: `payment_to_disposable_income` is written to four places (a percentage to two).
SHARE_PLACES = Decimal("0.0001")
#: The share stated when there is no disposable income at all.
NO_INCOME_SHARE = Decimal("999.9999")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OutflowMonth:
    """One month the borrower pays: the plan's part and the loan's regular installments due in it."""

    due_date: date
    plan: Decimal
    regular: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.plan + self.regular


def regular_by_month(
    plan_due_dates: Sequence[date], regular: Iterable[tuple[date, Decimal]], since: date | None
) -> tuple[Decimal, ...]:
    """What each month of an arrears plan asks for beside its line: the sum of the `regular`
    installments (due date, amount) in its window (`plan_month_of`, from `since`, the basis date);
    those due before the window opens or after the last month are left out."""
    beside = [ZERO] * len(plan_due_dates)
    last = plan_due_dates[-1] if plan_due_dates else None
    for due, amount in regular:
        if last is None or due > last:
            continue  # after the plan (a menu asks this of a whole schedule for every arrears plan)
        index = plan_month_of(due, plan_due_dates, since)
        if index is not None:
            beside[index] += amount
    return tuple(beside)


@dataclass(frozen=True)
class Outflow:
    """What an option asks each month of the plan: `plan`, its lines' totals, and `regular`, what
    each month asks beside its line (empty: nothing, as for a reschedule), month by month."""

    due_dates: tuple[date, ...]
    plan: tuple[Decimal, ...]
    regular: tuple[Decimal, ...] = ()

    @classmethod
    def of(
        cls,
        effect: PlanEffect,
        due_dates: Sequence[date],
        plan: Sequence[Decimal],
        regular: Iterable[tuple[date, Decimal]],
        since: date | None,
    ) -> Outflow:
        """The months of a plan of `effect` whose lines fall due on `due_dates` for `plan`, beside
        the loan's `regular` installments (due date, amount) for an arrears plan, from `since` on."""
        if effect is PlanEffect.RESCHEDULE:
            return cls(tuple(due_dates), tuple(plan))
        return cls(tuple(due_dates), tuple(plan), regular_by_month(due_dates, regular, since))

    @cached_property
    def amounts(self) -> tuple[Decimal, ...]:
        """What the borrower pays each month of the plan."""
        if not self.regular:
            return self.plan
        return tuple(line + beside for line, beside in zip(self.plan, self.regular, strict=True))

    @property
    def months(self) -> tuple[OutflowMonth, ...]:
        regular = self.regular or (ZERO,) * len(self.plan)
        return tuple(map(OutflowMonth, self.due_dates, self.plan, regular))

    @cached_property
    def pays_per_month(self) -> Decimal:
        """The largest month of the plan, regular installments included."""
        return max(self.amounts)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, start=ZERO)

    def judged(self, holiday_months: int = 0) -> Decimal:
        """The month judged against the borrower's income now: the largest, or for a payment
        holiday of `holiday_months` the largest of those months."""
        return max(self.amounts[:holiday_months]) if holiday_months else self.pays_per_month


def affordable(judged: Decimal, disposable_income: Decimal) -> bool:
    """Whether a plan whose judged month is `judged` is affordable on `disposable_income`."""
    return judged <= disposable_income * AFFORDABILITY_SHARE


def income_needed(judged: Decimal) -> Decimal:
    """The least disposable income on which `judged` is affordable (unrounded)."""
    return judged / AFFORDABILITY_SHARE


def share_of_income(pays_per_month: Decimal, disposable_income: Decimal) -> Decimal:
    """`payment_to_disposable_income`: `pays_per_month` over `disposable_income`, rounded up to
    `SHARE_PLACES`, so that it is at most `AFFORDABILITY_SHARE` exactly when `pays_per_month` is
    affordable; `NO_INCOME_SHARE` when there is no disposable income."""
    if disposable_income <= 0:
        return NO_INCOME_SHARE
    return (pays_per_month / disposable_income).quantize(SHARE_PLACES, rounding=ROUND_CEILING)
