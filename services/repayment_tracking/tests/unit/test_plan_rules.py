"""Following a plan from the ledger's reports: worked examples of the policy (DESIGN.md §3a, §4).
test_plan_rules_properties.py holds the properties for any reports and any way of closing the days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from repayment_tracking.domain.plan_rules import (
    Due,
    Line,
    LineKind,
    LineRef,
    Month,
    MonthStatus,
    PlanBook,
    Report,
    Rules,
    completed_on,
    judge,
    month_status,
    plan_months,
    reminders,
)
from tideover_contracts.events.tracking import PlanBreakReason

D = Decimal
RULES = Rules()
ACTIVATED = date(2026, 3, 16)
#: The golden plan: 348.33, 348.33, 348.34 due monthly from 15 April.
LINES = (Due(1, date(2026, 4, 15), D("348.33")), Due(2, date(2026, 5, 15), D("348.33")), Due(3, date(2026, 6, 15), D("348.34")))
PLAN = PlanBook(plan_months(LINES, (), ACTIVATED))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def plan_line(sequence: int) -> LineRef:
    return LineRef(LineKind.PLAN, sequence)


def regular(sequence: int) -> LineRef:
    return LineRef(LineKind.REGULAR, sequence)


def left(ref: LineRef, amount: str, on: date, arrival: int = 1, paid: str = "0", payment_id: str = "P1") -> Report:
    """The ledger's report: after payment `payment_id`, value-dated `on`, line `ref` still owes `amount`."""
    return Report(ref, payment_id, on, arrival, D(paid), D(amount))


def reported(*reports: Report, book: PlanBook = PLAN) -> PlanBook:
    return book.with_reports(reports)


def missed_of(book: PlanBook, first: date, last: date) -> list[tuple[int, date, Decimal, int]]:
    return [(m.sequence, m.on, m.shortfall, m.missed_count) for m in judge(book, days(first, last), RULES).missed]


class TestMonths:
    def test_an_arrears_plan_asks_each_month_for_its_line_and_the_regular_installments_due_in_it(self) -> None:
        continuing = (
            Due(5, date(2026, 3, 16), D("500.00")),  # due on the day the plan starts: month 1 asks for it
            Due(6, date(2026, 4, 10), D("500.00")),
            Due(7, date(2026, 5, 15), D("500.00")),  # on month 2's due date: in month 2
            Due(8, date(2026, 6, 20), D("500.00")),  # after the last month: not the plan's
        )
        months = plan_months(LINES, continuing, ACTIVATED)
        assert [[line.ref for line in month.lines] for month in months] == [
            [plan_line(1), regular(5), regular(6)],
            [plan_line(2), regular(7)],
            [plan_line(3)],
        ]
        assert [(month.total, month.regular_part) for month in months] == [
            (D("1348.33"), D("1000.00")),
            (D("848.33"), D("500.00")),
            (D("348.34"), D("0")),
        ]

    def test_month_zero_is_the_basis_date_when_earlier_than_the_activation(self) -> None:
        months = plan_months(LINES, (Due(5, date(2026, 3, 16), D("500.00")),), date(2026, 3, 15))
        assert [line.ref for line in months[0].lines] == [plan_line(1), regular(5)]


