"""Use cases of a repayment plan in the ledger: its activation, and its end (broken, completed)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from overdue_detection.application.ledger_events import waiver_granted
from overdue_detection.application.ports import Overdue
from overdue_detection.application.replayed import locked_loan, publish_applied, rebuild
from overdue_detection.domain.episodes import Trigger
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from overdue_detection.domain.statuses import LoanStatus, PlanOutcome
from tideover_contracts.envelope import deterministic_id, parse_message
from tideover_contracts.events.overdue import WaiverReason, WaiverStatus
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.topics import PLANS_OFFERS, PLANS_TRACKING
from tideover_runtime.unit import RejectEvent, Unit


def plan_terms(plan: PlanActivated) -> PlanTerms:
    """A plan as the ledger applies it (ordinal: assigned when it is recorded)."""
    return PlanTerms(
        plan_id=plan.plan_id,
        ordinal=0,
        effect=plan.plan_effect,
        basis_date=plan.basis_business_date or plan.activated_on,
        activated_on=plan.activated_on,
        lines=tuple(
            PlanLine(
                line.sequence, line.due_date, line.principal.amount, line.interest.amount, line.fee.amount, line.penalty.amount
            )
            for line in plan.schedule
        ),
        waiver={c: getattr(plan.conditional_waiver, c).amount for c in ("penalty", "interest", "fee")},
    )


async def when_plan_activated_apply_it(unit: Unit[PlanActivated], ctx: Overdue) -> None:
    """The plan takes effect in the ledger as of its activation day (DESIGN.md §3a): what it
    covers stops escalating and accrues no penalty beyond what it says; its waiver is recorded."""
    plan = unit.event
    loan = await locked_loan(ctx, plan.loan_id)
    if loan.status == LoanStatus.CLOSED:
        raise RejectEvent(f"plan {plan.plan_id} activated for closed loan {plan.loan_id}")
    active = await ctx.book.active_plan(loan.loan_id)
    if active is not None and active != plan.plan_id:
        # One plan at a time (plan-calculation): the plan in force has ended, and its end is yet to
        # be read here (another topic); this activation is handled once it is.
        await ctx.book.hold_activation(plan.plan_id, loan.loan_id, unit.envelope.model_dump_json())
        return
    if not await ctx.book.add_plan(loan.loan_id, plan_terms(plan)):
        return
    await ctx.book.start_pause(loan.loan_id, plan.activated_on)
    await ctx.book.set_status(loan.loan_id, under_plan=True)
    ledgers = await rebuild(
        ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, Trigger.PLAN_ACTIVATED)}, await ctx.book.last_business_date()
    )
    await publish_applied(unit, loan, ledgers[loan.loan_id])
    waived = ledgers[loan.loan_id].waivers.get(plan.plan_id)
    if waived is not None:
        await _waivers_as_acts(
            unit, ctx, loan, plan.plan_id, WaiverStatus.CONDITIONAL, plan.activated_on, waived.plan, waived.quote_honoured
        )
    if (waiting := await ctx.book.waiting_end(plan.plan_id)) is not None:  # its end was read first
        await _handle_waiting_end(unit, ctx, waiting)


def _act_id(plan_id: uuid.UUID, reason: WaiverReason, status: WaiverStatus) -> uuid.UUID:
    return deterministic_id("ledger-act", plan_id, reason.value, status.value)


async def _waivers_as_acts(
    unit: Unit[Any], ctx: Overdue, loan: LoanRow, plan_id: uuid.UUID, status: WaiverStatus, on: date, *amounts: dict[str, Any]
) -> None:
    """The plan's waiver and the quote it honoured (`amounts`, in that order): each a recorded act
    (written once) and a WaiverGranted."""
    for reason, waived in zip((WaiverReason.PLAN, WaiverReason.QUOTE_HONOURED), amounts, strict=True):
        if any(waived.values()):
            act = _act_id(plan_id, reason, status)
            await ctx.book.record_act(act, loan.loan_id, plan_id, "waiver", reason.value, status.value, on, waived)
            event = waiver_granted(loan.loan_id, plan_id, reason, status, waived, loan.currency, on)
            await unit.publish(event, event_id=deterministic_id(event.event_type, plan_id, reason.value, status.value))


async def end_plan(
    unit: Unit[Any], ctx: Overdue, plan_id: uuid.UUID, outcome: str, on: date, status: WaiverStatus
) -> LoanRow | None:
    """The plan ended (completed, broke, or its loan closed): its pause ends, and its recorded
    waivers become final or are reinstated."""
    loan = await locked_loan(ctx, unit.event.loan_id)
    if not await ctx.book.end_plan(plan_id, outcome, on):
        if await ctx.book.plan_outcome(plan_id) is None and outcome != PlanOutcome.CLOSED:
            # Its activation is yet to be read (another topic): handled once it is.
            await ctx.book.wait_for_activation(plan_id, loan.loan_id, unit.envelope.model_dump_json())
        return None  # it ended before: told once
    # Collection resumes on the day a plan broke; the day a plan completed is still the plan's (the
    # payment that completed it that day owes no penalty for that day).
    await ctx.book.end_pause(loan.loan_id, on if outcome != PlanOutcome.COMPLETED else on + timedelta(days=1))
    await ctx.book.set_status(loan.loan_id, under_plan=False)
    granted = {row["reason"]: row for row in await ctx.book.acts(plan_id, WaiverStatus.CONDITIONAL.value)}
    amounts = [
        {c: granted[reason.value][c] for c in ("penalty", "interest", "fee")} if reason.value in granted else {}
        for reason in (WaiverReason.PLAN, WaiverReason.QUOTE_HONOURED)
    ]
    await _waivers_as_acts(unit, ctx, loan, plan_id, status, on, *amounts)
    return loan


async def _activate_held(unit: Unit[Any], ctx: Overdue, loan_id: uuid.UUID) -> None:
    """The activations read before this end, handled now, in this transaction."""
    for held in await ctx.book.held_activations(loan_id):
        envelope = parse_message(held, PLANS_OFFERS.event_classes())
        activation: Any = unit.caused_by(envelope)
        await when_plan_activated_apply_it(activation, ctx)


async def _handle_waiting_end(unit: Unit[PlanActivated], ctx: Overdue, waiting: str) -> None:
    """The plan's end as its own message said it, handled in the activation's transaction."""
    envelope = parse_message(waiting, PLANS_TRACKING.event_classes())
    ending: Any = unit.caused_by(envelope)
    if isinstance(envelope.payload, PlanBroken):
        await when_plan_broken_resume_clock(ending, ctx)
    elif isinstance(envelope.payload, PlanCompleted):
        await when_plan_completed_cure_loan(ending, ctx)


async def _after_the_plan(unit: Unit[Any], ctx: Overdue, loan: LoanRow, trigger: Trigger) -> None:
    """The loan's ledger replayed without the plan's pause (and, broken, without the plan); its
    payments restated; an activation that waited for this end applied."""
    ledgers = await rebuild(ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, trigger)}, await ctx.book.last_business_date())
    await publish_applied(unit, loan, ledgers[loan.loan_id])
    await _activate_held(unit, ctx, loan.loan_id)


async def when_plan_broken_resume_clock(unit: Unit[PlanBroken], ctx: Overdue) -> None:
    """The plan is undone from its activation day: its waiver is reinstated, every payment is
    applied again to the loan's own installments, and collection resumes from where it stood
    (the days under the plan do not count)."""
    loan = await end_plan(unit, ctx, unit.event.plan_id, PlanOutcome.BROKEN, unit.event.business_date, WaiverStatus.REINSTATED)
    if loan is not None:
        await _after_the_plan(unit, ctx, loan, Trigger.PLAN_BROKEN)


async def when_plan_completed_cure_loan(unit: Unit[PlanCompleted], ctx: Overdue) -> None:
    """The plan is paid: its waiver becomes final. Nothing is settled that was not paid or
    waived; a regular installment still owed keeps the loan overdue (DESIGN.md §3a)."""
    loan = await end_plan(unit, ctx, unit.event.plan_id, PlanOutcome.COMPLETED, unit.event.completed_on, WaiverStatus.FINAL)
    if loan is not None:
        await _after_the_plan(unit, ctx, loan, Trigger.PLAN_COMPLETED)
