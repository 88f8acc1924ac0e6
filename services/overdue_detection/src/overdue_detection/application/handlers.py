"""Use cases of overdue-detection: each handles one event in one transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from overdue_detection.application.ledger_events import repayment_applied, waiver_granted
from overdue_detection.application.ports import Overdue
from overdue_detection.application.status_events import Decided, publish_decisions
from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, Untold, decide, settled_quietly, told
from overdue_detection.domain.ledger import COMPONENTS, ZERO
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from overdue_detection.domain.policy import DE_MINIMIS, charge_policy
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.common import Bucket, ContactRef, OverdueAmounts
from tideover_contracts.envelope import deterministic_id, parse_message
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    CureReason,
    InstallmentDueSoon,
    OverdueChangeReason,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.money import Money
from tideover_contracts.topics import PLANS_OFFERS, PLANS_TRACKING
from tideover_runtime.unit import RejectEvent, Unit


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
    if (plan_id := await ctx.book.active_plan(loan.loan_id)) is not None:
        # The plan ends with the loan; what it waived stays waived (upstream closed the loan).
        await _end_plan(unit, ctx, plan_id, "closed", unit.event.closed_on, WaiverStatus.FINAL)
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
    ledgers = await _rebuild(ctx, {loan_id: loans[loan_id] for loan_id in causes}, causes, closed_through)
    for loan_id, (unit, _) in causes.items():
        new = {u.event.payment_id for u in units if u.event.loan_id == loan_id and u.event.payment_id in recorded}
        await _publish_applied(unit, loans[loan_id], ledgers[loan_id], new)


async def _publish_applied(unit: Unit[Any], loan: LoanRow, ledger: Ledger, new: set[str] | None = None) -> None:
    """What each payment covered, as the ledger applied it (DESIGN.md §3a). Payments taken in
    order change no earlier one: only the `new` are told. Anything else (a payment value-dated
    before another, a plan's activation or end, a write-off) may apply every payment anew, so
    every one is told again; a statement the ledger made before is not repeated (its event id
    comes from the payment and what the ledger was replayed from)."""
    payments = ledger.payments
    if new is not None:
        in_order = [p.payment_id for p in payments[-len(new) :]] if new else []
        if set(in_order) == new and not ledger.waivers:
            payments = tuple(p for p in payments if p.payment_id in new)
    for applied in payments:
        event = repayment_applied(loan.loan_id, loan.currency, applied)
        await unit.publish(event, event_id=deterministic_id("RepaymentApplied", applied.payment_id, ledger.version))


async def _loan(ctx: Overdue, loan_id: uuid.UUID) -> LoanRow:
    loan = (await ctx.book.lock([loan_id])).get(loan_id)
    if loan is None:
        raise RejectEvent(f"unknown loan {loan_id}")
    return loan


async def _rebuild(
    ctx: Overdue,
    loans: dict[uuid.UUID, LoanRow],
    causes: dict[uuid.UUID, tuple[Unit[Any], Trigger]],
    business_date: date | None,
    quietly: bool = False,
) -> dict[uuid.UUID, Ledger]:
    """Replay each loan's ledger from everything that happened to it (domain/replay.py), store
    it, and tell what changed as of the last closed business day (on a day settled quietly: keep
    it untold)."""
    if not loans:
        return {}
    parts = await ctx.book.ledgers(list(loans))
    ledgers = {}
    for loan_id, loan in loans.items():
        p = parts[loan_id]
        ledgers[loan_id] = replay(
            p.installments, p.payments, business_date, loan.policy, loan.allocation_order, p.pauses, p.plans, p.write_offs
        )
    # Only the loan's own installments the replay changed are written; a plan's lines are written anew.
    changed = {
        loan_id: (
            tuple(i for i in ledger.installments if i.plan_id is not None or i not in parts[loan_id].installments),
            ledger.credit,
        )
        for loan_id, ledger in ledgers.items()
    }
    await ctx.book.save_ledgers(changed, {loan_id for loan_id in ledgers if parts[loan_id].plans})
    if business_date is None:
        return ledgers  # no business day closed yet: nothing can be overdue
    decisions: list[Decided] = []
    for row in await ctx.book.positions(business_date, list(loans)):
        unit, trigger = causes[row["loan_id"]]
        decisions.append(_decide(row, business_date, trigger, unit, quietly))
    await publish_decisions(ctx.book, business_date, decisions)
    return ledgers


def _act_id(plan_id: uuid.UUID, reason: WaiverReason, status: WaiverStatus) -> uuid.UUID:
    return deterministic_id("ledger-act", plan_id, reason.value, status.value)


def _decide(row: Any, business_date: date, trigger: Trigger, cause: Unit[Any], quietly: bool = False) -> Decided:
    """What the loan's episode does on `business_date`: told (with what waited untold), or, on a
    day settled quietly, kept untold (domain/episodes.py)."""
    state = EpisodeState(
        row["episode"], row["overdue_since"], Bucket(row["bucket"]), row["last_reported_on"], row["paused_days"], _untold(row)
    )
    position = Position(row["oldest_due"], row["principal"], row["interest"], row["fee"], row["penalty"], row["paused_days"])
    decision = decide(state, position, business_date, trigger)
    decision = settled_quietly(state, decision) if quietly else told(state, decision, business_date, trigger)
    return row["loan_id"], decision, position, cause


def _untold(row: Any) -> Untold | None:
    if row["untold_kind"] is None:
        return None
    return Untold(
        row["untold_kind"],
        tuple(OverdueChangeReason(reason) for reason in row["untold_reasons"]),
        Bucket(row["untold_previous_bucket"]),
        CureReason(row["untold_cure_reason"]),
    )


async def when_business_day_closed_settle_overdue(unit: Unit[BusinessDayClosed], ctx: Overdue) -> None:
    """Close every calendar day since the last one closed, in order. The ledger is settled for
    each (penalty, de-minimis write-offs), but the overdue statuses and reminders are decided
    once, on the day closed last (DESIGN.md §6, catch-up): days skipped by a business calendar,
    and dates closed in a catch-up ahead of its latest (`caught_up_later`), are settled quietly.
    A status then compares the latest position with the last one reported, so a bucket passed or
    an episode begun in between is told once, with the latest figures."""
    closed = unit.event.business_date
    previous, later = await ctx.book.closed_days_around(closed)
    if later is not None:
        return  # a day arriving after a later one was closed: the catch-up covered it
    day = closed if previous is None else previous + timedelta(days=1)
    while day <= closed:
        await _close_one_day(unit, ctx, day, quietly=day < closed or unit.event.caught_up_later)
        day += timedelta(days=1)


async def _close_one_day(unit: Unit[BusinessDayClosed], ctx: Overdue, day: date, quietly: bool) -> None:
    await ctx.book.accrue_penalties(day)
    rows = await ctx.book.positions(day)
    small = [row for row in rows if row["oldest_due"] is not None and 0 < _total(row) <= DE_MINIMIS]
    await publish_decisions(ctx.book, day, [_decide(row, day, Trigger.CLOSE, unit, quietly) for row in rows if row not in small])
    await _write_off(unit, ctx, day, small, quietly)
    if quietly:
        return
    since = await ctx.book.tell_close(day)
    for row in await ctx.book.due_soon(day, ctx.reminder_days, since):
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


def _total(row: Any) -> Decimal:
    return sum((row[c] for c in COMPONENTS), start=ZERO)


async def _write_off(unit: Unit[BusinessDayClosed], ctx: Overdue, day: date, rows: list[Any], quietly: bool) -> None:
    """Small balances off the ledger as recorded acts (DESIGN.md §4, de-minimis), then each such
    loan replayed with its act: cured, told once like any cure."""
    if not rows:
        return
    loans = await ctx.book.lock([row["loan_id"] for row in rows])
    for row in rows:
        amounts = {c: row[c] for c in COMPONENTS}
        act = deterministic_id("write-off", row["loan_id"], day)
        await ctx.book.record_act(act, row["loan_id"], None, "write_off", "de_minimis", "final", day, amounts)
        written_off = OverdueAmounts(
            **{c: Money.of(row[c], row["currency"]) for c in COMPONENTS}, total=Money.of(_total(row), row["currency"])
        )
        event = BalanceWrittenOff(loan_id=row["loan_id"], business_date=day, reason="de_minimis", written_off=written_off)
        await unit.publish(event, event_id=deterministic_id("BalanceWrittenOff", row["loan_id"], day))
    ledgers = await _rebuild(ctx, loans, dict.fromkeys(loans, (unit, Trigger.CLOSE)), day, quietly)
    for loan_id, ledger in ledgers.items():
        await _publish_applied(unit, loans[loan_id], ledger)


async def when_plan_activated_apply_it(unit: Unit[PlanActivated], ctx: Overdue) -> None:
    """The plan takes effect in the ledger as of its activation day (DESIGN.md §3a): what it
    covers stops escalating and accrues no penalty beyond what it says; its waiver is recorded."""
    plan = unit.event
    loan = await _loan(ctx, plan.loan_id)
    if loan.status == "closed":
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
    ledgers = await _rebuild(
        ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, Trigger.PLAN_ACTIVATED)}, await ctx.book.last_business_date()
    )
    await _publish_applied(unit, loan, ledgers[loan.loan_id])
    waived = ledgers[loan.loan_id].waivers.get(plan.plan_id)
    if waived is not None:
        await _waivers_as_acts(
            unit, ctx, loan, plan.plan_id, WaiverStatus.CONDITIONAL, plan.activated_on, waived.plan, waived.quote_honoured
        )
    if (waiting := await ctx.book.waiting_end(plan.plan_id)) is not None:  # its end was read first
        await _handle_waiting_end(unit, ctx, waiting)


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
            await unit.publish(event, event_id=deterministic_id("WaiverGranted", plan_id, reason.value, status.value))


async def _end_plan(
    unit: Unit[Any], ctx: Overdue, plan_id: uuid.UUID, outcome: str, on: date, status: WaiverStatus
) -> LoanRow | None:
    """The plan ended (completed, broke, or its loan closed): its pause ends, and its recorded
    waivers become final or are reinstated."""
    loan = await _loan(ctx, unit.event.loan_id)
    if not await ctx.book.end_plan(plan_id, outcome, on):
        if await ctx.book.plan_outcome(plan_id) is None and outcome != "closed":
            # Its activation is yet to be read (another topic): handled once it is.
            await ctx.book.wait_for_activation(plan_id, loan.loan_id, unit.envelope.model_dump_json())
        return None  # it ended before: told once
    # Collection resumes on the day a plan broke; the day a plan completed is still the plan's (the
    # payment that completed it that day owes no penalty for that day).
    await ctx.book.end_pause(loan.loan_id, on if outcome != "completed" else on + timedelta(days=1))
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
    ledgers = await _rebuild(ctx, {loan.loan_id: loan}, {loan.loan_id: (unit, trigger)}, await ctx.book.last_business_date())
    await _publish_applied(unit, loan, ledgers[loan.loan_id])
    await _activate_held(unit, ctx, loan.loan_id)


async def when_plan_broken_resume_clock(unit: Unit[PlanBroken], ctx: Overdue) -> None:
    """The plan is undone from its activation day: its waiver is reinstated, every payment is
    applied again to the loan's own installments, and collection resumes from where it stood
    (the days under the plan do not count)."""
    loan = await _end_plan(unit, ctx, unit.event.plan_id, "broken", unit.event.business_date, WaiverStatus.REINSTATED)
    if loan is not None:
        await _after_the_plan(unit, ctx, loan, Trigger.PLAN_BROKEN)


async def when_plan_completed_cure_loan(unit: Unit[PlanCompleted], ctx: Overdue) -> None:
    """The plan is paid: its waiver becomes final. Nothing is settled that was not paid or
    waived; a regular installment still owed keeps the loan overdue (DESIGN.md §3a)."""
    loan = await _end_plan(unit, ctx, unit.event.plan_id, "completed", unit.event.completed_on, WaiverStatus.FINAL)
    if loan is not None:
        await _after_the_plan(unit, ctx, loan, Trigger.PLAN_COMPLETED)
