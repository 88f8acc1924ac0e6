"""allocate: a repayment goes to the oldest installment first, components in the product's order."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from overdue_detection.domain.allocation import Allocation, InstallmentBalance, allocate
from tideover_contracts.events.loans import AllocationOrder

DEFAULT = AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL
PRINCIPAL_FIRST = AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY
D = Decimal


def balance(sequence: int, principal: str, interest: str, fee: str = "0.00") -> InstallmentBalance:
    return InstallmentBalance(sequence, D(principal), D(interest), D(fee))


def three_installments() -> list[InstallmentBalance]:
    """The golden loan: 3000.00 over three months, 45.00 interest and a 5.00 fee each."""
    return [
        balance(1, "1000.00", "45.00", "5.00"),
        balance(2, "1000.00", "45.00", "5.00"),
        balance(3, "1000.00", "45.00", "5.00"),
    ]


class TestDefaultOrder:
    def test_fee_then_interest_then_principal_within_an_installment(self) -> None:
        # 30.00 covers the 5.00 fee and 25.00 of the 45.00 interest; no principal.
        allocations, left_over = allocate(D("30.00"), three_installments(), DEFAULT)

        assert allocations == [Allocation(1, principal=D(0), interest=D("25.00"), fee=D("5.00"))]
        assert left_over == D("0.00")

    def test_principal_gets_what_remains_after_fee_and_interest(self) -> None:
        # 500.00 - 5.00 fee - 45.00 interest = 450.00 principal
        allocations, left_over = allocate(D("500.00"), three_installments(), DEFAULT)

        assert allocations == [Allocation(1, principal=D("450.00"), interest=D("45.00"), fee=D("5.00"))]
        assert left_over == D("0.00")

    def test_oldest_installment_is_settled_before_the_next(self) -> None:
        # 1200.00 - 1050.00 (all of #1) = 150.00 for #2: 5.00 fee, 45.00 interest, 100.00 principal
        allocations, left_over = allocate(D("1200.00"), three_installments(), DEFAULT)

        assert allocations == [
            Allocation(1, principal=D("1000.00"), interest=D("45.00"), fee=D("5.00")),
            Allocation(2, principal=D("100.00"), interest=D("45.00"), fee=D("5.00")),
        ]
        assert left_over == D("0.00")

    def test_installments_are_taken_by_sequence_not_by_list_order(self) -> None:
        unpaid = list(reversed(three_installments()))

        allocations, _ = allocate(D("1060.00"), unpaid, DEFAULT)

        # 1060.00 - 1050.00 = 10.00 for #2: 5.00 fee and 5.00 interest
        assert [allocation.sequence for allocation in allocations] == [1, 2]
        assert allocations[1] == Allocation(2, principal=D(0), interest=D("5.00"), fee=D("5.00"))

    def test_a_partly_paid_installment_takes_only_what_is_still_owed(self) -> None:
        # #1 only has 200.00 principal left; 300.00 pays it and 100.00 goes to #2 (fee 5, interest 45, principal 50).
        unpaid = [balance(1, "200.00", "0.00", "0.00"), balance(2, "1000.00", "45.00", "5.00")]

        allocations, left_over = allocate(D("300.00"), unpaid, DEFAULT)

        assert allocations == [
            Allocation(1, principal=D("200.00")),
            Allocation(2, principal=D("50.00"), interest=D("45.00"), fee=D("5.00")),
        ]
        assert left_over == D("0.00")

    def test_overpayment_is_returned_as_left_over(self) -> None:
        # 3 x 1050.00 = 3150.00 owed; 3200.00 - 3150.00 = 50.00 left over
        allocations, left_over = allocate(D("3200.00"), three_installments(), DEFAULT)

        assert sum(allocation.total for allocation in allocations) == D("3150.00")
        assert left_over == D("50.00")

    def test_nothing_owed_leaves_everything_over(self) -> None:
        assert allocate(D("100.00"), [], DEFAULT) == ([], D("100.00"))

    def test_a_fully_paid_installment_gets_no_allocation(self) -> None:
        unpaid = [balance(1, "0.00", "0.00", "0.00"), balance(2, "100.00", "0.00", "0.00")]

        allocations, left_over = allocate(D("40.00"), unpaid, DEFAULT)

        assert allocations == [Allocation(2, principal=D("40.00"))]
        assert left_over == D("0.00")


class TestPrincipalFirstOrder:
    def test_principal_is_settled_first(self) -> None:
        # 30.00 goes entirely to the 1000.00 principal of #1
        allocations, left_over = allocate(D("30.00"), three_installments(), PRINCIPAL_FIRST)

        assert allocations == [Allocation(1, principal=D("30.00"))]
        assert left_over == D("0.00")

    def test_then_interest_then_fee(self) -> None:
        # 1048.00 - 1000.00 principal - 45.00 interest = 3.00 of the 5.00 fee
        allocations, left_over = allocate(D("1048.00"), three_installments(), PRINCIPAL_FIRST)

        assert allocations == [Allocation(1, principal=D("1000.00"), interest=D("45.00"), fee=D("3.00"))]
        assert left_over == D("0.00")


# --- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**9).map(lambda minor: D(minor).scaleb(-2))
balances = st.lists(st.tuples(cents, cents, cents), max_size=8).map(
    lambda rows: [InstallmentBalance(index + 1, *row) for index, row in enumerate(rows)]
)
orders = st.sampled_from(list(AllocationOrder))


@given(amount=cents, unpaid=balances, order=orders)
def test_allocated_plus_left_over_is_the_amount(
    amount: Decimal, unpaid: list[InstallmentBalance], order: AllocationOrder
) -> None:
    allocations, left_over = allocate(amount, unpaid, order)

    assert sum((allocation.total for allocation in allocations), D(0)) + left_over == amount


@given(amount=cents, unpaid=balances, order=orders)
def test_no_component_exceeds_what_was_owed(amount: Decimal, unpaid: list[InstallmentBalance], order: AllocationOrder) -> None:
    allocations, _ = allocate(amount, unpaid, order)

    owed = {item.sequence: item for item in unpaid}
    for allocation in allocations:
        assert allocation.principal <= owed[allocation.sequence].principal
        assert allocation.interest <= owed[allocation.sequence].interest
        assert allocation.fee <= owed[allocation.sequence].fee


@given(amount=cents, unpaid=balances, order=orders)
def test_nothing_is_negative_and_nothing_is_empty(
    amount: Decimal, unpaid: list[InstallmentBalance], order: AllocationOrder
) -> None:
    allocations, left_over = allocate(amount, unpaid, order)

    assert left_over >= 0
    for allocation in allocations:
        assert min(allocation.principal, allocation.interest, allocation.fee) >= 0
        assert allocation.total > 0


@given(amount=cents, unpaid=balances, order=orders)
def test_money_is_left_over_only_when_everything_is_paid(
    amount: Decimal, unpaid: list[InstallmentBalance], order: AllocationOrder
) -> None:
    allocations, left_over = allocate(amount, unpaid, order)

    if left_over > 0:
        assert sum((allocation.total for allocation in allocations), D(0)) == sum((item.total for item in unpaid), D(0))