class TestWorkedExamples:
    def test_paid_on_time(self) -> None:
        book = reported(left(plan_line(1), "0.00", date(2026, 4, 15)))
        assert missed_of(book, date(2026, 4, 15), date(2026, 5, 14)) == []

    def test_paid_within_grace(self) -> None:
        # Due 15 April, 3 days of grace: judged at the close of the 19th, so paid by then is in time.
        assert missed_of(reported(left(plan_line(1), "0.00", date(2026, 4, 19))), date(2026, 4, 15), date(2026, 5, 14)) == []
        late = reported(left(plan_line(1), "0.00", date(2026, 4, 20)))
        assert missed_of(late, date(2026, 4, 15), date(2026, 4, 20)) == [(1, date(2026, 4, 19), D("348.33"), 1)]

    def test_short_by_less_than_the_tolerance(self) -> None:
        # Tolerance max(1% of 348.33 = 3.48, 10.00) = 10.00: 9.99 short is not a miss; 10.01 short is.
        assert missed_of(reported(left(plan_line(1), "9.99", date(2026, 4, 15))), date(2026, 4, 15), date(2026, 5, 14)) == []
        short = reported(left(plan_line(1), "10.01", date(2026, 4, 15)))
        assert missed_of(short, date(2026, 4, 15), date(2026, 5, 14)) == [(1, date(2026, 4, 19), D("10.01"), 1)]

    def test_broken_when_a_month_stays_unpaid_30_days(self) -> None:
        judgement = judge(PLAN, days(date(2026, 4, 15), date(2026, 6, 30)), RULES)
        # #1 missed on 19 April; 30 days unpaid on 15 May breaks it before #2 is missed.
        assert [m.sequence for m in judgement.missed] == [1]
        assert judgement.broken is not None
        assert (judgement.broken.reason, judgement.broken.on, judgement.broken.unpaid) == (
            PlanBreakReason.UNPAID_30_DAYS,
            date(2026, 5, 15),
            D("1045.00"),
        )

    def test_broken_when_two_months_are_missed_at_the_same_time(self) -> None:
        # Installments ten days apart: #1 half paid and missed on 19 April; #2 missed on 29 April
        # while #1 is still short: two months behind at once, broken (before #1 is 30 days unpaid).
        lines = (
            Due(1, date(2026, 4, 15), D("348.33")),
            Due(2, date(2026, 4, 25), D("348.33")),
            Due(3, date(2026, 5, 5), D("348.34")),
        )
        book = reported(
            left(plan_line(1), "174.16", date(2026, 4, 15)),
            left(plan_line(1), "20.00", date(2026, 4, 22), 2),
            book=PlanBook(plan_months(lines, (), ACTIVATED)),
        )
        judgement = judge(book, days(date(2026, 4, 15), date(2026, 6, 30)), RULES)
        assert [(m.sequence, m.on, m.missed_count) for m in judgement.missed] == [
            (1, date(2026, 4, 19), 1),
            (2, date(2026, 4, 29), 2),
        ]
        assert judgement.broken is not None
        assert (judgement.broken.reason, judgement.broken.on) == (PlanBreakReason.TWO_MISSED, date(2026, 4, 29))
        assert judgement.broken.unpaid == D("716.67")  # 20.00 + 348.33 + 348.34: everything the months still ask for
        # Had #1 been made good before #2 was missed, only one month would be behind.
        made_good = book.with_reports([left(plan_line(1), "5.00", date(2026, 4, 28), 3)])
        assert judge(made_good, days(date(2026, 4, 15), date(2026, 5, 8)), RULES).broken is None  # #3 is missed on 9 May

    def test_a_month_made_good_no_longer_counts(self) -> None:
        # #1 missed on 19 April, made good on 10 May; #2 missed on 19 May: one month behind, not two.
        book = reported(left(plan_line(1), "0.00", date(2026, 5, 10)))
        judgement = judge(book, days(date(2026, 4, 15), date(2026, 6, 13)), RULES)
        assert [(m.sequence, m.on, m.missed_count) for m in judgement.missed] == [
            (1, date(2026, 4, 19), 1),
            (2, date(2026, 5, 19), 2),
        ]
        assert judgement.broken is None
        # #2 still unpaid 30 days after it fell due: that breaks it.
        later = judge(book, days(date(2026, 6, 14), date(2026, 6, 14)), RULES)
        assert later.broken is not None
        assert (later.broken.reason, later.broken.on) == (PlanBreakReason.UNPAID_30_DAYS, date(2026, 6, 14))

    def test_a_month_is_judged_on_its_plan_line_and_regular_installment_together(self) -> None:
        book = PlanBook(plan_months(LINES, (Due(7, date(2026, 5, 1), D("500.00")),), ACTIVATED))
        # The ledger paid month 2's plan line but left 100.00 of its regular installment: the month is short.
        paid_in_any_mix = reported(
            left(plan_line(1), "0.00", date(2026, 4, 15)),
            left(plan_line(2), "0.00", date(2026, 5, 15), 2),
            left(regular(7), "100.00", date(2026, 5, 15), 3),
            book=book,
        )
        assert missed_of(paid_in_any_mix, date(2026, 4, 15), date(2026, 5, 20)) == [(2, date(2026, 5, 19), D("100.00"), 1)]
        assert judge(paid_in_any_mix, days(date(2026, 5, 20), date(2026, 6, 13)), RULES).broken is None
        # 8.00 short of 848.33 is within the tolerance (max(8.48, 10.00)).
        within = paid_in_any_mix.with_reports([left(regular(7), "8.00", date(2026, 5, 16), 4)])
        assert missed_of(within, date(2026, 4, 15), date(2026, 5, 20)) == []

    def test_a_late_report_value_dated_in_time_counts_in_time(self) -> None:
        # P2, value-dated 18 April (inside the grace), came before P1 of 16 April: no miss, and
        # what is left is the report of the latest value date, whichever arrived last.
        book = reported(
            left(plan_line(1), "0.00", date(2026, 4, 18), 1, payment_id="P2"),
            left(plan_line(1), "100.00", date(2026, 4, 16), 2, payment_id="P1"),
        )
        assert missed_of(book, date(2026, 4, 15), date(2026, 4, 30)) == []
        assert book.left_on(date(2026, 4, 17))[plan_line(1)] == D("100.00")
        assert book.left_on(date(2026, 4, 30))[plan_line(1)] == D("0.00")

    def test_completed_early_when_everything_is_paid(self) -> None:
        book = reported(*(left(plan_line(n), "0.00", date(2026, 4, 20), n) for n in (1, 2, 3)))
        assert completed_on(book, date(2026, 4, 20), date(2026, 4, 20), RULES) == date(2026, 4, 20)
        assert judge(book, days(date(2026, 4, 20), date(2026, 5, 1)), RULES).completed_on == date(2026, 4, 20)

    def test_a_last_month_short_by_less_than_the_tolerance_completes_the_plan(self) -> None:
        # Today's bug: 0.05 short of the last month, and the plan never ended.
        paid = [left(plan_line(1), "0.00", date(2026, 4, 15), 1), left(plan_line(2), "0.00", date(2026, 5, 15), 2)]
        after_due = reported(*paid, left(plan_line(3), "0.05", date(2026, 6, 16), 3))
        assert completed_on(after_due, date(2026, 6, 16), date(2026, 6, 16), RULES) == date(2026, 6, 16)
        # Paid so before its due date: the plan waits for the due date (the borrower may pay the rest), then completes.
        before_due = reported(*paid, left(plan_line(3), "0.05", date(2026, 6, 10), 3))
        assert completed_on(before_due, date(2026, 6, 10), date(2026, 6, 10), RULES) is None
        assert judge(before_due, days(date(2026, 6, 10), date(2026, 6, 30)), RULES).completed_on == date(2026, 6, 15)
        assert completed_on(before_due, date(2026, 6, 10), date(2026, 6, 20), RULES) == date(2026, 6, 15)

    def test_reminders_ask_for_the_whole_month_three_days_and_one_day_before(self) -> None:
        book = PlanBook(plan_months(LINES, (Due(6, date(2026, 4, 10), D("500.00")),), ACTIVATED))
        assert [(m.sequence, before, amount) for m, before, amount in reminders(book, date(2026, 4, 12), RULES)] == [
            (1, 3, D("848.33"))
        ]
        partly = reported(left(regular(6), "0.00", date(2026, 4, 10)), book=book)
        assert [(m.sequence, before, amount) for m, before, amount in reminders(partly, date(2026, 4, 14), RULES)] == [
            (1, 1, D("348.33"))
        ]
        paid = partly.with_reports([left(plan_line(1), "0.00", date(2026, 4, 13), 2)])
        assert reminders(paid, date(2026, 4, 14), RULES) == []

    def test_the_status_of_a_month(self) -> None:
        month = PLAN.months[0]
        assert month_status(month, D("0"), missed=True, rules=RULES) is MonthStatus.PAID
        assert month_status(month, D("9.99"), missed=True, rules=RULES) is MonthStatus.PAID  # made good within the tolerance
        assert month_status(month, D("100.00"), missed=True, rules=RULES) is MonthStatus.MISSED
        assert month_status(month, D("100.00"), missed=False, rules=RULES) is MonthStatus.PARTLY_PAID
        assert month_status(month, D("348.33"), missed=False, rules=RULES) is MonthStatus.DUE

    def test_a_month_of_nothing_is_met_when_its_due_date_comes_not_before(self) -> None:
        holiday = Month(1, date(2026, 4, 15), Line(LineRef(LineKind.PLAN, 1), date(2026, 4, 15), D("0.00")))

        assert month_status(holiday, D("0"), missed=False, rules=RULES, judged_through=date(2026, 4, 14)) is MonthStatus.DUE
        assert month_status(holiday, D("0"), missed=False, rules=RULES, judged_through=date(2026, 4, 15)) is MonthStatus.PAID
        assert month_status(holiday, D("0"), missed=False, rules=RULES) is MonthStatus.DUE


def test_a_reminder_day_passed_in_a_catch_up_is_reminded_at_its_latest_date_with_the_days_left() -> None:
    """The month due 15 April is reminded 3 days before, on the 12th; a catch-up closed the 11th
    and 12th quietly and tells on the 13th: reminded then, 2 days before, once."""
    book = PlanBook(plan_months(LINES, (), ACTIVATED))
    caught_up = reminders(book, date(2026, 4, 13), RULES, since=date(2026, 4, 11))
    assert [(m.sequence, before) for m, before, _ in caught_up] == [(1, 2)]
    assert reminders(book, date(2026, 4, 13), RULES) == []  # a day of its own: no reminder day
    assert reminders(book, date(2026, 4, 16), RULES, since=date(2026, 4, 11)) == []  # due already: not reminded
