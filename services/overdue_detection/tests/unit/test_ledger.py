"""The per-loan ledger: penalty accrual, the cap, allocation of payments and replay (DESIGN.md §3 step 2, §4)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from overdue_detection.domain.ledger import (
    Allocation,
    ChargePolicy,
    Installment,
    Pause,
    Payment,
    accrue,
    allocate,
)
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.events.loans import AllocationOrder

D = Decimal
CENT = D("0.01")
DEFAULT = AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL
PRINCIPAL_FIRST = AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY
#: The components in the order each AllocationOrder promises, spelled out here rather than
#: read from the module so that a wrong table there is caught.
PROMISED_ORDER = {
    DEFAULT: ("penalty", "fee", "interest", "principal"),
    PRINCIPAL_FIRST: ("principal", "interest", "fee", "penalty"),
}
#: CN seed policy: contract 7.20%, overdue 3.60%, cap 4 × LPR 3.0% = 12.00% (DESIGN.md §4).
CN = ChargePolicy(contract_rate=D("0.0720"), overdue_rate=D("0.0360"), cap_rate=D("0.1200"))
MAX_EXAMPLES = 200


# --- helpers ---------------------------------------------------------------------------------


def installment(sequence: int, due: date, principal: str, interest: str, fee: str = "0.00") -> Installment:
    return Installment(sequence, due, D(principal), D(interest), D(fee))


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; the strategies keep the day of month ≤ 28."""
    month_index = day.month - 1 + months
    return day.replace(year=day.year + month_index // 12, month=month_index % 12 + 1)


def total_paid(installments: tuple[Installment, ...]) -> Decimal:
    return sum((i.paid_principal + i.paid_interest + i.paid_fee + i.paid_penalty for i in installments), start=D(0))


def total_scheduled(installments: tuple[Installment, ...]) -> Decimal:
    return sum((i.principal + i.interest + i.fee for i in installments), start=D(0))


def total_penalty(installments: tuple[Installment, ...], day_count: int) -> Decimal:
    return sum((i.penalty_charged(day_count) for i in installments), start=D(0))


def total_outstanding(installments: tuple[Installment, ...], day_count: int) -> Decimal:
    return sum((i.outstanding(day_count) for i in installments), start=D(0))


def nothing_owed() -> dict[str, Decimal]:
    return dict.fromkeys(("penalty", "fee", "interest", "principal"), D("0.00"))


# --- strategies ------------------------------------------------------------------------------

rates = st.decimals(min_value=D("0"), max_value=D("0.36"), places=4)
amounts = st.decimals(min_value=D("0.00"), max_value=D("50000.00"), places=2)
small_amounts = st.decimals(min_value=D("0.00"), max_value=D("500.00"), places=2)
payment_amounts = st.decimals(min_value=D("0.01"), max_value=D("30000.00"), places=2)
policies = st.builds(
    ChargePolicy,
    contract_rate=rates,
    overdue_rate=rates,
    cap_rate=st.none() | rates,
    day_count=st.sampled_from((365, 360)),
)
capped_policies = st.builds(
    ChargePolicy, contract_rate=rates, overdue_rate=rates, cap_rate=rates, day_count=st.sampled_from((365, 360))
)


@st.composite
def due_dates(draw: st.DrawFn) -> date:
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    return day.replace(day=min(day.day, 28))


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Installment, ...]:
    """1–12 monthly installments, amounts at the cent."""
    first_due = draw(due_dates())
    count = draw(st.integers(min_value=1, max_value=12))
    return tuple(
        Installment(n + 1, add_months(first_due, n), draw(amounts), draw(small_amounts), draw(small_amounts))
        for n in range(count)
    )


@st.composite
def pause_lists(draw: st.DrawFn, around: date) -> tuple[Pause, ...]:
    pauses = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        start = around + timedelta(days=draw(st.integers(min_value=-30, max_value=400)))
        length = draw(st.none() | st.integers(min_value=0, max_value=120))
        pauses.append(Pause(start, None if length is None else start + timedelta(days=length)))
    return tuple(pauses)


