"""Use cases of overdue-detection: each handles one event (or a run of them) in one transaction.
The loan's own events are here; the close is in closing.py, a plan's events in plans.py."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from overdue_detection.application.closing import when_business_day_closed_settle_overdue
from overdue_detection.application.plans import (
    end_plan,
    plan_terms,
    when_plan_activated_apply_it,
    when_plan_broken_resume_clock,
    when_plan_completed_cure_loan,
)
from overdue_detection.application.ports import Overdue
from overdue_detection.application.replayed import applied_events, locked_loan, rebuild
from overdue_detection.application.status_events import publish_decisions
from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, decide
from overdue_detection.domain.ledger import ZERO
from overdue_detection.domain.policy import charge_policy
from overdue_detection.domain.statuses import LoanStatus, PlanOutcome
from tideover_contracts.common import Bucket
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.overdue import WaiverStatus
from tideover_runtime.unit import RejectEvent, Unit, publish_each

__all__ = [
    "plan_terms",
    "when_business_day_closed_settle_overdue",
    "when_contact_changed_update_it",
    "when_loan_closed_stop_tracking",
    "when_loans_booked_record_them",
    "when_plan_activated_apply_it",
    "when_plan_broken_resume_clock",
    "when_plan_completed_cure_loan",
    "when_repayments_received_apply_them",
]


async def when_loans_booked_record_them(units: list[Unit[LoanBooked]], ctx: Overdue) -> None:
    """Book a run of loans at once; the cap that applies is fixed at booking, as the contract is."""
    booked = []
    for unit in units:
        loan, borrower = unit.event, unit.event.borrower
        booked.append(
            (loan, charge_policy(ctx.caps, borrower.jurisdiction, loan.contract_rate, loan.overdue_rate, loan.day_count))
        )
    await ctx.book.add_many(booked)


async def when_contact_changed_update_it(unit: Unit[BorrowerContactChanged], ctx: Overdue) -> None:
    loan = await locked_loan(ctx, unit.event.loan_id)
    change = unit.event
    updates = {key: value for key, value in {"locale": change.locale, "time_zone": change.time_zone}.items() if value is not None}
    await ctx.book.set_status(loan.loan_id, contact=loan.contact.model_copy(update=updates).model_dump_json())


async def when_loan_closed_stop_tracking(unit: Unit[LoanClosed], ctx: Overdue) -> None:
    loan = await locked_loan(ctx, unit.event.loan_id)
    await ctx.book.set_status(loan.loan_id, status=LoanStatus.CLOSED)
    if (plan_id := await ctx.book.active_plan(loan.loan_id)) is not None:
        # The plan ends with the loan; what it waived stays waived (upstream closed the loan).
        await end_plan(unit, ctx, plan_id, PlanOutcome.CLOSED, unit.event.closed_on, WaiverStatus.FINAL)
    if loan.overdue_since is not None:
        state = EpisodeState(loan.episode, loan.overdue_since, Bucket(loan.bucket), None, loan.paused_days)
        decision = decide(state, Position(None, ZERO, ZERO, ZERO, ZERO), unit.event.closed_on, Trigger.LOAN_CLOSED)
        await publish_decisions(ctx.book, unit.event.closed_on, [(loan.loan_id, decision, None, unit)])


async def when_repayments_received_apply_them(units: list[Unit[RepaymentReceived]], ctx: Overdue) -> None:
    """Apply a run of repayments: each once, each loan's ledger replayed once for all of its
    payments (a payment value-dated before days already closed corrects the penalty since)."""
    loans = await ctx.book.lock(sorted({unit.event.loan_id for unit in units}))
    for unit in units:
        payment, loan = unit.event, loans.get(unit.event.loan_id)
        if loan is None:
            raise RejectEvent(f"payment {payment.payment_id} is for unknown loan {payment.loan_id}")
        if loan.status == LoanStatus.CLOSED:
            raise RejectEvent(f"payment {payment.payment_id} is for closed loan {payment.loan_id}")
        if payment.amount.currency != loan.currency:
            raise RejectEvent(f"payment in {payment.amount.currency} for a loan in {loan.currency}")
    recorded = await ctx.book.record_payments([unit.event for unit in units])
    closed_through = await ctx.book.last_business_date()
    causes: dict[uuid.UUID, tuple[Unit[Any], Trigger]] = {}
    for unit in units:
        if unit.event.payment_id not in recorded:
            continue  # this payment id was applied before
        backdated = closed_through is not None and unit.event.value_date < closed_through
        earlier = causes.get(unit.event.loan_id, (unit, Trigger.PAYMENT))[1]
        causes[unit.event.loan_id] = (unit, Trigger.CORRECTION if backdated or earlier == Trigger.CORRECTION else Trigger.PAYMENT)
    ledgers = await rebuild(ctx, {loan_id: loans[loan_id] for loan_id in causes}, causes, closed_through)
    new: dict[uuid.UUID, set[str]] = defaultdict(set)
    for unit in units:
        if unit.event.payment_id in recorded:
            new[unit.event.loan_id].add(unit.event.payment_id)
    await publish_each(
        [
            told
            for loan_id, (unit, _) in causes.items()
            for told in applied_events(unit, loans[loan_id], ledgers[loan_id], new[loan_id])
        ]
    )
