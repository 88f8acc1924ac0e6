"""A loan's ledger as of a business date: what was scheduled, paid and charged, per installment.

Penalty interest accrues daily on each overdue installment's unpaid principal and interest,
at the contract's overdue rate (ACT/365 by default), for every day after its due date that is
not under a repayment plan, and never at more than the jurisdiction's cap allows (DESIGN.md §4).

Exactness: each installment keeps `penalty_basis` = Σ unpaid base × rate × days, which is
exact decimal arithmetic, and its penalty charged is that basis divided by the day count and
rounded half-up to the cent once. So closing N days at once and closing them one by one
give the same cents, and the same numbers come out of the set-based SQL close.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tideover_contracts.events.loans import AllocationOrder

CENT = Decimal("0.01")
ZERO = Decimal(0)
#: Penalty charged is rounded half-up to the cent: the mode of Postgres round(), so the
#: set-based business-day close and this per-loan replay give the same cents.
PENALTY_ROUNDING = ROUND_HALF_UP


@dataclass(frozen=True)
class ChargePolicy:
    """The rates that apply to overdue amounts of one loan."""

    contract_rate: Decimal
    overdue_rate: Decimal
    #: Yearly cap on contract + penalty interest charged on overdue amounts, or None. CN: 4 × the
    #: one-year LPR (SPC private-lending rules 2020, arts. 25, 28, 29); fees are not charged on
    #: overdue amounts by Tideover, so the cap leaves room for penalty = cap − contract rate.
    cap_rate: Decimal | None
    day_count: int = 365

    @property
    def penalty_rate(self) -> Decimal:
        """The penalty rate actually charged: the contract's, or less where the cap binds."""
        if self.cap_rate is None:
            return self.overdue_rate
        return max(ZERO, min(self.overdue_rate, self.cap_rate - self.contract_rate))

    @property
    def cap_binds(self) -> bool:
        return self.penalty_rate < self.overdue_rate