@dataclass(frozen=True)
class Loan:
    schedule: tuple[Installment, ...]
    payments: tuple[Payment, ...]
    through: date
    policy: ChargePolicy
    order: AllocationOrder
    pauses: tuple[Pause, ...]

    def replay(self, through: date | None = None) -> Ledger:
        return replay(self.schedule, self.payments, through or self.through, self.policy, self.order, self.pauses)


@st.composite
def loans(draw: st.DrawFn) -> Loan:
    """A schedule, payments value-dated from a month early to a year late, a business day, a policy."""
    schedule = draw(schedules())
    first_due = schedule[0].due_date
    payments = tuple(
        Payment(f"p{n}", draw(payment_amounts), first_due + timedelta(days=draw(st.integers(min_value=-30, max_value=365))))
        for n in range(draw(st.integers(min_value=0, max_value=6)))
    )
    through = first_due + timedelta(days=draw(st.integers(min_value=0, max_value=730)))
    pauses = draw(pause_lists(first_due))
    return Loan(schedule, payments, through, draw(policies), draw(st.sampled_from(AllocationOrder)), pauses)


# --- A1. conservation ------------------------------------------------------------------------


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans())
def test_paid_plus_outstanding_is_scheduled_plus_penalty_and_payments_are_paid_or_credit(loan: Loan) -> None:
    ledger = loan.replay()
    day_count = loan.policy.day_count
    paid = total_paid(ledger.installments)

    # Nothing is waived here: every cent scheduled or charged is either paid or still owed.
    assert paid + total_outstanding(ledger.installments, day_count) == total_scheduled(loan.schedule) + total_penalty(
        ledger.installments, day_count
    )
    # Every cent received is applied to an installment or kept as credit.
    assert paid + ledger.credit == sum((p.amount for p in loan.payments), start=D(0))
    assert ledger.credit >= 0
    allocated = sum((a.total for _, allocations in ledger.allocations for a in allocations), start=D(0))
    assert allocated == paid


# --- A2. no component goes negative ----------------------------------------------------------


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans())
def test_no_component_is_overpaid_or_owed_below_zero(loan: Loan) -> None:
    ledger = loan.replay()
    day_count = loan.policy.day_count

    for item in ledger.installments:
        assert all(owed >= 0 for owed in item.owed(day_count).values()), item
        assert D(0) <= item.paid_principal <= item.principal
        assert D(0) <= item.paid_interest <= item.interest
        assert D(0) <= item.paid_fee <= item.fee
        assert D(0) <= item.paid_penalty <= item.penalty_charged(day_count)
    for _, allocations in ledger.allocations:
        for allocation in allocations:
            assert min(allocation.penalty, allocation.fee, allocation.interest, allocation.principal) >= 0


# --- A3. closing N days at once equals closing them one by one ------------------------------


@st.composite
def partly_paid_installments(draw: st.DrawFn) -> Installment:
    fresh = Installment(1, draw(due_dates()), draw(amounts), draw(small_amounts), draw(small_amounts))
    return replace(
        fresh,
        paid_principal=draw(st.decimals(min_value=D("0.00"), max_value=fresh.principal, places=2)),
        paid_interest=draw(st.decimals(min_value=D("0.00"), max_value=fresh.interest, places=2)),
    )


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(partly_paid_installments(), policies, st.integers(min_value=0, max_value=400), st.data())
def test_accruing_n_days_at_once_equals_accruing_them_one_by_one(
    item: Installment, policy: ChargePolicy, days: int, data: st.DataObject
) -> None:
    pauses = data.draw(st.just(()) | pause_lists(item.due_date), label="pauses")
    through = item.due_date + timedelta(days=days)

    at_once = accrue(item, through, policy, pauses)
    one_by_one = item
    for offset in range(1, days + 1):
        one_by_one = accrue(one_by_one, item.due_date + timedelta(days=offset), policy, pauses)

    assert at_once == one_by_one
    assert at_once.penalty_charged(policy.day_count) == one_by_one.penalty_charged(policy.day_count)


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans())
def test_replay_through_a_day_equals_replay_through_the_day_before_then_that_days_accrual(loan: Loan) -> None:
    day_before = loan.through - timedelta(days=1)
    loan = replace(loan, payments=tuple(p for p in loan.payments if p.value_date <= day_before))

    directly = loan.replay(loan.through)
    before = loan.replay(day_before)
    closed = tuple(accrue(i, loan.through, loan.policy, loan.pauses) for i in before.installments)

    assert closed == directly.installments
    assert before.credit == directly.credit
    assert before.allocations == directly.allocations


