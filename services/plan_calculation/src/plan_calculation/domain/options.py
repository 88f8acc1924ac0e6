"""The plan options the policy allows (DESIGN.md §3 step 5, §4).

The shared pieces: the hardship, a computed option with its affordability and cost, even
splits whose parts add up, and the arrears schedule. domain/menu.py builds every option.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from plan_calculation.domain.calendar import add_months
from tideover_contracts.common import OverdueAmounts, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import Money, minor_unit

#: Plan payment ≤ 50% of (monthly income − essential expenses) (DESIGN.md §4, policy).
AFFORDABILITY_SHARE = Decimal("0.50")
#: No plan runs past 60 months (DESIGN.md §4, credit-card hardship installment rule art. 70).
LONGEST_PLAN_MONTHS = 60


@dataclass(frozen=True)
class Hardship:
    """What the borrower can spend each month after essential expenses (never below zero)."""

    disposable_income: Money

    @classmethod
    def from_budget(cls, monthly_income: Money, essential_expenses: Money) -> Hardship:
        disposable = monthly_income - essential_expenses
        return cls(disposable if not disposable.is_negative else Money.zero(disposable.currency))


@dataclass(frozen=True)
class ComputedOption:
    option_id: str
    kind: OptionKind
    schedule: tuple[PlanLine, ...]
    waived: WaivedAmounts
    currency: str
    #: The regular installment the borrower still pays in the same months (arrears plans run
    #: on top of the loan's own schedule), counted in the monthly outflow.
    alongside: Decimal = Decimal(0)
    #: What the borrower pays beyond the plan under this option (the regular schedule that
    #: continues beside an arrears plan).
    beyond_plan: Decimal = Decimal(0)
    needs_supervisor: bool = False

    @property
    def total_payable(self) -> Money:
        return Money.trusted(sum((line.total for line in self.schedule), start=Decimal(0)), self.currency)

    @property
    def largest_payment(self) -> Money:
        return Money.trusted(max(line.total for line in self.schedule), self.currency)

    @property
    def largest_outflow(self) -> Decimal:
        """The most the borrower pays in one month under this option, regular installment included."""
        return self.largest_payment.amount + self.alongside

    @property
    def total_cost(self) -> Decimal:
        """Everything the borrower pays from now on under this option."""
        return self.total_payable.amount + self.beyond_plan

    def affordable(self, hardship: Hardship) -> bool:
        return self.largest_outflow <= hardship.disposable_income.amount * AFFORDABILITY_SHARE

    def payment_to_disposable_income(self, hardship: Hardship) -> Decimal:
        disposable = hardship.disposable_income.amount
        if disposable == 0:
            return Decimal("999.9999")
        return (self.largest_outflow / disposable).quantize(Decimal("0.0001"))


def split_evenly(amount: Money, parts: int) -> list[Money]:
    """Equal parts rounded down to the minor unit; the last part absorbs the remainder, so
    the parts always add up to the whole (Fineract's rule, STYLE.md)."""
    return [Money.trusted(part, amount.currency) for part in split(amount.amount, parts, minor_unit(amount.currency))]


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One month of a plan, in plain decimals at the minor unit: a menu computes hundreds of
    these, so contract objects are built only for the options that are offered."""

    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fee

    def contract(self, currency: str) -> PlanInstallmentLine:
        """The line as PlanOffered and PlanActivated carry it."""
        return PlanInstallmentLine.model_construct(
            sequence=self.sequence,
            due_date=self.due_date,
            principal=Money.trusted(self.principal, currency),
            interest=Money.trusted(self.interest, currency),
            penalty=Money.trusted(self.penalty, currency),
            fee=Money.trusted(self.fee, currency),
            total=Money.trusted(self.total, currency),
        )


def split(amount: Decimal, parts: int, unit: Decimal) -> list[Decimal]:
    """Equal parts rounded down to `unit`; the last part absorbs the remainder."""
    part = (amount / parts).quantize(unit, rounding=ROUND_DOWN)
    return [part] * (parts - 1) + [amount - part * (parts - 1)]


def arrears_installments(overdue: OverdueAmounts, months: int, first_due: date) -> ComputedOption:
    """The overdue total split over `months` monthly installments starting `first_due`."""
    if not 1 <= months <= LONGEST_PLAN_MONTHS:
        raise ValueError(f"a plan runs 1 to {LONGEST_PLAN_MONTHS} months, not {months}")
    currency = overdue.total.currency
    unit = minor_unit(currency)
    principal, interest, fee, penalty = (
        split(part.amount, months, unit) for part in (overdue.principal, overdue.interest, overdue.fee, overdue.penalty)
    )
    lines = tuple(
        PlanLine(index + 1, add_months(first_due, index), principal[index], interest[index], penalty[index], fee[index])
        for index in range(months)
    )
    zero = Money.zero(currency)
    return ComputedOption(
        option_id=f"arrears-{months}",
        kind=OptionKind.ARREARS_INSTALLMENTS,
        schedule=lines,
        waived=WaivedAmounts(penalty=zero, interest=zero, fee=zero, total=zero),
        currency=currency,
    )


def disposable_income_needed(options: list[ComputedOption]) -> Money:
    """The lowest disposable income that makes one of `options` affordable."""
    cheapest = min(options, key=lambda option: option.largest_outflow)
    needed = cheapest.largest_outflow / AFFORDABILITY_SHARE
    return Money.rounded(needed, cheapest.currency, rounding=ROUND_UP)
