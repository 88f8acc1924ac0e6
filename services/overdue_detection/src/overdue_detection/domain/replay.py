"""A loan's ledger replayed from what happened to it: the booked schedule, the payments, the
plans and the write-offs, each as of its own date (DESIGN.md §3a: "same events, same ledger").

Penalty accrues up to each event's date (a payment on day D counts after D's penalty), then the
event applies, and so on up to `through`, the last closed business day. A payment value-dated in
the past therefore corrects the penalty accrued since; a plan event that arrives after a later
close is replayed from its own date. A payment value-dated after `through` (received before its
day is closed) accrues penalty up to its own date; that day's close then adds nothing twice,
because accrual continues from `accrued_through`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from overdue_detection.domain.ledger import (
    ZERO,
    Allocation,
    ChargePolicy,
    Installment,
    Pause,
    Payment,
    accrue,
    allocate,
    oldest_first,
    unpaid,
)
from overdue_detection.domain.plan_effects import PlanTerms, Waived, activate
from tideover_contracts.events.loans import AllocationOrder


@dataclass(frozen=True)
class WriteOff:
    """A recorded act: what was owed on the lines due before `on` is written off (de-minimis)."""

    act_id: uuid.UUID
    on: date
    amounts: dict[str, Decimal]  # by component, as recorded


@dataclass(frozen=True)
class AppliedPayment:
    payment_id: str
    amount: Decimal
    value_date: date
    allocations: tuple[Allocation, ...]
    to_credit: Decimal
    outstanding: Decimal  # everything the loan owed on its lines just after the payment


@dataclass(frozen=True)
class Ledger:
    installments: tuple[Installment, ...]
    credit: Decimal
    payments: tuple[AppliedPayment, ...]
    waivers: dict[uuid.UUID, Waived] = field(default_factory=dict)  # by plan in force
    #: What the ledger was replayed from (payments, plans and how they ended, write-offs): two
    #: replays of one version apply every payment alike.
    version: str = ""

    @property
    def allocations(self) -> tuple[tuple[str, tuple[Allocation, ...]], ...]:
        return tuple((applied.payment_id, applied.allocations) for applied in self.payments)


def _events(
    payments: tuple[Payment, ...], plans: tuple[PlanTerms, ...], write_offs: tuple[WriteOff, ...]
) -> list[tuple[date, int, str, Payment | PlanTerms | WriteOff]]:
    """Everything in date order; on one day a plan's activation comes first (a payment that day
    counts toward it), write-offs last. A payment value-dated after a plan's basis date and by its
    activation is applied just after the activation: the quote is honoured, and the payment
    counts toward the plan's first month (DESIGN.md §3a). A payment value-dated on or before the
    basis date was in the quote (domain `as_of`): it comes before the activation, even on the
    activation day itself."""
    in_force = [plan for plan in plans if plan.in_force]
    events: list[tuple[date, int, str, Payment | PlanTerms | WriteOff]] = []
    for payment in payments:
        honoured = next((p for p in in_force if p.basis_date < payment.value_date <= p.activated_on), None)
        day = honoured.activated_on if honoured else payment.value_date
        quoted = any(p.activated_on == day and payment.value_date <= p.basis_date for p in in_force)
        events.append((day, -1 if quoted else 1, payment.order, payment))
    events += [(plan.activated_on, 0, str(plan.ordinal).zfill(6), plan) for plan in in_force]
    events += [(act.on, 2, str(act.act_id), act) for act in write_offs]
    return sorted(events, key=lambda event: event[:3])


def write_off(lines: tuple[Installment, ...], act: WriteOff, day_count: int) -> tuple[Installment, ...]:
    """The act's amounts off the lines due before its day, oldest first, never beyond what each owes."""
    left = dict(act.amounts)
    changed = {}
    for line in sorted((line for line in lines if line.due_date < act.on), key=oldest_first):
        owed = line.owed(day_count)
        parts = {c: min(left.get(c, ZERO), max(owed[c], ZERO)) for c in owed}
        for component, part in parts.items():
            left[component] = left.get(component, ZERO) - part
        changed[line.sequence] = line.moved("written_off", parts)
    return tuple(changed.get(line.sequence, line) for line in lines)


def replay(
    schedule: tuple[Installment, ...],
    payments: tuple[Payment, ...],
    through: date | None,
    policy: ChargePolicy,
    order: AllocationOrder,
    pauses: tuple[Pause, ...] = (),
    plans: tuple[PlanTerms, ...] = (),
    write_offs: tuple[WriteOff, ...] = (),
) -> Ledger:
    """The ledger from the booked schedule (its regular installments) and everything since."""
    lines = tuple(unpaid(i) for i in schedule if i.plan_id is None)
    credit = ZERO
    applied: list[AppliedPayment] = []
    waivers: dict[uuid.UUID, Waived] = {}
    day_count = policy.day_count
    for day, _, _, event in _events(payments, plans, write_offs):
        lines = tuple(accrue(line, day, policy, pauses) for line in lines)
        if isinstance(event, Payment):
            lines, allocations, left = allocate(lines, event.amount, order, day_count)
            credit += left
            outstanding = sum((line.outstanding(day_count) for line in lines), start=ZERO)
            applied.append(AppliedPayment(event.payment_id, event.amount, event.value_date, allocations, left, outstanding))
        elif isinstance(event, PlanTerms):
            lines, waivers[event.plan_id] = activate(lines, event, day_count)
        else:
            lines = write_off(lines, event, day_count)
    if through is not None:
        lines = tuple(accrue(line, through, policy, pauses) for line in lines)
    return Ledger(lines, credit, tuple(applied), waivers, _version(payments, plans, write_offs))


def as_of(
    day: date,
    schedule: tuple[Installment, ...],
    payments: tuple[Payment, ...],
    policy: ChargePolicy,
    order: AllocationOrder,
    pauses: tuple[Pause, ...] = (),
    plans: tuple[PlanTerms, ...] = (),
    write_offs: tuple[WriteOff, ...] = (),
) -> Ledger:
    """The ledger as it stood at the close of `day`: only what is dated on or before it (payments
    by value date, plans by activation, write-offs), penalty accrued through it. A payment
    received before the next close but value-dated after `day` is not in it: against a quote on
    this basis it counts toward the plan's first month (DESIGN.md §3a)."""
    return replay(
        schedule,
        tuple(payment for payment in payments if payment.value_date <= day),
        day,
        policy,
        order,
        pauses,
        tuple(plan for plan in plans if plan.activated_on <= day),
        tuple(act for act in write_offs if act.on <= day),
    )


def _version(payments: tuple[Payment, ...], plans: tuple[PlanTerms, ...], write_offs: tuple[WriteOff, ...]) -> str:
    facts = sorted(payment.payment_id for payment in payments)
    facts += [f"{plan.plan_id}:{plan.outcome}:{plan.ended_on}" for plan in sorted(plans, key=lambda plan: plan.ordinal)]
    facts += sorted(str(act.act_id) for act in write_offs)
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()[:16]