# --- A4. the cap is never exceeded -----------------------------------------------------------


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(policies)
def test_penalty_rate_stays_within_the_cap_and_never_goes_negative(policy: ChargePolicy) -> None:
    assert policy.penalty_rate >= 0
    assert policy.penalty_rate <= policy.overdue_rate
    if policy.cap_rate is None:
        assert policy.penalty_rate == policy.overdue_rate
    elif policy.contract_rate <= policy.cap_rate:
        assert policy.contract_rate + policy.penalty_rate <= policy.cap_rate
    else:
        assert policy.penalty_rate == 0
    assert policy.cap_binds is (policy.penalty_rate < policy.overdue_rate)


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans(), capped_policies)
def test_penalty_charged_never_exceeds_what_the_cap_leaves_room_for(loan: Loan, policy: ChargePolicy) -> None:
    assert policy.cap_rate is not None
    # Payments up to the business day only, so that accrual stops at `through`.
    loan = replace(loan, policy=policy, payments=tuple(p for p in loan.payments if p.value_date <= loan.through))
    room = max(D(0), policy.cap_rate - policy.contract_rate)

    for item in loan.replay().installments:
        overdue_days = max(0, (loan.through - item.due_date).days)
        base = item.principal + item.interest  # the largest the penalty base ever is
        ceiling = (base * room * overdue_days / policy.day_count).quantize(CENT, rounding=ROUND_UP)
        assert item.penalty_charged(policy.day_count) <= ceiling


# --- A5. allocation order --------------------------------------------------------------------


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans(), payment_amounts, st.data())
def test_a_payment_follows_the_component_order_and_settles_older_installments_first(
    loan: Loan, amount: Decimal, data: st.DataObject
) -> None:
    day_count = loan.policy.day_count
    # A realistic state (partly paid, penalty accrued), handed over in any order: age is the sequence.
    before = tuple(data.draw(st.permutations(loan.replay().installments), label="installments"))
    after, allocations, left = allocate(before, amount, loan.order, day_count)
    after_by_sequence = {i.sequence: i for i in after}

    for allocation in allocations:
        owed_after = after_by_sequence[allocation.sequence].owed(day_count)
        components = PROMISED_ORDER[loan.order]
        for position, component in enumerate(components):
            if getattr(allocation, component) > 0:
                # Whatever comes earlier in the order is fully paid once a later component receives anything.
                assert all(owed_after[earlier] == 0 for earlier in components[:position]), (allocation, owed_after)
        for older in after:
            if older.sequence < allocation.sequence:
                assert older.outstanding(day_count) == 0, (older, allocation)
    assert sum((a.total for a in allocations), start=D(0)) + left == amount
    if left > 0:
        assert total_outstanding(after, day_count) == 0


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans())
def test_no_principal_while_penalty_fee_or_interest_is_owed_in_default_order(loan: Loan) -> None:
    loan = replace(loan, order=DEFAULT)
    day_count = loan.policy.day_count
    for item in loan.replay().installments:
        if item.paid_principal > 0:
            owed = item.owed(day_count)
            # Penalty may have accrued again after the payment; fee and interest came before principal.
            assert owed["fee"] == 0
            assert owed["interest"] == 0


@settings(max_examples=MAX_EXAMPLES, deadline=None)
@given(loans())
def test_no_penalty_while_principal_is_owed_in_principal_first_order(loan: Loan) -> None:
    loan = replace(loan, order=PRINCIPAL_FIRST)
    day_count = loan.policy.day_count
    for item in loan.replay().installments:
        if item.paid_penalty > 0:
            owed = item.owed(day_count)
            assert owed["principal"] == 0
            assert owed["interest"] == 0
            assert owed["fee"] == 0


# --- B. worked examples (ACT/365, CNY) -------------------------------------------------------


def test_seed_policy_charges_the_contract_overdue_rate() -> None:
    # room under the cap: 12.00% − 7.20% = 4.80% > 3.60%, so the cap does not bind
    assert CN.penalty_rate == D("0.0360")
    assert CN.cap_binds is False


