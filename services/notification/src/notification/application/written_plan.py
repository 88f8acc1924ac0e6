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
  (TIDEOVER_PAYMENT_INSTRUCTIONS, one text per language), `HOW_TO_PAY` by default: the
  contracts' (tideover_contracts.policy), which the borrower's page states too.
- The months are `WrittenPlan.months()`, the contracts' one rule (tideover_contracts.common
  `plan_months`). The short versions (SMS, push, voice) state them as runs: consecutive months
  due monthly on one day (a plan's dates are day D of each month, the last day of a month
  shorter than D: plan-calculation `add_months`) with the same amounts are one line, so that a
  level schedule of 60 months stays a few lines long.
- The SMS is bounded (domain/sms.py, at most 10 segments). When the full list of runs would
  exceed it, the SMS states the schedule `compact`ly: three or more months in a row whose
  amounts all differ (an equal-principal schedule, interest falling each month) are one
  stretch, told by its first and last months' dates and amounts, its day of the month, its
  number of months and its total; runs of equal months, and months alone, keep their lines.
  The text says where each month's amount is to be had (ask us; the reminder before each due
  date states it). Every other term is stated as in the full version.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tideover_contracts.common import ContinuingInstallment, Language, PlanInstallmentLine, PlanMonth
from tideover_contracts.money import Money
from tideover_contracts.policy import HOW_TO_PAY, PlanRules, payment_instructions


@dataclass(frozen=True)
class WrittenPlanTerms:
    """The terms the written plan states that the plan itself does not carry."""

    rules: PlanRules = field(default_factory=PlanRules)
    how_to_pay: Mapping[Language, str] = field(default_factory=lambda: HOW_TO_PAY)

    def with_instructions(self, instructions: Mapping[str, str]) -> WrittenPlanTerms:
        """These terms with the payment instructions of `instructions`, by language ({"en": ...,
        "zh-Hans": ..., "zh-Hant": ...}; "zh-CN", the locale, names zh-Hans as it did before
        languages were named); a language it does not name keeps its text."""
        return WrittenPlanTerms(self.rules, payment_instructions(instructions, self.how_to_pay))


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

    def regular_key(self) -> tuple[bool, tuple[int, ...]]:
        """What must be equal for two months to be told in one stretch (`compact`): whether
        regular installments are due in them, and on which other days of the month."""
        return bool(self.regular), tuple(day.day for day in self.regular_on_other_dates)


#: A stretch (`compact`) is shorter than its months told one by one from this many months on.
STRETCH_MIN_MONTHS = 3


@dataclass(frozen=True)
class MonthRun:
    """Consecutive plan months due monthly on one day (`day`; the last day of a shorter month)
    with the same amounts; or, a `stretch`, months in a row whose amounts differ (`compact`)."""

    months: tuple[MonthToPay, ...]
    stretch: bool = False

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
        """The day of the month the run's months are due on (or, `clamped`, the month's last day)."""
        return self.first.due_date.day

    @property
    def clamped(self) -> bool:
        """Whether a month of the run is shorter than `day`, and due on its last day instead."""
        return any(month.due_date.day != self.day for month in self.months)

    @property
    def total(self) -> Money:
        return sum((month.total for month in self.months[1:]), start=self.first.total)

    @property
    def has_regular(self) -> bool:
        """Whether regular installments are due in its months (beside the plan's)."""
        return bool(self.first.regular)

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


def compact(runs: tuple[MonthRun, ...]) -> tuple[MonthRun, ...]:
    """`runs` for a text that must be short: `STRETCH_MIN_MONTHS` or more months in a row that
    are runs alone, due monthly on one day, with regular installments alike (`regular_key`),
    become one stretch; every other run stays as it is."""
    told: list[MonthRun] = []
    alone: list[MonthToPay] = []

    def tell_alone() -> None:
        if len(alone) >= STRETCH_MIN_MONTHS:
            told.append(MonthRun(tuple(alone), stretch=True))
        else:
            told.extend(MonthRun((month,)) for month in alone)
        alone.clear()

    for run in runs:
        if run.count == 1 and alone and _stretches(alone, run.first):
            alone.append(run.first)
            continue
        tell_alone()
        if run.count == 1:
            alone.append(run.first)
        else:
            told.append(run)
    tell_alone()
    return tuple(told)


def _continues(run: list[MonthToPay], month: MonthToPay) -> bool:
    first = run[0]
    return _monthly(first.due_date, len(run), month.due_date) and month.shape() == first.shape()


def _stretches(stretch: list[MonthToPay], month: MonthToPay) -> bool:
    first = stretch[0]
    return _monthly(first.due_date, len(stretch), month.due_date) and month.regular_key() == first.regular_key()


def _monthly(first: date, months_after: int, due: date) -> bool:
    """Whether `due` is `months_after` months after `first` on `first`'s day of the month, or on
    the last day of a month shorter than that (the plan's dates: plan-calculation `add_months`)."""
    days_in_month = calendar.monthrange(due.year, due.month)[1]
    return _months_between(first, due) == months_after and due.day == min(first.day, days_in_month)


def percent(fraction: Decimal, *, places: int | None = None) -> str:
    """A fraction as a percentage without the sign: 0.072 → "7.20" (places=2), 0.01 → "1"."""
    value = fraction * 100
    if places is not None and value == value.quantize(Decimal(1).scaleb(-places)):
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return f"{value.normalize():f}"


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
