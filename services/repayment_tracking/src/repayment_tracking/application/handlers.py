"""Use cases of repayment-tracking: follow each plan to its end (DESIGN.md §3 step 7).

Who owns a payment: overdue-detection applies every payment to the loan's own ledger (what the
contract is owed), always. A loan has at most one active plan (a unique index); while it has
one, this service also counts the payment against the plan's installments (what the borrower
agreed to pay, and when). They are two views of the same money, never two debits of it: the
plan restructures the arrears overdue-detection holds, and when the plan breaks, collection
resumes on that ledger with every payment already in it. A payment for a loan without an active
plan is not ours and is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from repayment_tracking.application.ports import ActivePlan, PlanBook, Tracking
from repayment_tracking.domain.plan_rules import Rules, completed, filled, judge, paid_by, reminders
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import (
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.money import Money
from tideover_runtime.consumer import Unit, publish_each


async def when_plan_activated_track_it(unit: Unit[PlanActivated], tracking: Tracking) -> None:
    await tracking.plans.add(unit.event)


async def when_repayments_received_apply_them(units: list[Unit[RepaymentReceived]], tracking: Tracking) -> None:
    """Apply a run of payments, each once (by its id), to the oldest unpaid installments of its
    loan's active plan; what is left over runs on into the next ones and, past the last, is kept
    as credit. A payment for a loan without an active plan is not ours."""
    plans = tracking.plans
    active = await plans.active_for_loans({unit.event.loan_id for unit in units})
    ours = [(unit, active[unit.event.loan_id]) for unit in units if unit.event.loan_id in active]
    new = await plans.record_payments([(plan.plan_id, unit.event) for unit, plan in ours])
    ours = [(unit, plan) for unit, plan in ours if unit.event.payment_id in new]
    if not ours:
        return
    books = await plans.books({plan.plan_id for _, plan in ours})
    paid: dict[uuid.UUID, tuple[dict[int, Decimal], Decimal]] = {}
    outgoing: list[tuple[Unit[Any], Event, uuid.UUID]] = []
    done: list[tuple[Unit[Any], ActivePlan, PlanBook]] = []
    by_plan: dict[uuid.UUID, list[tuple[Unit[RepaymentReceived], ActivePlan]]] = {}
    for unit, plan in ours:
        by_plan.setdefault(plan.plan_id, []).append((unit, plan))
    for plan_id, book in books.items():
        runs = by_plan[plan_id]
        # The plan's total before this run, then each new payment in the order it came.
        total = paid_by(book.payments, date.max) - sum((unit.event.amount.amount for unit, _ in runs), start=Decimal(0))
        for unit, plan in runs:
            before, _ = filled(book.dues, total)
            total += unit.event.amount.amount
            after, credit = filled(book.dues, total)
            paid[plan_id] = (after, credit)
            outgoing += [(unit, event, event_id) for event, event_id in _installments_paid(plan, book, unit.event, before, after)]
        if completed(book.dues, book.payments):
            done.append((*runs[-1], book))
    await plans.set_paid(paid)
    await publish_each(outgoing)
    for unit, plan, book in done:  # after the payments that completed them
        await _complete(unit, tracking, plan, book)


def _installments_paid(
    plan: ActivePlan, book: PlanBook, payment: RepaymentReceived, before: dict[int, Decimal], after: dict[int, Decimal]
) -> list[tuple[Event, uuid.UUID]]:
    events: list[tuple[Event, uuid.UUID]] = []
    for due in book.dues:
        applied = after[due.sequence] - before[due.sequence]
        if applied == 0:
            continue
        remaining = due.amount - after[due.sequence]
        event = PlanInstallmentPaid(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            sequence=due.sequence,
            payment_id=payment.payment_id,
            applied=Money.of(applied, plan.currency),
            remaining_on_installment=Money.of(remaining, plan.currency),
            fully_paid=remaining == 0,
            value_date=payment.value_date,
        )
        events.append((event, deterministic_id("PlanInstallmentPaid", plan.plan_id, due.sequence, payment.payment_id)))
    return events


async def _complete(unit: Unit[Any], tracking: Tracking, plan: ActivePlan, book: PlanBook) -> None:
    """Everything paid: the plan is done and its conditional waiver becomes final."""
    done_on = max(payment.value_date for payment in book.payments)
    await tracking.plans.end({plan.plan_id: done_on}, "completed")
    await unit.publish(
        PlanCompleted(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            completed_on=done_on,
            total_paid=Money.of(paid_by(book.payments, date.max), plan.currency),
            final_waiver=plan.conditional_waiver,
        ),
        event_id=deterministic_id("PlanCompleted", plan.plan_id),
    )


async def when_business_day_closed_check_plans(unit: Unit[BusinessDayClosed], tracking: Tracking) -> None:
    """Judge every active plan on each day since it was last judged, through the closed day:
    missed installments, a broken plan; and remind the borrowers of installments coming up.
    Only the plans in which something may happen are read (adapters/plans.py says which); all
    of them at once, their changes and events stored in a few statements."""
    business_date = unit.event.business_date
    due = await tracking.plans.plans_to_judge(business_date, tracking.rules)
    books = await tracking.plans.books([plan.plan_id for plan in due])
    outcome = Outcome()
    for plan in due:
        first = _first_day(plan)
        days = [first + timedelta(days=n) for n in range((business_date - first).days + 1)]
        _judge(unit, tracking.rules, plan, books[plan.plan_id], days, outcome)
    await tracking.plans.mark_missed(outcome.missed)
    await tracking.plans.end(outcome.broken, "broken")
    await tracking.plans.close_all(business_date)
    await publish_each(outcome.events)


def _first_day(plan: ActivePlan) -> date:
    return (plan.closed_through or plan.activated_on - timedelta(days=1)) + timedelta(days=1)


@dataclass
class Outcome:
    """What a close decided, for all plans, stored and published together."""

    missed: dict[uuid.UUID, dict[int, date]] = field(default_factory=dict)
    broken: dict[uuid.UUID, date] = field(default_factory=dict)
    events: list[tuple[Unit[Any], Event, uuid.UUID]] = field(default_factory=list)


def _judge(unit: Unit[Any], rules: Rules, plan: ActivePlan, book: PlanBook, days: list[date], outcome: Outcome) -> None:
    judgement = judge(book.dues, book.payments, book.missed, days, rules)
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
        outcome.events.append((unit, event, deterministic_id("PlanInstallmentMissed", plan.plan_id, missed.sequence)))
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
        outcome.events.append((unit, broken_event, deterministic_id("PlanBroken", plan.plan_id)))
        return
    for due, days_before, amount in reminders(book.dues, book.payments, days[-1], rules):
        reminder = PlanInstallmentDueSoon(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            sequence=due.sequence,
            due_date=due.due_date,
            amount_due=Money.of(amount, plan.currency),
            days_before=days_before,
        )
        event_id = deterministic_id("PlanInstallmentDueSoon", plan.plan_id, due.sequence, days_before)
        outcome.events.append((unit, reminder, event_id))
