"""Following a plan from the ledger's reports: properties for any reports, in any order of
arrival, and any way of closing the days (test_plan_rules.py holds the worked examples)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from repayment_tracking.domain.plan_rules import Due, LineKind, LineRef, PlanBook, Report, Rules, completed_on, judge, plan_months
from tideover_contracts.events.tracking import PlanBreakReason

D = Decimal
RULES = Rules()
ACTIVATED = date(2026, 3, 16)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def plan_line(sequence: int) -> LineRef:
    return LineRef(LineKind.PLAN, sequence)


def left(ref: LineRef, amount: str, on: date, arrival: int = 1) -> Report:
    return Report(ref, "P1", on, arrival, D(0), D(amount))


amounts = st.integers(min_value=2_000, max_value=60_000).map(lambda cents: Decimal(cents) / 100)
lines_strategy = st.lists(amounts, min_size=1, max_size=6).map(
    lambda parts: tuple(Due(n + 1, date(2026, 4, 15) + timedelta(days=30 * n), amount) for n, amount in enumerate(parts))
)


@st.composite
def plans_with_reports(draw: st.DrawFn) -> PlanBook:
    """A plan (some months with a regular installment) and the ledger's reports on its lines:
    what is left on a line only goes down, at most one report per line and value date."""
    lines = draw(lines_strategy)
    continuing = tuple(
        Due(100 + due.sequence, due.due_date - timedelta(days=5), draw(amounts)) for due in lines if draw(st.booleans())
    )
    book = PlanBook(plan_months(lines, continuing, ACTIVATED))
    reports: list[Report] = []
    for line in (line for month in book.months for line in month.lines):
        on = sorted(set(draw(st.lists(st.integers(min_value=0, max_value=300), max_size=3))))
        remaining = line.amount
        for offset in on:
            remaining = draw(st.integers(min_value=0, max_value=int(remaining * 100)).map(lambda cents: Decimal(cents) / 100))
            reports.append(Report(line.ref, f"P{len(reports)}", date(2026, 4, 1) + timedelta(days=offset), 0, D(0), remaining))
    arrivals = draw(st.permutations(range(1, len(reports) + 1)))
    return book.with_reports(
        Report(r.ref, r.payment_id, r.value_date, arrival, r.paid, r.left) for r, arrival in zip(reports, arrivals, strict=True)
    )


@given(book=plans_with_reports(), cut=st.integers(min_value=1, max_value=400), seed=st.integers())
@settings(max_examples=200, deadline=None)
def test_closing_days_at_once_equals_one_by_one_for_any_order_of_arrival(book: PlanBook, cut: int, seed: int) -> None:
    first, last = date(2026, 4, 1), date(2027, 1, 1)
    at_once = judge(book, days(first, last), RULES)
    # The same reports arriving in another order (one per line and value date: the order cannot matter).
    arrivals = list(range(1, len(book.reports) + 1))
    random.Random(seed).shuffle(arrivals)
    shuffled = PlanBook(
        book.months,
        tuple(Report(r.ref, r.payment_id, r.value_date, a, r.paid, r.left) for r, a in zip(book.reports, arrivals, strict=True)),
    )
    # One by one, in two runs split anywhere: the same judgement.
    split = first + timedelta(days=cut)
    before = judge(shuffled, days(first, split), RULES)
    missed_before = frozenset(m.sequence for m in before.missed)
    ended = before.broken is not None or before.completed_on is not None
    after = (
        None
        if ended
        else judge(PlanBook(book.months, shuffled.reports, missed_before), days(split + timedelta(days=1), last), RULES)
    )
    together = before.missed + (after.missed if after else ())
    assert [(m.sequence, m.on, m.missed_count) for m in together] == [(m.sequence, m.on, m.missed_count) for m in at_once.missed]
    assert (before.broken or (after.broken if after else None)) == at_once.broken
    assert (before.completed_on or (after.completed_on if after else None)) == at_once.completed_on


@given(book=plans_with_reports())
@settings(max_examples=200, deadline=None)
def test_a_plan_breaks_for_two_months_only_when_both_are_behind_that_very_day(book: PlanBook) -> None:
    judgement = judge(book, days(date(2026, 4, 1), date(2027, 1, 1)), RULES)
    if judgement.broken is None or judgement.broken.reason is not PlanBreakReason.TWO_MISSED:
        return
    day = judgement.broken.on
    short = book.shortfalls(day)
    behind = [
        month
        for month in book.months
        if day > month.due_date + timedelta(days=RULES.grace_days) and short[month.sequence] > RULES.tolerance(month.total)
    ]
    assert len(behind) >= RULES.misses_to_break


@given(
    lines=lines_strategy.filter(lambda lines: len(lines) >= 2),
    made_good_after=st.integers(min_value=5, max_value=29),
    cents_left=st.integers(min_value=0, max_value=1000),
)
@settings(max_examples=200, deadline=None)
def test_a_month_made_good_no_longer_counts_toward_a_break(lines: tuple[Due, ...], made_good_after: int, cents_left: int) -> None:
    """Month 1 missed, then made good to within the tolerance before month 2 is missed: with month
    2 unpaid there is only ever one month behind; the plan breaks only when month 2 has been
    unpaid 30 days."""
    book = PlanBook(plan_months(lines, (), ACTIVATED))
    first, second = book.months[0], book.months[1]
    left_over = min(Decimal(cents_left) / 100, RULES.tolerance(first.total))
    made_good = first.due_date + timedelta(days=made_good_after)
    book = book.with_reports([left(plan_line(1), str(left_over), made_good)])
    judgement = judge(book, days(first.due_date, second.due_date + timedelta(days=40)), RULES)
    assert [(m.sequence, m.missed_count) for m in judgement.missed][:2] == [(1, 1), (2, 2)]
    assert judgement.broken is not None
    assert (judgement.broken.reason, judgement.broken.on) == (
        PlanBreakReason.UNPAID_30_DAYS,
        second.due_date + timedelta(days=30),
    )


@given(
    lines=lines_strategy,
    lefts=st.lists(st.integers(min_value=0, max_value=100_000), min_size=6, max_size=6),
    paid_before=st.integers(min_value=-20, max_value=3),
)
@settings(max_examples=300, deadline=None)
def test_every_month_paid_within_the_tolerance_completes_the_plan(
    lines: tuple[Due, ...], lefts: list[int], paid_before: int
) -> None:
    """Each month paid on its due date (the last one `paid_before` days around it) to within the
    tolerance: never missed, never broken, and complete on the day the last month was paid, or
    on its due date if it was paid before with something left."""
    book = PlanBook(plan_months(lines, (), ACTIVATED))
    reports = []
    for month, cents in zip(book.months, lefts, strict=False):
        short = min(Decimal(cents) / 100, RULES.tolerance(month.total))
        on = month.due_date + timedelta(days=paid_before if month is book.months[-1] else 0)
        reports.append(left(month.plan_line.ref, str(short), on, month.sequence))
    book = book.with_reports(reports)  # months are 30 days apart: the last is paid after the one before falls due
    last = book.months[-1]
    judgement = judge(book, days(ACTIVATED, last.due_date + timedelta(days=40)), RULES)
    assert judgement.missed == ()
    assert judgement.broken is None
    paid_on = reports[-1].value_date
    expected = paid_on if paid_on >= last.due_date or reports[-1].left == 0 else last.due_date
    assert judgement.completed_on == expected
    assert completed_on(book, paid_on, max(paid_on, last.due_date), RULES) == expected


@given(lines=lines_strategy, continuing=st.lists(st.tuples(st.integers(min_value=-40, max_value=200), amounts), max_size=8))
@settings(max_examples=200, deadline=None)
def test_each_regular_installment_due_during_the_plan_is_in_exactly_one_month(
    lines: tuple[Due, ...], continuing: list[tuple[int, Decimal]]
) -> None:
    dues = [Due(10 + n, date(2026, 4, 15) + timedelta(days=offset), amount) for n, (offset, amount) in enumerate(continuing)]
    months = plan_months(lines, dues, ACTIVATED)
    during = [due for due in dues if ACTIVATED <= due.due_date <= lines[-1].due_date]  # from the day it starts
    asked = [line.ref.sequence for month in months for line in month.regular]
    assert sorted(asked) == sorted(due.sequence for due in during)
    assert sum((month.total for month in months), start=D(0)) == sum(
        (due.amount for due in (*lines, *during)), start=D(0)
    )  # the parts add up to the whole
    for previous, month in zip((None, *months), months, strict=False):
        if previous is None:
            assert all(ACTIVATED <= line.due_date <= month.due_date for line in month.regular)
        else:
            assert all(previous.due_date < line.due_date <= month.due_date for line in month.regular)
