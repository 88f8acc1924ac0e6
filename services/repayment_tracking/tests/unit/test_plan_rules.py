"""Following a plan: worked examples of the policy (DESIGN.md §4), and properties for any
payments, in any order, and any way of closing the days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from repayment_tracking.domain.plan_rules import (
    Due,
    Payment,
    Rules,
    completed,
    filled,
    judge,
    paid_by,
    reminders,
)
from tideover_contracts.events.tracking import PlanBreakReason

D = Decimal
RULES = Rules()
#: The golden plan: 348.33, 348.33, 348.34 due monthly from 15 April.
PLAN = (Due(1, date(2026, 4, 15), D("348.33")), Due(2, date(2026, 5, 15), D("348.33")), Due(3, date(2026, 6, 15), D("348.34")))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def pay(amount: str, on: date, payment_id: str = "P1") -> Payment:
    return Payment(payment_id, on, D(amount))


class TestWorkedExamples:
    def test_paid_on_time(self) -> None:
        payments = [pay("348.33", date(2026, 4, 15))]
        assert judge(PLAN, payments, frozenset(), days(date(2026, 4, 15), date(2026, 5, 14)), RULES).missed == ()

    def test_paid_within_grace(self) -> None:
        # Due 15 April, 3 days of grace: judged at the close of the 19th, so paid by then is in time.
        payments = [pay("348.33", date(2026, 4, 19))]
        assert judge(PLAN, payments, frozenset(), days(date(2026, 4, 15), date(2026, 5, 14)), RULES).missed == ()
        late = judge(PLAN, [pay("348.33", date(2026, 4, 20))], frozenset(), days(date(2026, 4, 15), date(2026, 4, 20)), RULES)
        assert [(m.sequence, m.on, m.shortfall) for m in late.missed] == [(1, date(2026, 4, 19), D("348.33"))]

    def test_short_by_less_than_the_tolerance(self) -> None:
        # Tolerance max(1% of 348.33 = 3.48, 10.00) = 10.00: 9.99 short is not a miss; 10.01 short is.
        assert (
            judge(PLAN, [pay("338.34", date(2026, 4, 15))], frozenset(), days(date(2026, 4, 15), date(2026, 5, 14)), RULES).missed
            == ()
        )
        short = judge(PLAN, [pay("338.32", date(2026, 4, 15))], frozenset(), days(date(2026, 4, 15), date(2026, 5, 14)), RULES)
        assert [(m.sequence, m.shortfall) for m in short.missed] == [(1, D("10.01"))]

    def test_missed_once_then_caught_up(self) -> None:
        # #1 missed on 19 April, paid with #2 on 10 May: one miss, no break; #2 is then on time.
        payments = [pay("696.66", date(2026, 5, 10))]
        judgement = judge(PLAN, payments, frozenset(), days(date(2026, 4, 15), date(2026, 6, 14)), RULES)
        assert [(m.sequence, m.on, m.missed_count) for m in judgement.missed] == [(1, date(2026, 4, 19), 1)]
        assert judgement.broken is None

    def test_broken_after_two_misses(self) -> None:
        judgement = judge(PLAN, [], frozenset(), days(date(2026, 4, 15), date(2026, 6, 30)), RULES)
        # #1 missed on 19 April; 30 days unpaid on 15 May breaks it before #2 is missed.
        assert [m.sequence for m in judgement.missed] == [1]
        assert judgement.broken is not None
        assert (judgement.broken.reason, judgement.broken.on) == (PlanBreakReason.UNPAID_30_DAYS, date(2026, 5, 15))
        assert judgement.broken.unpaid == D("1045.00")
        two = judge(PLAN, [pay("348.33", date(2026, 5, 10))], frozenset(), days(date(2026, 4, 15), date(2026, 6, 30)), RULES)
        # #1 missed, then paid; #2 missed on 19 May: the second miss breaks the plan.
        assert [(m.sequence, m.missed_count) for m in two.missed] == [(1, 1), (2, 2)]
        assert two.broken is not None
        assert (two.broken.reason, two.broken.on) == (PlanBreakReason.TWO_MISSED, date(2026, 5, 19))

    def test_completed_early_by_one_large_payment(self) -> None:
        payments = [pay("1045.00", date(2026, 4, 20))]
        assert completed(PLAN, payments)
        assert not completed(PLAN, [pay("1044.99", date(2026, 4, 20))])

    def test_an_overpayment_runs_on_and_the_rest_is_credit(self) -> None:
        paid, credit = filled(PLAN, D("1100.00"))
        assert paid == {1: D("348.33"), 2: D("348.33"), 3: D("348.34")}
        assert credit == D("55.00")

    def test_a_late_payment_value_dated_in_time_counts_in_time(self) -> None:
        # Value-dated 17 April (inside the grace), whenever it arrives: no miss.
        payments = [pay("348.33", date(2026, 4, 17))]
        assert judge(PLAN, payments, frozenset(), days(date(2026, 4, 15), date(2026, 4, 30)), RULES).missed == ()

    def test_reminders_three_days_and_one_day_before(self) -> None:
        assert [(due.sequence, before) for due, before, _ in reminders(PLAN, [], date(2026, 4, 12), RULES)] == [(1, 3)]
        assert [(due.sequence, before) for due, before, _ in reminders(PLAN, [], date(2026, 4, 14), RULES)] == [(1, 1)]
        assert reminders(PLAN, [pay("348.33", date(2026, 4, 10))], date(2026, 4, 14), RULES) == []  # paid already


amounts = st.integers(min_value=1, max_value=60_000).map(lambda cents: Decimal(cents) / 100)
dues_strategy = st.lists(amounts, min_size=1, max_size=8).map(
    lambda parts: tuple(Due(n + 1, date(2026, 4, 15) + timedelta(days=30 * n), amount) for n, amount in enumerate(parts))
)
payments_strategy = st.lists(
    st.tuples(amounts, st.integers(min_value=0, max_value=300)).map(
        lambda item: (item[0], date(2026, 4, 1) + timedelta(days=item[1]))
    ),
    max_size=8,
).map(lambda items: [Payment(f"P{n}", on, amount) for n, (amount, on) in enumerate(items)])


@given(dues=dues_strategy, payments=payments_strategy)
@settings(max_examples=300, deadline=None)
def test_every_payment_is_applied_once_and_no_installment_above_its_amount(
    dues: tuple[Due, ...], payments: list[Payment]
) -> None:
    total = paid_by(payments, date.max)
    paid, credit = filled(dues, total)
    assert sum(paid.values(), start=Decimal(0)) + credit == total  # total applied = total received
    assert all(Decimal(0) <= paid[due.sequence] <= due.amount for due in dues)


@given(dues=dues_strategy, payments=payments_strategy, cut=st.integers(min_value=1, max_value=400), order=st.randoms())
@settings(max_examples=300, deadline=None)
def test_closing_days_at_once_equals_one_by_one_for_any_order_of_payments(
    dues: tuple[Due, ...], payments: list[Payment], cut: int, order: object
) -> None:
    first, last = date(2026, 4, 1), date(2027, 6, 1)
    at_once = judge(dues, payments, frozenset(), days(first, last), RULES)
    shuffled = list(payments)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    # One by one, in two runs split anywhere, in another order of payments: the same judgement.
    split = first + timedelta(days=cut)
    before = judge(dues, shuffled, frozenset(), days(first, split), RULES)
    missed_before = frozenset(m.sequence for m in before.missed)
    after = judge(dues, shuffled, missed_before, days(split + timedelta(days=1), last), RULES) if before.broken is None else None
    together = before.missed + (after.missed if after else ())
    broken = before.broken or (after.broken if after else None)
    assert [(m.sequence, m.on) for m in together] == [(m.sequence, m.on) for m in at_once.missed]
    assert broken == at_once.broken
    # The status follows the rules: broken exactly when two were missed or one stayed unpaid 30 days.
    if at_once.broken is not None and at_once.broken.reason is PlanBreakReason.TWO_MISSED:
        assert len(at_once.missed) >= RULES.misses_to_break
    if at_once.broken is None:
        assert len(at_once.missed) < RULES.misses_to_break
