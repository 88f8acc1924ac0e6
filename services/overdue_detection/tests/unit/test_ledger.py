"""The per-loan ledger: penalty accrual, the cap, allocation of payments and replay (DESIGN.md §3 step 2, §4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from overdue_detection.domain.ledger import (
    ChargePolicy,
    Installment,
    accrue,
    allocate,
)

from .ledger_builders import (
    CENT,
    DEFAULT,
    MAX_EXAMPLES,
    PRINCIPAL_FIRST,
    PROMISED_ORDER,
    D,
    Loan,
    amounts,
    capped_policies,
    due_dates,
    loans,
    pause_lists,
    payment_amounts,
    policies,
    small_amounts,
    total_outstanding,
    total_paid,
    total_penalty,
    total_scheduled,
)


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
