"""Following a plan (DESIGN.md §3 step 7, §3a, §4) from what the loan's ledger reports: when a
plan month is missed, when the plan breaks, when it is complete.

overdue-detection's ledger is the book of record: it applies each payment, oldest obligation
first, and reports for every line it covered what that line still owes (`left`). This module
counts no payment itself; it reads those reports. A plan month asks for the plan's installment
of that month plus, in an arrears plan, every regular installment of the loan that stays due in
it; the month is judged on the sum.

A day is judged by the reports value-dated on or before it: a payment that arrives late but was
made in time counts as made in time (value dating). Every day is judged the same way whether
days are closed one by one or several at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from operator import attrgetter
from typing import NamedTuple

from tideover_contracts.common import plan_month_of
from tideover_contracts.events.tracking import PlanBreakReason
from tideover_contracts.policy import PlanRules

ZERO = Decimal(0)


@dataclass(frozen=True)
class Rules(PlanRules):
    """The plan terms (tideover_contracts.policy.PlanRules: grace, tolerance, when a plan breaks —
    the written plan states the same figures), and when plan reminders go out."""

    #: Reminders go out this many days before each plan month.
    reminder_days: tuple[int, ...] = (3, 1)


class LineKind(StrEnum):
    PLAN = "plan"  # one of the plan's own installments, by the plan's sequence
    REGULAR = "regular"  # a regular installment of the loan that stays due (arrears plans), by the loan's sequence


class LineRef(NamedTuple):
    """A line of the loan's ledger that a plan month asks for (a tuple: hashed and compared
    cheaply, as every report of a batch is)."""

    kind: LineKind
    sequence: int


@dataclass(frozen=True)
class Due:
    """An installment as the plan takes it in: a plan line, or a continuing regular installment."""

    sequence: int
    due_date: date
    amount: Decimal


class Line(NamedTuple):
    ref: LineRef
    due_date: date
    amount: Decimal  # what it asks for before any payment reported


class Month(NamedTuple):
    """Plan month `sequence`: the plan's line `sequence` and the regular installments due in it.
    (Line, Month and Report are tuples: a batch builds many of them, and cheaply so.)"""

    sequence: int
    due_date: date
    plan_line: Line
    regular: tuple[Line, ...] = ()

    @property
    def lines(self) -> tuple[Line, ...]:
        return (self.plan_line, *self.regular)

    @property
    def regular_part(self) -> Decimal:
        return sum((line.amount for line in self.regular), start=ZERO)

    @property
    def total(self) -> Decimal:
        return self.plan_line.amount + self.regular_part


def plan_months(plan_lines: Sequence[Due], continuing: Sequence[Due], starts: date) -> tuple[Month, ...]:
    """Month m = plan line m and every continuing installment in its window, by the one window rule
    of the written plan and the offer (tideover_contracts.common.plan_month_of, DESIGN.md §3a):
    due after month m−1's date up to and including month m's, month 1's from `starts`, the basis
    date, itself included (an installment due that day continues: activation takes it over so). A
    continuing installment due after the last plan month is not the plan's."""
    ordered = sorted(plan_lines, key=lambda item: item.sequence)
    due_dates = [due.due_date for due in ordered]
    beside: list[list[Line]] = [[] for _ in ordered]
    for item in sorted(continuing, key=lambda item: (item.due_date, item.sequence)):
        index = plan_month_of(item.due_date, due_dates, starts)
        if index is not None:
            beside[index].append(Line(LineRef(LineKind.REGULAR, item.sequence), item.due_date, item.amount))
    return tuple(
        Month(due.sequence, due.due_date, Line(LineRef(LineKind.PLAN, due.sequence), due.due_date, due.amount), tuple(regular))
        for due, regular in zip(ordered, beside, strict=True)
    )


class Report(NamedTuple):
    """What the ledger said one payment paid on one line and left on it."""

    ref: LineRef
    payment_id: str
    value_date: date
    arrival: int  # orders the reports of one plan as they came
    paid: Decimal
    left: Decimal


_counting_order = attrgetter("value_date", "arrival")


@dataclass(frozen=True)
class PlanBook:
    """A plan's months, the ledger's reports on their lines, and the months already announced missed."""

    months: tuple[Month, ...]
    reports: tuple[Report, ...] = ()  # kept in the order they count: by value date, then arrival
    missed: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "reports", tuple(sorted(self.reports, key=_counting_order)))

    def with_reports(self, reports: Iterable[Report]) -> PlanBook:
        return PlanBook(self.months, (*self.reports, *reports), self.missed)

    @cached_property
    def refs(self) -> frozenset[LineRef]:
        """The lines the plan's months ask for."""
        return frozenset(line.ref for month in self.months for line in month.lines)

    def left_on(self, day: date) -> dict[LineRef, Decimal]:
        """What each line still owes as of `day`: the `left` of the latest report (by value date,
        then arrival) value-dated on or before it; with none, what the line asked for."""
        left = {line.ref: line.amount for month in self.months for line in month.lines}
        for report in self.reports:
            if report.value_date > day:
                break
            if report.ref in left:
                left[report.ref] = report.left
        return left

    def shortfalls(self, day: date) -> dict[int, Decimal]:
        """What each month still asks for as of `day`."""
        left = self.left_on(day)
        return {month.sequence: sum((left[line.ref] for line in month.lines), start=ZERO) for month in self.months}

    def paid_on_lines(self) -> dict[LineRef, Decimal]:
        """What the payments reported paid on each of the plan's lines."""
        paid = dict.fromkeys(self.refs, ZERO)
        for report in self.reports:
            if report.ref in paid:
                paid[report.ref] += report.paid
        return paid

    def paid(self) -> Decimal:
        """Everything the payments reported paid on the plan's lines."""
        return sum(self.paid_on_lines().values(), start=ZERO)


