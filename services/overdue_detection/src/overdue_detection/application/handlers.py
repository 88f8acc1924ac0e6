"""Use cases of overdue-detection: each handles one event in one transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from overdue_detection.application.ports import Overdue
from overdue_detection.application.status_events import Decided, publish_decisions
from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, decide
from overdue_detection.domain.ledger import ZERO, replay
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.policy import charge_policy
from tideover_contracts.common import Bucket, ContactRef
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.overdue import InstallmentDueSoon
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.money import Money
from tideover_runtime.consumer import RejectEvent, Unit


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
    loan = await _loan(ctx, unit.event.loan_id)
    change = unit.event
    updates = {key: value for key, value in {"locale": change.locale, "time_zone": change.time_zone}.items() if value is not None}
    await ctx.book.set_status(loan.loan_id, contact=loan.contact.model_copy(update=updates).model_dump_json())


async def when_loan_closed_stop_tracking(unit: Unit[LoanClosed], ctx: Overdue) -> None:
    loan = await _loan(ctx, unit.event.loan_id)
    await ctx.book.set_status(loan.loan_id, status="closed")
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
        if loan.status == "closed":
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
    await _rebuild(ctx, {loan_id: loans[loan_id] for loan_id in causes}, causes, closed_through)


async def _loan(ctx: Overdue, loan_id: uuid.UUID) -> LoanRow:
    loan = (await ctx.book.lock([loan_id])).get(loan_id)
    if loan is None:
        raise RejectEvent(f"unknown loan {loan_id}")
    return loan


async def _rebuild(
    ctx: Overdue, loans: dict[uuid.UUID, LoanRow], causes: dict[uuid.UUID, tuple[Unit[Any], Trigger]], business_date: date | None
) -> None:
    """Replay each loan's ledger from its schedule, payments and plan pauses, store it, and
    tell what changed as of the last closed business day."""
    if not loans:
        return
    ledgers = await ctx.book.ledgers(list(loans))
    replayed = {}
    for loan_id, loan in loans.items():
        installments, payments, pauses = ledgers[loan_id]
        ledger = replay(installments, payments, business_date, loan.policy, loan.allocation_order, pauses)
        replayed[loan_id] = (ledger.installments, ledger.credit)
    await ctx.book.save_ledgers(replayed)
    if business_date is None:
        return  # no business day closed yet: nothing can be overdue
    decisions: list[Decided] = []
    for row in await ctx.book.positions(business_date, list(loans)):
        unit, trigger = causes[row["loan_id"]]
        decisions.append(_decide(row, business_date, trigger, unit))
    await publish_decisions(ctx.book, business_date, decisions)


def _decide(row: Any, business_date: date, trigger: Trigger, cause: Unit[Any]) -> Decided:
    state = EpisodeState(row["episode"], row["overdue_since"], Bucket(row["bucket"]), row["last_reported_on"], row["paused_days"])
    position = Position(row["oldest_due"], row["principal"], row["interest"], row["fee"], row["penalty"])
    return row["loan_id"], decide(state, position, business_date, trigger), position, cause


async def when_business_day_closed_settle_overdue(unit: Unit[BusinessDayClosed], ctx: Overdue) -> None:
    """Close every business day since the last one closed, in order, so that a missed day or
    several days at once end in the same state and the same events as closing one by one."""
    closed = unit.event.business_date
    previous, later = await ctx.book.closed_days_around(closed)
    if later is not None:
        return  # a day arriving after a later one was closed: the catch-up covered it
    day = closed if previous is None else previous + timedelta(days=1)
    while day <= closed:
        await _close_one_day(unit, ctx, day)
        day += timedelta(days=1)


async def _close_one_day(unit: Unit[BusinessDayClosed], ctx: Overdue, day: date) -> None:
    await ctx.book.accrue_penalties(day)
    rows = await ctx.book.positions(day)
    await publish_decisions(ctx.book, day, [_decide(row, day, Trigger.CLOSE, unit) for row in rows])
    for row in await ctx.book.due_soon(day, ctx.reminder_days):
        loan_id = row["loan_id"]
        await unit.publish(
            InstallmentDueSoon(
                loan_id=loan_id,
                sequence=row["sequence"],
                due_date=row["due_date"],
                amount_due=Money.of(row["amount_due"], row["currency"]),
                days_before=row["days_before"],
                business_date=day,
                contact=ContactRef.model_validate_json(row["contact"]),
            ),
            event_id=deterministic_id("InstallmentDueSoon", loan_id, row["sequence"], row["days_before"]),
        )


async def when_plan_activated_pause_clock(unit: Unit[PlanActivated], ctx: Overdue) -> None:
    """While a plan is active: no escalation and no penalty beyond what the plan says."""
    plan = unit.event
    loan = await _loan(ctx, plan.loan_id)
    await ctx.book.start_pause(loan.loan_id, plan.activated_on)
    await ctx.book.set_status(loan.loan_id, under_plan=True)
    await _rebuild(ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, Trigger.PLAN_ACTIVATED)}, await ctx.book.last_business_date())


async def when_plan_broken_resume_clock(unit: Unit[PlanBroken], ctx: Overdue) -> None:
    """Collection resumes from where it stood: the days under the plan do not count."""
    loan = await _loan(ctx, unit.event.loan_id)
    paused = await ctx.book.end_pause(loan.loan_id, unit.event.business_date)
    await ctx.book.set_status(loan.loan_id, under_plan=False, paused_days=loan.paused_days + paused)
    await _rebuild(ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, Trigger.PLAN_BROKEN)}, await ctx.book.last_business_date())


async def when_plan_completed_cure_loan(unit: Unit[PlanCompleted], ctx: Overdue) -> None:
    """The plan replaced what was overdue; once it is paid, the loan is cured."""
    loan = await _loan(ctx, unit.event.loan_id)
    await ctx.book.end_pause(loan.loan_id, unit.event.completed_on)
    await ctx.book.settle_installments(loan.loan_id, unit.event.completed_on)
    await ctx.book.set_status(loan.loan_id, under_plan=False)
    await _rebuild(ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, Trigger.PLAN_COMPLETED)}, await ctx.book.last_business_date())
