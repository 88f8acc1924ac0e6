"""The plan options the policy allows (DESIGN.md §3 step 5, §4).

The shared pieces: the hardship, a computed option with its affordability and cost, even
splits whose parts add up, and the arrears schedule. domain/menu.py builds every option. What an
option asks each month, and whether that is affordable, is the contracts' one definition
(tideover_contracts.outflow), which the agents' console reads the offer by too.

A menu computes hundreds of schedule lines, so everything here is plain decimals at the
minor unit; contract objects (Money, PlanOption) are made only for what is offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from functools import cached_property

from plan_calculation.domain.calendar import monthly_due_dates
from tideover_contracts.events.negotiation import (
    EFFECT_OF_KIND,
    EvidenceKind,
    HardshipReason,
    OptionKind,
    PlanEffect,
)
from tideover_contracts.money import Money
from tideover_contracts.outflow import Outflow, income_needed, share_of_income
from tideover_contracts.outflow import affordable as is_affordable

#: No plan runs past 60 months (DESIGN.md §4, credit-card hardship installment rule art. 70).
LONGEST_PLAN_MONTHS = 60
ZERO = Decimal(0)


#: A payment holiday needs verified unemployment, illness or disaster (DESIGN.md §4, payment
#: holiday): the application's reason, and a verified document of the kind that proves it.
HOLIDAY_PROOF: dict[HardshipReason, EvidenceKind] = {
    HardshipReason.UNEMPLOYMENT: EvidenceKind.UNEMPLOYMENT_PROOF,
    HardshipReason.ILLNESS: EvidenceKind.MEDICAL_RECORD,
    HardshipReason.DISASTER: EvidenceKind.DISASTER_PROOF,
}


def holiday_grounds(reason: HardshipReason, verified: Iterable[EvidenceKind]) -> bool:
    """Whether a hardship of `reason`, with evidence of the kinds `verified` verified, may have a
    payment holiday: the one home of DESIGN.md §4's "verified unemployment, illness or disaster"."""
    proof = HOLIDAY_PROOF.get(reason)
    return proof is not None and proof in set(verified)


@dataclass(frozen=True)
class Hardship:
    """What the borrower can spend each month after essential expenses (never below zero), and
    whether the hardship is grounds for a payment holiday (`holiday_grounds`)."""

    disposable_income: Money
    holiday_grounds: bool = False

    @classmethod
    def from_budget(cls, monthly_income: Money, essential_expenses: Money, *, holiday_grounds: bool = False) -> Hardship:
        disposable = monthly_income - essential_expenses
        return cls(disposable if not disposable.is_negative else Money.zero(disposable.currency), holiday_grounds)


@dataclass(frozen=True, slots=True)
class Parts:
    """An amount owed, by component."""

    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True, slots=True)
class Waived:
    """What an option forgives, on condition that the plan is kept. Never principal."""

    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.fee


NOTHING_WAIVED = Waived()


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One month of a plan."""

    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A plan's months as columns, one tuple per part, with each month's total added once: a
    menu builds hundreds of months, and an object per month would cost more than the sums."""

    due_dates: tuple[date, ...]
    principal: tuple[Decimal, ...]
    interest: tuple[Decimal, ...]
    penalty: tuple[Decimal, ...]
    fee: tuple[Decimal, ...]
    total: tuple[Decimal, ...]

    @classmethod
    def of(
        cls,
        due_dates: tuple[date, ...],
        principal: Sequence[Decimal],
        interest: Sequence[Decimal],
        penalty: Sequence[Decimal],
        fee: Sequence[Decimal],
    ) -> Schedule:
        totals = tuple(p + i + n + f for p, i, n, f in zip(principal, interest, penalty, fee, strict=True))
        return cls(due_dates, tuple(principal), tuple(interest), tuple(penalty), tuple(fee), totals)

    def __len__(self) -> int:
        return len(self.due_dates)

    def rows(self) -> Iterator[tuple[int, date, Decimal, Decimal, Decimal, Decimal, Decimal]]:
        """(sequence, due date, principal, interest, penalty, fee, total) per month."""
        return zip(
            range(1, len(self) + 1),
            self.due_dates,
            self.principal,
            self.interest,
            self.penalty,
            self.fee,
            self.total,
            strict=True,
        )

    @property
    def lines(self) -> tuple[PlanLine, ...]:
        return tuple(PlanLine(*row) for row in self.rows())