def test_penalty_is_rounded_half_up_at_exactly_half_a_cent() -> None:
    # 900.00 + 12.50 one day late at 5.00%: 912.50 × 0.05 × 1 = 45.625; / 365 = 0.125 exactly → 0.13
    # (half-up, the mode of Postgres round(); half-even would give 0.12)
    policy = ChargePolicy(contract_rate=D("0.0700"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))
    item = accrue(installment(1, date(2026, 2, 15), "900.00", "12.50"), date(2026, 2, 16), policy)

    assert item.penalty_basis == D("45.625")
    assert item.penalty_charged(365) == D("0.13")


class TestOneDayLate:
    """1000.00 + 45.00 due 2026-02-15, paid 2026-02-16.

    One day of penalty on 1045.00 at 3.60%: 1045.00 × 0.0360 × 1 = 37.62 (basis);
    37.62 / 365 = 0.10306… → 0.10.
    """

    schedule = (installment(1, date(2026, 2, 15), "1000.00", "45.00"),)

    def pay(self, amount: str) -> Ledger:
        return replay(self.schedule, (Payment("p1", D(amount), date(2026, 2, 16)),), date(2026, 2, 16), CN, DEFAULT)

    def test_one_day_of_penalty_is_ten_cents(self) -> None:
        (item,) = replay(self.schedule, (), date(2026, 2, 16), CN, DEFAULT).installments

        assert item.penalty_basis == D("37.62")
        assert item.penalty_charged(365) == D("0.10")
        assert item.outstanding(365) == D("1045.10")

    def test_paying_the_penalty_too_leaves_nothing_owed(self) -> None:
        ledger = self.pay("1045.10")

        assert ledger.installments[0].owed(365) == nothing_owed()
        assert ledger.credit == D("0.00")
        assert ledger.allocations == (
            ("p1", (Allocation(1, D("0.10"), D("0.00"), D("45.00"), D("1000.00"), date(2026, 2, 15), left=D("0.00")),)),
        )

    def test_paying_only_the_schedule_leaves_ten_cents_of_principal(self) -> None:
        # penalty first: 1045.00 − 0.10 penalty − 45.00 interest = 999.90 principal; 0.10 principal left
        ledger = self.pay("1045.00")

        assert ledger.installments[0].owed(365) == {**nothing_owed(), "principal": D("0.10")}
        assert ledger.installments[0].paid_principal == D("999.90")


def test_a_partial_payment_across_two_overdue_installments() -> None:
    # #1 1000.00 + 45.00 + fee 5.00 due 2026-01-15; #2 the same due 2026-02-15; 1100.00 value-dated 2026-03-17.
    # #1: 61 days overdue (16 in Jan + 28 in Feb + 17 in Mar): 1045.00 × 0.036 × 61 = 2294.82; / 365 = 6.2871… → 6.29
    # #2: 30 days overdue (13 in Feb + 17 in Mar):             1045.00 × 0.036 × 30 = 1128.60; / 365 = 3.0920… → 3.09
    # 1100.00 → #1: penalty 6.29, fee 5.00, interest 45.00, principal 1000.00 (1056.29), 43.71 left
    #         → #2: penalty 3.09, fee 5.00, interest 35.62 (43.71 − 3.09 − 5.00), principal 0
    schedule = (
        installment(1, date(2026, 1, 15), "1000.00", "45.00", "5.00"),
        installment(2, date(2026, 2, 15), "1000.00", "45.00", "5.00"),
    )

    ledger = replay(schedule, (Payment("p1", D("1100.00"), date(2026, 3, 17)),), date(2026, 3, 17), CN, DEFAULT)

    first, second = ledger.installments
    assert (first.penalty_basis, second.penalty_basis) == (D("2294.82"), D("1128.60"))
    assert ledger.allocations == (
        (
            "p1",
            (
                Allocation(1, D("6.29"), D("5.00"), D("45.00"), D("1000.00"), date(2026, 1, 15), left=D("0.00")),
                Allocation(2, D("3.09"), D("5.00"), D("35.62"), D("0"), date(2026, 2, 15), left=D("1009.38")),
            ),
        ),
    )
    assert first.owed(365) == nothing_owed()
    assert second.owed(365) == {"penalty": D("0.00"), "fee": D("0.00"), "interest": D("9.38"), "principal": D("1000.00")}
    assert ledger.credit == D("0.00")


