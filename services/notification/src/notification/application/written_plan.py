"""What the written plan states beyond the plan itself, and its months as the borrower pays them.

The borrower confirms the written plan, on whatever channel it reached them (an SMS is the only
copy a borrower without e-mail gets), so every version states every term (issue 16, DESIGN.md
§3a and §4): the loan reference, each month's date and total (for an arrears plan the plan's
installment plus the regular installments due that month), what is waived and on what condition,
the rate, how and where to pay, the grace days and the tolerance, that no penalty accrues while
the plan is kept, and what a break does.

- The plan's rules are the policy's (tideover_contracts.policy.PlanRules): the figures
  repayment-tracking judges the plan by, configured by the same TIDEOVER_PLAN_* variables.
- How and where to pay is the lender's to say and no event carries it: a notification setting
  (TIDEOVER_PAYMENT_INSTRUCTIONS, one text per locale), `HOW_TO_PAY` by default.
- The months are `WrittenPlan.months()`, the contracts' one rule (tideover_contracts.common
  `plan_months`). The short versions (SMS, push, voice) state them as runs: consecutive months
  on the same day of the month with the same amounts are one line, so that a level schedule of
  60 months stays a few lines long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from tideover_contracts.common import ContinuingInstallment, Locale, PlanInstallmentLine, PlanMonth
from tideover_contracts.money import Money
from tideover_contracts.policy import PlanRules

#: How and where to pay, by default: upstream sends no payment instructions, so the loan
#: contract's repayment account and the loan reference are what a borrower can always use.
HOW_TO_PAY: Mapping[Locale, str] = MappingProxyType(
    {
        Locale.EN: (
            "In the Tideover app, or by bank transfer to the repayment account named in your loan contract,"
            " quoting your loan reference."
        ),
        Locale.ZH_CN: "通过Tideover App还款，或银行转账至您借款合同所列的还款账户，并在附言中注明贷款编号。",
    }
)


@dataclass(frozen=True)
class WrittenPlanTerms:
    """The terms the written plan states that the plan itself does not carry."""

    rules: PlanRules = field(default_factory=PlanRules)
    how_to_pay: Mapping[Locale, str] = field(default_factory=lambda: HOW_TO_PAY)

    def with_instructions(self, instructions: Mapping[str, str]) -> WrittenPlanTerms:
        """These terms with the payment instructions of `instructions` ({"en": ..., "zh-CN": ...});
        a locale it does not name keeps its text."""
        texts = {**self.how_to_pay, **{Locale(code): text.strip() for code, text in instructions.items()}}
        if not all(texts.values()):
            raise ValueError("payment instructions may not be blank")
        return WrittenPlanTerms(self.rules, MappingProxyType(texts))


@dataclass(frozen=True)
class MonthToPay:
    """One plan month as the written plan states it."""

    line: PlanInstallmentLine
    regular: tuple[ContinuingInstallment, ...]
    total: Money

    @classmethod
    def of(cls, month: PlanMonth) -> MonthToPay:
        return cls(month.line, month.continuing, month.total)

    @property
    def sequence(self) -> int:
        return self.line.sequence

    @property
    def due_date(self) -> date:
        return self.line.due_date

    @property
    def plan_part(self) -> Money:
        return self.line.total

    @property
    def regular_part(self) -> Money:
        return sum((item.amount for item in self.regular), start=Money.zero(self.total.currency))

    @property
    def regular_on_other_dates(self) -> tuple[date, ...]:
        """The due dates of its regular installments that are not the month's own date."""
        return tuple(item.due_date for item in self.regular if item.due_date != self.due_date)

    def shape(self) -> tuple[object, ...]:
        """What must be equal for two months to be told as one run: the amounts, and the days of
        the month their installments are due on."""
        regular = tuple((item.amount, item.due_date.day, _months_between(self.due_date, item.due_date)) for item in self.regular)
        return (self.total, self.plan_part, regular)


@dataclass(frozen=True)
class MonthRun:
    """Consecutive plan months due on the same day of each month with the same amounts."""

    months: tuple[MonthToPay, ...]

    @property
    def first(self) -> MonthToPay:
        return self.months[0]

    @property
    def last(self) -> MonthToPay:
        return self.months[-1]

    @property
    def count(self) -> int:
        return len(self.months)

    @property
    def day(self) -> int:
        """The day of the month every month of the run is due on."""
        return self.first.due_date.day

    @property
    def regular_days(self) -> tuple[int, ...]:
        """The days of the month its regular installments fall due on, where not the run's own day."""
        return tuple(dict.fromkeys(day.day for day in self.first.regular_on_other_dates))


def months_to_pay(months: tuple[PlanMonth, ...]) -> tuple[MonthToPay, ...]:
    return tuple(MonthToPay.of(month) for month in months)


def month_runs(months: tuple[MonthToPay, ...]) -> tuple[MonthRun, ...]:
    """`months` as runs of consecutive months a month apart, on the same day, with the same amounts."""
    runs: list[list[MonthToPay]] = []
    for month in months:
        if runs and _continues(runs[-1], month):
            runs[-1].append(month)
        else:
            runs.append([month])
    return tuple(MonthRun(tuple(run)) for run in runs)


def _continues(run: list[MonthToPay], month: MonthToPay) -> bool:
    first, last = run[0], run[-1]
    next_month = _months_between(last.due_date, month.due_date) == 1 and month.due_date.day == first.due_date.day
    return next_month and month.shape() == first.shape()


def percent(fraction: Decimal, *, places: int | None = None) -> str:
    """A fraction as a percentage without the sign: 0.072 → "7.20" (places=2), 0.01 → "1"."""
    value = fraction * 100
    if places is not None and value == value.quantize(Decimal(1).scaleb(-places)):
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return f"{value.normalize():f}"


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