@dataclass(frozen=True)
class Pause:
    """No penalty accrues on the days after `start` up to and including `end` (a plan)."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start < day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Installment:
    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    paid_fee: Decimal = ZERO
    paid_penalty: Decimal = ZERO
    penalty_basis: Decimal = ZERO  # Σ base × rate × days, not yet divided by the day count
    accrued_through: date | None = None  # penalty counted through this day (None: through the due date)
    settled: bool = False  # settled by a completed repayment plan: nothing more is owed or accrued

    def penalty_charged(self, day_count: int) -> Decimal:
        return (self.penalty_basis / day_count).quantize(CENT, rounding=PENALTY_ROUNDING)

    def owed(self, day_count: int) -> dict[str, Decimal]:
        if self.settled:
            return dict.fromkeys(("penalty", "fee", "interest", "principal"), ZERO)
        return {
            "penalty": self.penalty_charged(day_count) - self.paid_penalty,
            "fee": self.fee - self.paid_fee,
            "interest": self.interest - self.paid_interest,
            "principal": self.principal - self.paid_principal,
        }

    def outstanding(self, day_count: int) -> Decimal:
        return sum(self.owed(day_count).values(), start=ZERO)

    @property
    def penalty_base(self) -> Decimal:
        """What penalty accrues on: unpaid principal and interest (never fees or penalty)."""
        return self.principal - self.paid_principal + self.interest - self.paid_interest


def _chargeable_days(after: date, through: date, pauses: tuple[Pause, ...]) -> int:
    days = (through - after).days
    if days <= 0 or not pauses:
        return max(days, 0)
    return sum(1 for offset in range(1, days + 1) if not any(p.covers(after + timedelta(days=offset)) for p in pauses))


def accrue(installment: Installment, through: date, policy: ChargePolicy, pauses: tuple[Pause, ...] = ()) -> Installment:
    """Penalty for the days after the due date (and after the last accrual) through `through`."""
    start = max(installment.due_date, installment.accrued_through or installment.due_date)
    if through <= start or installment.settled:
        return installment
    days = _chargeable_days(start, through, pauses)
    basis = installment.penalty_basis + installment.penalty_base * policy.penalty_rate * days
    return replace(installment, penalty_basis=basis, accrued_through=through)


#: Which component of an installment a payment settles first (DESIGN.md §3 step 2).
COMPONENT_ORDER: dict[AllocationOrder, tuple[str, ...]] = {
    AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL: ("penalty", "fee", "interest", "principal"),
    AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY: ("principal", "interest", "fee", "penalty"),
}


@dataclass(frozen=True)
class Allocation:
    sequence: int
    penalty: Decimal = ZERO
    fee: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee + self.interest + self.principal


def allocate(
    installments: tuple[Installment, ...], amount: Decimal, order: AllocationOrder, day_count: int
) -> tuple[tuple[Installment, ...], tuple[Allocation, ...], Decimal]:
    """Apply `amount` to the oldest unpaid installment first, components in `order`; an
    overpayment runs on into the next installments. Returns the installments after payment,
    the allocations, and what is left once everything is paid (a credit)."""
    remaining = amount
    updated: list[Installment] = []
    allocations: list[Allocation] = []
    for installment in sorted(installments, key=lambda item: item.sequence):
        owed = installment.owed(day_count)
        paid = dict.fromkeys(owed, ZERO)
        for component in COMPONENT_ORDER[order]:
            paid[component] = min(owed[component], remaining) if remaining > 0 else ZERO
            remaining -= paid[component]
        if not any(paid.values()):
            updated.append(installment)
            continue
        allocations.append(Allocation(installment.sequence, **paid))
        updated.append(
            replace(
                installment,
                paid_penalty=installment.paid_penalty + paid["penalty"],
                paid_fee=installment.paid_fee + paid["fee"],
                paid_interest=installment.paid_interest + paid["interest"],
                paid_principal=installment.paid_principal + paid["principal"],
            )
        )
    return tuple(updated), tuple(allocations), remaining


@dataclass(frozen=True)
class Payment:
    payment_id: str
    amount: Decimal
    value_date: date


@dataclass(frozen=True)
class Ledger:
    installments: tuple[Installment, ...]
    credit: Decimal
    allocations: tuple[tuple[str, tuple[Allocation, ...]], ...]


def unpaid(installment: Installment) -> Installment:
    """The installment as booked: nothing paid, no penalty yet."""
    return replace(
        installment,
        paid_principal=ZERO,
        paid_interest=ZERO,
        paid_fee=ZERO,
        paid_penalty=ZERO,
        penalty_basis=ZERO,
        accrued_through=None,
    )


def replay(
    schedule: tuple[Installment, ...],
    payments: tuple[Payment, ...],
    through: date | None,
    policy: ChargePolicy,
    order: AllocationOrder,
    pauses: tuple[Pause, ...] = (),
) -> Ledger:
    """The ledger from the booked schedule: penalty accrues up to each payment's value date
    (a payment on day D counts after D's penalty), the payment is allocated, and so on up to
    `through`, the last closed business day. A payment value-dated in the past therefore
    corrects the penalty accrued since. A payment value-dated after `through` (received
    before its day is closed) accrues penalty up to its own date; that day's close then adds
    nothing twice, because accrual continues from `accrued_through`."""
    installments = tuple(unpaid(i) for i in schedule)
    credit = ZERO
    applied: list[tuple[str, tuple[Allocation, ...]]] = []
    for payment in sorted(payments, key=lambda p: (p.value_date, p.payment_id)):
        installments = tuple(accrue(i, payment.value_date, policy, pauses) for i in installments)
        installments, allocations, left = allocate(installments, payment.amount, order, policy.day_count)
        credit += left
        applied.append((payment.payment_id, allocations))
    if through is not None:
        installments = tuple(accrue(i, through, policy, pauses) for i in installments)
    return Ledger(installments, credit, tuple(applied))