class TestValueDatedPayment:
    """1000.00 + 45.00 due 2026-01-15; 500.00 received 2026-03-01, value-dated 2026-01-25; closed through 2026-03-01."""

    schedule = (installment(1, date(2026, 1, 15), "1000.00", "45.00"),)
    through = date(2026, 3, 1)

    def replayed(self, *payments: Payment) -> Installment:
        return replay(self.schedule, payments, self.through, CN, DEFAULT).installments[0]

    def test_without_the_payment(self) -> None:
        # 45 days (16 in Jan + 28 in Feb + 1 in Mar) on 1045.00: 37.62 × 45 = 1692.90; / 365 = 4.6380… → 4.64
        item = self.replayed()

        assert item.penalty_basis == D("1692.90")
        assert item.penalty_charged(365) == D("4.64")

    def test_at_its_value_date_the_payment_reduces_the_penalty_since(self) -> None:
        # to 2026-01-25: 10 days on 1045.00: 376.20; / 365 = 1.0306… → 1.03 charged when the payment lands.
        # 500.00 → penalty 1.03, interest 45.00, principal 453.97; base left 1000.00 − 453.97 = 546.03.
        # 2026-01-26 … 2026-03-01: 35 days on 546.03: 546.03 × 0.036 × 35 = 687.9978.
        # basis 376.20 + 687.9978 = 1064.1978; / 365 = 2.9156… → 2.92 charged, 1.03 paid, 1.89 owed.
        item = self.replayed(Payment("p1", D("500.00"), date(2026, 1, 25)))

        assert item.penalty_basis == D("1064.1978")
        assert item.penalty_charged(365) == D("2.92")
        assert item.owed(365) == {"penalty": D("1.89"), "fee": D("0.00"), "interest": D("0.00"), "principal": D("546.03")}
        # 4.64 − 2.92 = 1.72 less penalty than without the payment
        assert self.replayed().penalty_charged(365) - item.penalty_charged(365) == D("1.72")

    def test_the_same_payment_at_its_receipt_date_saves_no_penalty(self) -> None:
        # the full 4.64 accrues first; 500.00 → penalty 4.64, interest 45.00, principal 450.36; 549.64 left
        item = self.replayed(Payment("p1", D("500.00"), self.through))

        assert item.penalty_charged(365) == D("4.64")
        assert item.owed(365) == {**nothing_owed(), "principal": D("549.64")}


class TestCap:
    def test_the_cap_limits_the_penalty_rate(self) -> None:
        # room under the cap: 12.00% − 10.00% = 2.00% < 5.00% overdue rate
        policy = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))

        assert policy.penalty_rate == D("0.0200")
        assert policy.cap_binds is True

    def test_a_capped_loan_accrues_at_the_capped_rate(self) -> None:
        # 30 days on 1045.00 at 2.00%: 1045.00 × 0.02 × 30 = 627.00; / 365 = 1.7178… → 1.72 (uncapped 5%: 4.29)
        policy = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))
        item = installment(1, date(2026, 1, 15), "1000.00", "45.00")

        assert accrue(item, date(2026, 2, 14), policy).penalty_charged(365) == D("1.72")
        uncapped = replace(policy, cap_rate=None)
        assert accrue(item, date(2026, 2, 14), uncapped).penalty_charged(365) == D("4.29")

    def test_a_contract_rate_above_the_cap_leaves_no_room_for_penalty(self) -> None:
        # 18.00% > 12.00%: penalty = max(0, min(3.60%, 12.00% − 18.00%)) = 0; nothing accrues in 100 days
        policy = ChargePolicy(contract_rate=D("0.1800"), overdue_rate=D("0.0360"), cap_rate=D("0.1200"))
        item = installment(1, date(2026, 1, 15), "1000.00", "45.00")

        assert policy.penalty_rate == D("0")
        assert policy.cap_binds is True
        assert accrue(item, date(2026, 4, 25), policy).penalty_charged(365) == D("0.00")