@dataclass(frozen=True)
class ComputedOption:
    option_id: str
    kind: OptionKind
    columns: Schedule
    currency: str
    waived: Waived = NOTHING_WAIVED
    #: What each plan month asks for beside its line: the loan's regular installments due in it
    #: (arrears plans run on top of the loan's own schedule, DESIGN.md §3a), counted in the
    #: monthly outflow; empty: nothing (a reschedule).
    beside: tuple[Decimal, ...] = ()
    #: What the borrower pays beyond the plan under this option (the regular schedule that
    #: continues beside an arrears plan).
    beyond_plan: Decimal = ZERO
    needs_supervisor: bool = False
    #: How the principal is repaid, for the explanation: "annuity" or "equal principal".
    shape: str = "annuity"
    #: A payment holiday's first months, with nothing to pay (DESIGN.md §4, payment holiday).
    holiday_months: int = 0
    #: The contract interest accrued during the holiday, paid in the months after it.
    holiday_interest: Decimal = ZERO

    @property
    def effect(self) -> PlanEffect:
        """What the plan does to the loan's ledger (DESIGN.md §3a): the contracts' one rule."""
        return EFFECT_OF_KIND[self.kind]

    @cached_property
    def schedule(self) -> tuple[PlanLine, ...]:
        return self.columns.lines

    @cached_property
    def total_payable(self) -> Decimal:
        return sum(self.columns.total, start=ZERO)

    @cached_property
    def largest_payment(self) -> Decimal:
        return max(self.columns.total)

    @property
    def first_payment(self) -> Decimal:
        return self.columns.total[0]

    @property
    def months(self) -> int:
        return len(self.columns)

    @cached_property
    def outflow(self) -> Outflow:
        """What the borrower pays each month of the plan (tideover_contracts.outflow)."""
        return Outflow(self.columns.due_dates, self.columns.total, self.beside)

    @property
    def largest_outflow(self) -> Decimal:
        """The most the borrower pays in one month of the plan, regular installments included."""
        return self.outflow.pays_per_month

    @property
    def total_cost(self) -> Decimal:
        """Everything the borrower pays from now on under this option."""
        return self.total_payable + self.beyond_plan

    @property
    def judged_outflow(self) -> Decimal:
        """The monthly outflow judged against the borrower's income now: the largest, or for a
        payment holiday the largest of its holiday months (0.00). The payments after a holiday
        are not judged now: the income they will come from is not known yet (DESIGN.md §4, payment
        holiday: affordable at zero income)."""
        return self.outflow.judged(self.holiday_months)

    def affordable(self, hardship: Hardship) -> bool:
        return is_affordable(self.judged_outflow, hardship.disposable_income.amount)

    def payment_to_disposable_income(self, hardship: Hardship) -> Decimal:
        """The largest month over the disposable income, rounded up (tideover_contracts.outflow)."""
        return share_of_income(self.largest_outflow, hardship.disposable_income.amount)


def split(amount: Decimal, parts: int, unit: Decimal) -> list[Decimal]:
    """Equal parts rounded down to `unit`; the last part absorbs the remainder, so the parts
    always add up to the whole (Fineract's rule, STYLE.md)."""
    part = (amount / parts).quantize(unit, rounding=ROUND_DOWN)
    return [part] * (parts - 1) + [amount - part * (parts - 1)]


def arrears_installments(owed: Parts, months: int, first_due: date, unit: Decimal) -> Schedule:
    """`owed` split over `months` monthly installments starting `first_due`, each component
    evenly to `unit` (the currency's minor unit)."""
    if not 1 <= months <= LONGEST_PLAN_MONTHS:
        raise ValueError(f"a plan runs 1 to {LONGEST_PLAN_MONTHS} months, not {months}")
    principal, interest, penalty, fee = (
        split(amount, months, unit) for amount in (owed.principal, owed.interest, owed.penalty, owed.fee)
    )
    return Schedule.of(monthly_due_dates(first_due, months), principal, interest, penalty, fee)


def disposable_income_needed(options: list[ComputedOption]) -> Money:
    """The lowest disposable income that makes one of `options` affordable."""
    cheapest = min(options, key=lambda option: option.judged_outflow)
    return Money.rounded(income_needed(cheapest.judged_outflow), cheapest.currency, rounding=ROUND_UP)
