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

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
    """No penalty accrues on the days after `start` (a plan's activation) before `end` (the day
    it completed or broke, from which collection resumes): the business-day close and the replay
    then agree whichever of the plan's end and that day's close is handled first."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start < day and (self.end is None or day < self.end)


#: The components of an obligation, as the conservation law counts them (DESIGN.md §3a).
COMPONENTS = ("principal", "interest", "fee", "penalty")
#: What takes an amount off a line besides nothing at all: owed = charged − these (DESIGN.md §3a).
#: Principal is never waived.
SETTLING = ("paid", "waived", "written_off", "rescheduled")


#: The fields that take each component off a line (SETTLING; principal is never waived): the
#: hot path of a replay reads them by name.
_SETTLED = {
    component: tuple(f"{prefix}_{component}" for prefix in SETTLING if (prefix, component) != ("waived", "principal"))
    for component in COMPONENTS
}


@dataclass(frozen=True)
class Installment:
    """One obligation of the loan's ledger: a regular installment, or a line of a plan
    (`plan_id` set; its sequence is 1000 × the plan's ordinal + the plan's own sequence).

    Per component: charged = paid + waived + written off + rescheduled + owed, where
    `rescheduled` is what a plan took over from this line (the plan's lines charge it again)."""

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
    plan_id: uuid.UUID | None = None  # a plan's line: no penalty accrues on it
    plan_sequence: int | None = None
    rescheduled_by: uuid.UUID | None = None  # a plan took over all that was left of it
    waived_penalty: Decimal = ZERO
    waived_interest: Decimal = ZERO
    waived_fee: Decimal = ZERO
    rescheduled_principal: Decimal = ZERO
    rescheduled_interest: Decimal = ZERO
    rescheduled_fee: Decimal = ZERO
    rescheduled_penalty: Decimal = ZERO
    written_off_principal: Decimal = ZERO
    written_off_interest: Decimal = ZERO
    written_off_fee: Decimal = ZERO
    written_off_penalty: Decimal = ZERO

    def penalty_charged(self, day_count: int) -> Decimal:
        return (self.penalty_basis / day_count).quantize(CENT, rounding=PENALTY_ROUNDING)

    def charged(self, day_count: int) -> dict[str, Decimal]:
        return {
            "principal": self.principal,
            "interest": self.interest,
            "fee": self.fee,
            "penalty": self.penalty_charged(day_count),
        }

    def part(self, prefix: str, component: str) -> Decimal:
        """e.g. part("waived", "interest"); principal is never waived."""
        value: Decimal = getattr(self, f"{prefix}_{component}", ZERO)
        return value

    def owed(self, day_count: int) -> dict[str, Decimal]:
        charged = self.charged(day_count)
        return {
            component: charged[component] - sum((getattr(self, name) for name in _SETTLED[component]), start=ZERO)
            for component in ("penalty", "fee", "interest", "principal")
        }

    def outstanding(self, day_count: int) -> Decimal:
        return sum(self.owed(day_count).values(), start=ZERO)

    @property
    def accrues(self) -> bool:
        """Penalty accrues on regular installments only: a plan's line says what it charges."""
        return self.plan_id is None and self.rescheduled_by is None

    @property
    def penalty_base(self) -> Decimal:
        """What penalty accrues on: principal and interest still owed (never fees or penalty)."""
        owed = self.owed(1)  # the penalty's day count does not matter here
        return owed["principal"] + owed["interest"]

    def moved(self, prefix: str, amounts: dict[str, Decimal]) -> Installment:
        """The line with `amounts` added to its `prefix` parts (paid, waived, written_off, rescheduled)."""
        changes: dict[str, Any] = {f"{prefix}_{c}": self.part(prefix, c) + amount for c, amount in amounts.items() if amount}
        return replace(self, **changes) if changes else self


def _chargeable_days(after: date, through: date, pauses: tuple[Pause, ...]) -> int:
    days = (through - after).days
    if days <= 0 or not pauses:
        return max(days, 0)
    return sum(1 for offset in range(1, days + 1) if not any(p.covers(after + timedelta(days=offset)) for p in pauses))


def accrue(installment: Installment, through: date, policy: ChargePolicy, pauses: tuple[Pause, ...] = ()) -> Installment:
    """Penalty for the days after the due date (and after the last accrual) through `through`."""
    start = max(installment.due_date, installment.accrued_through or installment.due_date)
    if through <= start or not installment.accrues:
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
    """What one payment paid on one line, by component, and what the line still owes after it."""

    sequence: int
    penalty: Decimal = ZERO
    fee: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    due_date: date | None = None
    plan_id: uuid.UUID | None = None
    plan_sequence: int | None = None
    left: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee + self.interest + self.principal


def oldest_first(installment: Installment) -> tuple[date, int]:
    """Oldest obligation first (DESIGN.md §3a): by due date; on one date, the loan's own
    installment before a plan's line."""
    return installment.due_date, installment.sequence


def allocate(
    installments: tuple[Installment, ...], amount: Decimal, order: AllocationOrder, day_count: int
) -> tuple[tuple[Installment, ...], tuple[Allocation, ...], Decimal]:
    """Apply `amount` to the oldest obligation first, components in `order`; an overpayment
    runs on into the next ones. Returns the lines after payment (in their order), the
    allocations, and what is left once everything is paid (a credit)."""
    remaining = amount
    updated: list[Installment] = []
    allocations: list[Allocation] = []
    for installment in sorted(installments, key=oldest_first):
        if remaining <= 0:  # nothing left to pay this line (or any after it) with
            updated.append(installment)
            continue
        owed = installment.owed(day_count)
        paid = dict.fromkeys(owed, ZERO)
        for component in COMPONENT_ORDER[order]:
            paid[component] = min(owed[component], remaining) if remaining > 0 else ZERO
            remaining -= paid[component]
        if not any(paid.values()):
            updated.append(installment)
            continue
        after = installment.moved("paid", paid)
        updated.append(after)
        allocations.append(
            Allocation(
                installment.sequence,
                **paid,
                due_date=installment.due_date,
                plan_id=installment.plan_id,
                plan_sequence=installment.plan_sequence,
                left=after.outstanding(day_count),
            )
        )
    by_sequence = {item.sequence: item for item in updated}
    return tuple(by_sequence[item.sequence] for item in installments), tuple(allocations), remaining


@dataclass(frozen=True)
class Payment:
    payment_id: str
    amount: Decimal
    value_date: date
    #: When it arrived: payments of one value date apply in the order they came (then by id).
    received_at: datetime | None = None

    @property
    def order(self) -> str:
        arrived = self.received_at.astimezone(UTC).isoformat() if self.received_at else ""
        return f"{self.value_date.isoformat()} {arrived} {self.payment_id}"


def unpaid(installment: Installment) -> Installment:
    """The installment as booked: nothing paid, waived, moved or written off, no penalty yet."""
    return Installment(installment.sequence, installment.due_date, installment.principal, installment.interest, installment.fee)