class TestCuredThenOverdueAgain:
    """#1 and #2 each 1000.00 + 45.00, due 2026-01-15 and 2026-02-15.

    #1 paid 2026-01-20, 5 days late: 1045.00 × 0.036 × 5 = 188.10; / 365 = 0.5153… → 0.52; paid 1045.52.
    """

    schedule = (
        installment(1, date(2026, 1, 15), "1000.00", "45.00"),
        installment(2, date(2026, 2, 15), "1000.00", "45.00"),
    )
    cure = Payment("p1", D("1045.52"), date(2026, 1, 20))

    def test_the_late_installment_paid_with_its_penalty_owes_nothing(self) -> None:
        first, second = replay(self.schedule, (self.cure,), date(2026, 2, 15), CN, DEFAULT).installments

        assert first.penalty_charged(365) == D("0.52")
        assert first.owed(365) == nothing_owed()
        # #2 is due today, not overdue: no penalty yet
        assert second.penalty_basis == D("0")
        assert second.outstanding(365) == D("1045.00")

    def test_the_next_installment_accrues_from_its_own_due_date_only(self) -> None:
        # through 2026-02-25: #2 is 10 days overdue: 376.20; / 365 = 1.0306… → 1.03; #1 stays at 0.52, all paid
        first, second = replay(self.schedule, (self.cure,), date(2026, 2, 25), CN, DEFAULT).installments

        assert first.penalty_charged(365) == D("0.52")
        assert first.owed(365) == nothing_owed()
        assert second.penalty_basis == D("376.20")
        assert second.owed(365) == {**nothing_owed(), "penalty": D("1.03"), "interest": D("45.00"), "principal": D("1000.00")}


class TestPause:
    """1000.00 + 45.00 due 2026-01-15; a plan from 2026-01-25 to 2026-02-24. One day on 1045.00 is a basis of 37.62."""

    item = installment(1, date(2026, 1, 15), "1000.00", "45.00")
    plan = (Pause(date(2026, 1, 25), date(2026, 2, 24)),)

    def charged_through(self, day: date, pauses: tuple[Pause, ...]) -> Decimal:
        return accrue(self.item, day, CN, pauses).penalty_charged(365)

    def test_penalty_accrues_up_to_and_including_the_start_day(self) -> None:
        # 2026-01-16 … 2026-01-25: 10 days: 376.20; / 365 = 1.0306… → 1.03
        assert self.charged_through(date(2026, 1, 25), self.plan) == D("1.03")

    def test_nothing_accrues_while_the_plan_runs(self) -> None:
        # 2026-01-26 … 2026-02-23 are covered: still 10 days
        assert self.charged_through(date(2026, 1, 26), self.plan) == D("1.03")
        assert self.charged_through(date(2026, 2, 23), self.plan) == D("1.03")

    def test_penalty_accrues_again_from_the_end_day(self) -> None:
        # The plan ended on 2026-02-24 (broke, or completed with something left): collection
        # resumes that day. 2026-02-24: 11 days: 413.82; / 365 = 1.1337… → 1.13
        assert self.charged_through(date(2026, 2, 24), self.plan) == D("1.13")
        # 2026-03-06: 10 + 11 (2026-02-24 … 2026-03-06) = 21 days: 790.02; / 365 = 2.1644… → 2.16
        assert accrue(self.item, date(2026, 3, 6), CN, self.plan).penalty_basis == D("790.02")
        assert self.charged_through(date(2026, 3, 6), self.plan) == D("2.16")

    def test_without_the_plan_every_day_counts(self) -> None:
        # 2026-01-16 … 2026-03-06: 16 + 28 + 6 = 50 days: 1881.00; / 365 = 5.1534… → 5.15
        assert self.charged_through(date(2026, 3, 6), ()) == D("5.15")

    def test_an_open_ended_plan_stops_accrual_for_good(self) -> None:
        assert self.charged_through(date(2026, 12, 31), (Pause(date(2026, 1, 25)),)) == D("1.03")

    def test_replay_honours_the_plan_too(self) -> None:
        ledger = replay((self.item,), (), date(2026, 3, 6), CN, DEFAULT, self.plan)

        assert ledger.installments[0].penalty_charged(365) == D("2.16")
