"""Use cases of repayment-tracking: follow each plan to its end (DESIGN.md §3 step 7, §3a).

overdue-detection's ledger is the book of record: it applies every payment once, oldest
obligation first, and publishes what it covered (RepaymentApplied). This service keeps no count
of its own: it records, per payment, the ledger's latest word on what it left on the lines of
a loan's active plan (the plan's own lines and, in an arrears plan, the regular installments that
stay due) and judges the plan's months from that. A payment of a loan without an active plan is
not ours, except one that names a plan not taken in yet: the ledger reports on another topic
than the activation, so it may come first; it is kept until the plan is.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any

from repayment_tracking.application.ports import ActivePlan, Tracking
from repayment_tracking.application.reports import Outcome, applied_to_plans, completed_event, judgement_events, reports_on
from repayment_tracking.domain.plan_rules import Due, LineRef, Month, PlanBook, completed_on, judge, plan_months
from repayment_tracking.domain.statuses import PlanStatus
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated
from tideover_runtime.unit import Unit, publish_each


async def when_plan_activated_track_it(unit: Unit[PlanActivated], tracking: Tracking) -> None:
    """Take the plan in, month by month; then the payments the ledger reported for it before."""
    plan = unit.event
    if not await tracking.plans.add(plan, months_of(plan)):
        return
    early = await tracking.plans.take_early(plan.plan_id)
    if early:
        active = await tracking.plans.active_for_loans([plan.loan_id])
        await _follow(tracking, [(unit, payment, active[plan.loan_id]) for payment in early])


def months_of(plan: PlanActivated) -> tuple[Month, ...]:
    """The plan's months: its own lines and, in an arrears plan, the regular installments that
    stay due in each (domain plan_months)."""
    continuing = plan.continuing_installments if plan.plan_effect is PlanEffect.ARREARS else ()
    return plan_months(
        [Due(line.sequence, line.due_date, line.total.amount) for line in plan.schedule],
        [Due(item.sequence, item.due_date, item.amount.amount) for item in continuing],
        min(plan.activated_on, plan.basis_business_date or plan.activated_on),
    )


async def when_repayments_applied_follow_plans(units: list[Unit[RepaymentApplied]], tracking: Tracking) -> None:
    """Record what a run of payments covered on the lines of their loans' active plans, each
    payment once (by its id); announce what they paid on the plans' lines, and complete the plans
    they made complete."""
    plans = tracking.plans
    active = await plans.active_for_loans({unit.event.loan_id for unit in units})
    await _keep_those_for_plans_not_taken_in(units, active, tracking)
    await _follow(tracking, [(unit, unit.event, active[unit.event.loan_id]) for unit in units if unit.event.loan_id in active])


async def _keep_those_for_plans_not_taken_in(
    units: list[Unit[RepaymentApplied]], active: dict[uuid.UUID, ActivePlan], tracking: Tracking
) -> None:
    """A payment of a loan without an active plan that names a plan not taken in yet is kept for
    it (the activation comes on another topic than the ledger's report); one naming a plan that
    has ended is not ours."""
    named: dict[tuple[str, uuid.UUID], RepaymentApplied] = {}
    for unit in units:
        if unit.event.loan_id in active:
            continue
        for covered in unit.event.covered:
            if covered.line.plan_id is not None:
                named.setdefault((unit.event.payment_id, covered.line.plan_id), unit.event)  # the first report stands
    if not named:
        return
    known = await tracking.plans.known({plan_id for _, plan_id in named})
    await tracking.plans.keep_early([(plan_id, payment) for (_, plan_id), payment in named.items() if plan_id not in known])


async def _follow(tracking: Tracking, payments: Sequence[tuple[Unit[Any], RepaymentApplied, ActivePlan]]) -> None:
    """Record what the ledger reported of each payment on its plan's lines; announce them and
    complete the plans they made complete. The ledger's latest word on a payment stands: when a
    payment value-dated earlier, or a plan event, made it apply the loan's payments again, it
    restates each of them, and the restatement replaces what it said before (a message delivered
    twice is the same message, and the inbox skips it)."""
    plans = tracking.plans
    books = await plans.books({plan.plan_id for _, _, plan in payments})
    latest: dict[str, tuple[Unit[Any], RepaymentApplied, ActivePlan]] = {}
    for unit, payment, plan in payments:
        if reports_on(plan.plan_id, payment, books[plan.plan_id]):
            latest[payment.payment_id] = (unit, payment, plan)
    if not latest:
        return
    new = await plans.record_payments([(plan.plan_id, payment) for _, payment, plan in latest.values()])
    restated = [(plan.plan_id, payment_id) for payment_id, (_, _, plan) in latest.items() if payment_id not in new]
    if restated:
        await plans.forget_reports(restated)
        books = await plans.books({plan.plan_id for _, _, plan in payments})
    applied = applied_to_plans(list(latest.values()), books)
    await plans.record_reports(applied.reports)
    books = {plan_id: books[plan_id].with_reports(reports) for plan_id, reports in applied.reports.items()}
    # Every line of a plan with a restatement, since one may no longer be covered.
    touched: dict[uuid.UUID, Collection[LineRef]] = {
        plan_id: {report.ref for report in reports} for plan_id, reports in applied.reports.items()
    }
    touched.update({plan_id: books[plan_id].refs for plan_id, _ in restated if plan_id in books})
    await plans.set_lines(books, touched)
    await publish_each(applied.events)
    await _complete_those_done(tracking, applied.last_unit, applied.first_day, applied.last_day, books)


async def _complete_those_done(
    tracking: Tracking,
    last_unit: dict[uuid.UUID, tuple[Unit[Any], ActivePlan]],
    first_day: dict[uuid.UUID, date],
    last_day: dict[uuid.UUID, date],
    books: dict[uuid.UUID, PlanBook],
) -> None:
    """A plan the new reports made complete ends on the day they did (after the payments that
    completed it, in the outbox)."""
    ended: dict[uuid.UUID, date] = {}
    events = []
    for plan_id, (unit, plan) in last_unit.items():
        through = max(last_day[plan_id], plan.closed_through or last_day[plan_id])
        done_on = completed_on(books[plan_id], first_day[plan_id], through, tracking.rules)
        if done_on is not None:
            ended[plan_id] = done_on
            events.append((unit, *completed_event(plan, books[plan_id], done_on)))
    await tracking.plans.end(ended, PlanStatus.COMPLETED)
    await publish_each(events)


async def when_business_day_closed_check_plans(unit: Unit[BusinessDayClosed], tracking: Tracking) -> None:
    """Judge every active plan on each day since it was last judged, through the closed day:
    missed months, a broken or completed plan; and remind the borrowers of months coming up.
    Only the plans in which something may happen are read (adapters/plans.py says which); all
    of them at once, their changes and events stored in a few statements. A date closed in a
    catch-up ahead of its latest reminds no one: the next close told reminds of what fell due to
    be reminded since the last one told, if it is still ahead (DESIGN.md §6)."""
    business_date, quietly = unit.event.business_date, unit.event.caught_up_later
    since = None if quietly else await tracking.plans.tell_close(business_date)
    due = await tracking.plans.plans_to_judge(business_date, tracking.rules, since)
    books = await tracking.plans.books([plan.plan_id for plan in due])
    outcome = Outcome()
    for plan in due:
        first = _first_day(plan)
        days = [first + timedelta(days=n) for n in range((business_date - first).days + 1)]
        judgement = judge(books[plan.plan_id], days, tracking.rules)
        judgement_events(
            unit,
            tracking.rules,
            plan,
            books[plan.plan_id],
            judgement,
            days[-1],
            outcome,
            remind=not quietly,
            since=since,
        )
    await tracking.plans.mark_missed(outcome.missed)
    await tracking.plans.end(outcome.broken, PlanStatus.BROKEN)
    await tracking.plans.end(outcome.completed, PlanStatus.COMPLETED)
    await tracking.plans.close_all(business_date)
    await publish_each(outcome.events)


def _first_day(plan: ActivePlan) -> date:
    return (plan.closed_through or plan.activated_on - timedelta(days=1)) + timedelta(days=1)


async def when_loan_closed_end_its_plan(unit: Unit[LoanClosed], tracking: Tracking) -> None:
    """Upstream closed the loan (paid off, written off, sold): its plan is no longer followed;
    the ledger records how the loan left the book (DESIGN.md §3a)."""
    await tracking.plans.close_for_loan(unit.event.loan_id, unit.event.closed_on)
