"""What the borrower pays under each option of an offer, by one definition for every plan effect
(issue 20, finding 2): each month from now on, the largest of them ("pays per month"), their sum
("total from now on") and the share of disposable income the largest takes.

An extension (effect `reschedule`) replaces the loan's whole remaining schedule: its months are
its own lines. An arrears plan re-dates only what is overdue; the loan's regular installments keep
falling due beside it (DESIGN.md §3a): each plan month asks for its line and the installments due
in it (`plan_months`, the written plan's rule), and those due after the plan's last month are paid
as before, each a month of its own. The offer carries the regular installments due during the
plan (`continuing_installments`); those after it come from the loan's remaining schedule
(`later`), or are not known (`OptionCost.complete` False)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tideover_contracts.common import ContinuingInstallment, plan_months
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import RemainingInstallment
from tideover_contracts.events.plans import PlanOption

ZERO = Decimal(0)
PERCENT = Decimal(100)


@dataclass(frozen=True)
class Month:
    """One month the borrower pays under an option: the plan's part and the regular installments."""

    due_date: date
    plan: Decimal
    regular: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.plan + self.regular


@dataclass(frozen=True)
class OptionCost:
    effect: PlanEffect
    months: tuple[Month, ...]
    #: False for an arrears plan whose regular installments after the plan were not at hand.
    complete: bool = True

    @property
    def pays_per_month(self) -> Decimal:
        """The largest month the borrower pays, plan and regular installments included."""
        return max(month.amount for month in self.months)

    @property
    def total_from_now(self) -> Decimal:
        """Everything the borrower pays from now on under the option."""
        return sum((month.amount for month in self.months), start=ZERO)

    def percent_of(self, disposable_income: Decimal) -> Decimal | None:
        """`pays_per_month` as a whole percentage of the disposable income; None if there is none."""
        if disposable_income <= 0:
            return None
        return (self.pays_per_month / disposable_income * PERCENT).quantize(Decimal(1))


def regular_installments(remaining: Iterable[RemainingInstallment]) -> tuple[ContinuingInstallment, ...]:
    """The loan's installments with something still owed, as the months of an arrears plan ask for them."""
    return tuple(
        ContinuingInstallment(sequence=item.installment.sequence, due_date=item.installment.due_date, amount=item.outstanding)
        for item in remaining
        if item.outstanding.amount > 0
    )


def option_cost(option: PlanOption, basis: date, later: Sequence[ContinuingInstallment] | None) -> OptionCost:
    """What the borrower pays each month from the offer's `basis` date on under `option`; `later`:
    the loan's regular installments (its remaining schedule), None when not known."""
    effect = option.plan_effect
    if effect is PlanEffect.RESCHEDULE:
        return OptionCost(effect, tuple(Month(line.due_date, line.total.amount) for line in option.schedule))
    last = option.schedule[-1].due_date
    offered = option.continuing_installments
    counted = {item.sequence for item in offered}
    # The offer's own are what was owed at its basis; the schedule adds those after the plan (or,
    # for an offer that carries none, every one from the basis on).
    added = [
        item
        for item in later or ()
        if item.sequence not in counted and item.due_date >= basis and (item.due_date > last or not offered)
    ]
    during = (*offered, *(item for item in added if item.due_date <= last))
    months = tuple(
        Month(month.line.due_date, month.line.total.amount, sum((item.amount.amount for item in month.continuing), start=ZERO))
        for month in plan_months(option.schedule, during, basis)
    )
    after = sorted((item for item in added if item.due_date > last), key=lambda item: (item.due_date, item.sequence))
    return OptionCost(effect, months + tuple(Month(item.due_date, ZERO, item.amount.amount) for item in after), later is not None)
