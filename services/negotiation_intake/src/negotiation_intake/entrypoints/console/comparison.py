"""What the borrower pays under each option of an offer (issue 20, finding 2): each month from now
on, the largest month of the plan ("pays per month") and their sum ("total from now on"), by the
contracts' one definition (tideover_contracts.outflow, `PlanOption.outflow`), the same by which
plan-calculation judged the option's affordability and wrote its share of disposable income. The
console shows the offer's own share and verdict (`percent_of_income`, `PlanOption.affordable`):
it does not judge again.

An extension (effect `reschedule`) replaces the loan's whole remaining schedule: its months are
its own lines. An arrears plan re-dates only what is overdue; the loan's regular installments keep
falling due beside it (DESIGN.md §3a): each plan month asks for its line and the installments due
in it that the offer carries (`continuing_installments`). Those due after the plan's last month
are paid as before, each a month of its own: they come from the loan's remaining schedule
(`later`), or are not known (`OptionCost.complete` False). They are the loan's, not the plan's:
they add months after the plan and to the total, and change neither the largest month nor the
verdict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tideover_contracts.common import ContinuingInstallment
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import RemainingInstallment
from tideover_contracts.events.plans import PlanOption
from tideover_contracts.outflow import Outflow, OutflowMonth

ZERO = Decimal(0)
PERCENT = Decimal(100)


@dataclass(frozen=True)
class OptionCost:
    effect: PlanEffect
    #: The plan's months, as plan-calculation judged them.
    plan: Outflow
    #: An arrears plan's regular installments due after its last month, each a month of its own.
    after: tuple[OutflowMonth, ...] = ()
    #: False for an arrears plan whose regular installments after the plan were not at hand.
    complete: bool = True

    @property
    def months(self) -> tuple[OutflowMonth, ...]:
        """Every month the borrower pays from now on: the plan's, then the regular installments after it."""
        return self.plan.months + self.after

    @property
    def pays_per_month(self) -> Decimal:
        """The largest month of the plan, regular installments included: what the offer's share of
        disposable income and its verdict are of."""
        return self.plan.pays_per_month

    @property
    def total_from_now(self) -> Decimal:
        """Everything the borrower pays from now on under the option."""
        return self.plan.total + sum((month.amount for month in self.after), start=ZERO)


def regular_installments(remaining: Iterable[RemainingInstallment]) -> tuple[ContinuingInstallment, ...]:
    """The loan's installments with something still owed, as the months of an arrears plan ask for them."""
    return tuple(
        ContinuingInstallment(sequence=item.installment.sequence, due_date=item.installment.due_date, amount=item.outstanding)
        for item in remaining
        if item.outstanding.amount > 0
    )


def option_cost(option: PlanOption, basis: date, later: Sequence[ContinuingInstallment] | None) -> OptionCost:
    """What the borrower pays each month from the offer's `basis` date on under `option`; `later`:
    the loan's regular installments (its remaining schedule), None when not known. Of `later`, only
    those due after an arrears plan's last month count: the months of the plan are the offer's."""
    plan = option.outflow(basis)
    effect = option.plan_effect
    if effect is PlanEffect.RESCHEDULE:
        return OptionCost(effect, plan)
    last = option.schedule[-1].due_date
    counted = {item.sequence for item in option.continuing_installments}
    after = sorted(
        (item for item in later or () if item.sequence not in counted and item.due_date > last),
        key=lambda item: (item.due_date, item.sequence),
    )
    months_after = tuple(OutflowMonth(item.due_date, ZERO, item.amount.amount) for item in after)
    return OptionCost(effect, plan, months_after, later is not None)


def percent_of_income(option: PlanOption, disposable_income: Decimal) -> Decimal | None:
    """The offer's own share of disposable income (`payment_to_disposable_income`, which
    plan-calculation wrote of `pays_per_month` and rounded up) as a percentage: whole where it is
    whole, else to two places (50.01, never a rounded 50 beside "Not affordable"); None where
    there is no disposable income."""
    if disposable_income <= 0:
        return None
    percent = option.payment_to_disposable_income * PERCENT
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent.quantize(Decimal("0.01"))