@dataclass(frozen=True)
class Missed:
    sequence: int
    due_date: date
    shortfall: Decimal
    on: date  # the business day it was judged missed
    missed_count: int  # months missed under the plan so far, this one included


@dataclass(frozen=True)
class Broken:
    reason: PlanBreakReason
    on: date
    unpaid: Decimal  # everything the plan's months still ask for, as of that day


@dataclass(frozen=True)
class Judgement:
    missed: tuple[Missed, ...]
    broken: Broken | None = None
    completed_on: date | None = None


def _unpaid_for(book: PlanBook, short: Mapping[int, Decimal], day: date, days: int, rules: Rules) -> list[Month]:
    """The months at least `days` past their due date on `day` and short beyond the tolerance. A
    month made good (back within the tolerance) no longer counts (DESIGN.md §4, plan broken)."""
    return [
        month
        for month in book.months
        if day >= month.due_date + timedelta(days=days) and short[month.sequence] > rules.tolerance(month.total)
    ]


def _is_complete(book: PlanBook, short: Mapping[int, Decimal], day: date, rules: Rules) -> bool:
    """Every month within the tolerance, and the last one due or paid: a last month short by less
    than the tolerance completes the plan; the shortfall stays owed in the ledger."""
    within = all(short[month.sequence] <= rules.tolerance(month.total) for month in book.months)
    last = book.months[-1]
    return within and (day >= last.due_date or short[last.sequence] == 0)


def judge(book: PlanBook, days: Iterable[date], rules: Rules) -> Judgement:
    """Judge each of `days` in order: months newly missed, and whether the plan breaks or is
    complete (then the days after it are not judged)."""
    missed = set(book.missed)
    newly: list[Missed] = []
    for day in days:
        short = book.shortfalls(day)
        behind = _unpaid_for(book, short, day, rules.grace_days + 1, rules)  # missed: past the grace
        for month in behind:
            if month.sequence not in missed:
                missed.add(month.sequence)
                newly.append(Missed(month.sequence, month.due_date, short[month.sequence], day, len(missed)))
        unpaid = sum(short.values(), start=ZERO)
        if len(behind) >= rules.misses_to_break:
            return Judgement(tuple(newly), Broken(PlanBreakReason.TWO_MISSED, day, unpaid))
        if _unpaid_for(book, short, day, rules.unpaid_days_to_break, rules):
            return Judgement(tuple(newly), Broken(PlanBreakReason.UNPAID_30_DAYS, day, unpaid))
        if _is_complete(book, short, day, rules):
            return Judgement(tuple(newly), completed_on=day)
    return Judgement(tuple(newly))


def completed_on(book: PlanBook, first: date, last: date, rules: Rules) -> date | None:
    """The first day in [`first`, `last`] on which the plan is complete: the value date of the
    report that made it so, or the last month's due date when it was paid within the tolerance
    before. Only those days can change the answer, so only they are looked at."""
    last_month = book.months[-1]
    reported_on_last = {line.ref for line in last_month.lines}.intersection(report.ref for report in book.reports)
    if not reported_on_last and last_month.total > rules.tolerance(last_month.total):
        return None  # nothing reported on the last month yet: it asks for all of it
    candidates = {first, *(report.value_date for report in book.reports), last_month.due_date}
    for day in sorted(day for day in candidates if first <= day <= last):
        if _is_complete(book, book.shortfalls(day), day, rules):
            return day
    return None


def reminders(book: PlanBook, day: date, rules: Rules, since: date | None = None) -> list[tuple[Month, int, Decimal]]:
    """Months due `rules.reminder_days` after `day` and not yet paid: (month, days before, what
    the month still asks for: its plan line and its regular installments). With `since` (the
    first day settled quietly since the last close told, DESIGN.md §6), also the months whose
    reminder day fell from `since` on and that are still ahead: reminded once, with the days left."""
    short = book.shortfalls(day)
    first = since or day
    return [
        (month, (month.due_date - day).days, short[month.sequence])
        for month in book.months
        if month.due_date > day
        and any(first <= month.due_date - timedelta(days=before) <= day for before in rules.reminder_days)
        and short[month.sequence] > 0
    ]


class MonthStatus(StrEnum):
    PAID = "paid"  # nothing left, or what is left is within the tolerance
    MISSED = "missed"  # announced missed and still short beyond the tolerance
    PARTLY_PAID = "partly_paid"
    DUE = "due"


def month_status(month: Month, short: Decimal, missed: bool, rules: Rules, judged_through: date | None = None) -> MonthStatus:
    """How a month stands for whoever looks at the plan (the agents' console), with the days
    through `judged_through` closed. A month that asks for nothing (a payment holiday's) is met
    when its due date has come, not before: until then it is due like any other."""
    if month.total == 0:
        return MonthStatus.PAID if judged_through is not None and month.due_date <= judged_through else MonthStatus.DUE
    if short == 0 or (short < month.total and short <= rules.tolerance(month.total)):
        return MonthStatus.PAID
    if missed and short > rules.tolerance(month.total):
        return MonthStatus.MISSED
    return MonthStatus.PARTLY_PAID if short < month.total else MonthStatus.DUE
