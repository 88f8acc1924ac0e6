"""Between the contracts and the plan rules: the ledger's RepaymentApplied as reports on a plan's
lines, and what the rules decided as the events of plans.tracking.v1."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from repayment_tracking.application.ports import ActivePlan
from repayment_tracking.domain.plan_rules import Judgement, LineKind, LineRef, PlanBook, Report, Rules, reminders
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events.overdue import LedgerLine, LineCovered, RepaymentApplied
from tideover_contracts.events.tracking import (
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.money import Money
from tideover_runtime.unit import Unit

Outgoing = tuple[Unit[Any], Event, uuid.UUID]


def line_ref(plan_id: uuid.UUID, line: LedgerLine) -> LineRef | None:
    """A plan's line is named by the plan's id and its own sequence; a regular installment by the
    loan's sequence and no plan. A line of another plan is not this one's."""
    if line.plan_id is None:
        return LineRef(LineKind.REGULAR, line.sequence)
    return LineRef(LineKind.PLAN, line.sequence) if line.plan_id == plan_id else None


def reports_on(plan_id: uuid.UUID, payment: RepaymentApplied, book: PlanBook) -> bool:
    """Whether the payment covered any line the plan's months ask for."""
    return any(line_ref(plan_id, covered.line) in book.refs for covered in payment.covered)


def _paid(covered: LineCovered) -> Decimal:
    return covered.principal.amount + covered.interest.amount + covered.fee.amount + covered.penalty.amount


@dataclass
class Applied:
    """New payments as reports on their plans' lines, and what they announce."""

    reports: dict[uuid.UUID, list[Report]] = field(default_factory=dict)
    events: list[Outgoing] = field(default_factory=list)  # PlanInstallmentPaid, in the order of the payments
    last_unit: dict[uuid.UUID, tuple[Unit[Any], ActivePlan]] = field(default_factory=dict)
    first_day: dict[uuid.UUID, date] = field(default_factory=dict)  # the earliest value date reported, by plan
    last_day: dict[uuid.UUID, date] = field(default_factory=dict)


def applied_to_plans(
    payments: Sequence[tuple[Unit[Any], RepaymentApplied, ActivePlan]], books: dict[uuid.UUID, PlanBook]
) -> Applied:
    """Each payment's covered lines that belong to its plan (its lines and the regular
    installments its months ask for), in the order the payments came."""
    applied = Applied()
    arrival = {plan_id: max((report.arrival for report in book.reports), default=0) for plan_id, book in books.items()}
    for unit, payment, plan in payments:
        refs = books[plan.plan_id].refs
        for covered in payment.covered:
            ref = line_ref(plan.plan_id, covered.line)
            if ref is None or ref not in refs:
                continue
            arrival[plan.plan_id] += 1
            report = Report(
                ref, payment.payment_id, payment.value_date, arrival[plan.plan_id], _paid(covered), covered.left.amount
            )
            applied.reports.setdefault(plan.plan_id, []).append(report)
            applied.last_unit[plan.plan_id] = (unit, plan)
            applied.first_day[plan.plan_id] = min(payment.value_date, applied.first_day.get(plan.plan_id, date.max))
            applied.last_day[plan.plan_id] = max(payment.value_date, applied.last_day.get(plan.plan_id, date.min))
            if ref.kind is LineKind.PLAN:
                applied.events.append((unit, *_installment_paid(plan, payment, covered)))
    return applied


def _installment_paid(plan: ActivePlan, payment: RepaymentApplied, covered: LineCovered) -> tuple[Event, uuid.UUID]:
    event = PlanInstallmentPaid(
        plan_id=plan.plan_id,
        loan_id=plan.loan_id,
        sequence=covered.line.sequence,
        payment_id=payment.payment_id,
        applied=Money.trusted(_paid(covered), plan.currency),  # the ledger's amounts, at the minor unit
        remaining_on_installment=covered.left,
        fully_paid=covered.left.amount == 0,
        value_date=payment.value_date,
    )
    return event, deterministic_id(PlanInstallmentPaid.event_type, plan.plan_id, covered.line.sequence, payment.payment_id)


def completed_event(plan: ActivePlan, book: PlanBook, done_on: date) -> tuple[Event, uuid.UUID]:
    """The plan is done and its conditional waiver becomes final."""
    event = PlanCompleted(
        plan_id=plan.plan_id,
        loan_id=plan.loan_id,
        completed_on=done_on,
        total_paid=Money.of(book.paid(), plan.currency),
        final_waiver=plan.conditional_waiver,
    )
    return event, deterministic_id(PlanCompleted.event_type, plan.plan_id)


@dataclass
class Outcome:
    """What a close decided, for all plans, stored and published together."""

    missed: dict[uuid.UUID, dict[int, date]] = field(default_factory=dict)
    broken: dict[uuid.UUID, date] = field(default_factory=dict)
    completed: dict[uuid.UUID, date] = field(default_factory=dict)
    events: list[Outgoing] = field(default_factory=list)


def judgement_events(
    unit: Unit[Any],
    rules: Rules,
    plan: ActivePlan,
    book: PlanBook,
    judgement: Judgement,
    last_day: date,
    outcome: Outcome,
    remind: bool = True,
    since: date | None = None,
) -> None:
    """What one plan's judgement changes and announces: months missed, the plan broken or
    completed; while it goes on (and `remind`), reminders of the months coming up after
    `last_day`, and of those whose reminder day fell from `since` on (domain `reminders`)."""
    if judgement.missed:
        outcome.missed[plan.plan_id] = {missed.sequence: missed.on for missed in judgement.missed}
    for missed in judgement.missed:
        event = PlanInstallmentMissed(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            sequence=missed.sequence,
            due_date=missed.due_date,
            shortfall=Money.of(missed.shortfall, plan.currency),
            missed_count=missed.missed_count,
            business_date=missed.on,
        )
        outcome.events.append((unit, event, deterministic_id(PlanInstallmentMissed.event_type, plan.plan_id, missed.sequence)))
    if (broken := judgement.broken) is not None:
        outcome.broken[plan.plan_id] = broken.on
        broken_event = PlanBroken(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            reason=broken.reason,
            business_date=broken.on,
            reinstated_waiver=plan.conditional_waiver,
            unpaid=Money.of(broken.unpaid, plan.currency),
        )
        outcome.events.append((unit, broken_event, deterministic_id(PlanBroken.event_type, plan.plan_id)))
        return
    if (done_on := judgement.completed_on) is not None:
        outcome.completed[plan.plan_id] = done_on
        outcome.events.append((unit, *completed_event(plan, book, done_on)))
        return
    if not remind:
        return
    for month, days_before, amount in reminders(book, last_day, rules, since):
        reminder = PlanInstallmentDueSoon(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            sequence=month.sequence,
            due_date=month.due_date,
            amount_due=Money.of(amount, plan.currency),
            days_before=days_before,
        )
        event_id = deterministic_id(PlanInstallmentDueSoon.event_type, plan.plan_id, month.sequence, days_before)
        outcome.events.append((unit, reminder, event_id))
