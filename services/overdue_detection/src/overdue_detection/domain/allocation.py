"""How a repayment is split over a loan's unpaid installments (DESIGN.md §3 step 2)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tideover_contracts.events.loans import AllocationOrder

COMPONENT_ORDER: dict[AllocationOrder, tuple[str, ...]] = {
    # Penalty is settled first by default, as Fineract's default repayment strategy does.
    AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL: ("fee", "interest", "principal"),
    AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY: ("principal", "interest", "fee"),
}


@dataclass(frozen=True)
class InstallmentBalance:
    """What is still owed on one installment, by component."""

    sequence: int
    principal: Decimal
    interest: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True)
class Allocation:
    sequence: int
    principal: Decimal = Decimal(0)
    interest: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee


def allocate(amount: Decimal, unpaid: list[InstallmentBalance], order: AllocationOrder) -> tuple[list[Allocation], Decimal]:
    """Apply `amount` to the oldest installment first, components in `order`.

    Returns the allocations and what is left over (kept as a credit for later installments).
    """
    remaining = amount
    allocations: list[Allocation] = []
    for balance in sorted(unpaid, key=lambda item: item.sequence):
        if remaining <= 0:
            break
        paid: dict[str, Decimal] = {}
        for component in COMPONENT_ORDER[order]:
            paid[component] = min(getattr(balance, component), remaining)
            remaining -= paid[component]
        allocation = Allocation(balance.sequence, **paid)
        if allocation.total > 0:
            allocations.append(allocation)
    return allocations, remaining
