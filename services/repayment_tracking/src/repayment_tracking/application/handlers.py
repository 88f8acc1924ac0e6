"""Use cases of repayment-tracking: follow each plan to its end."""

from __future__ import annotations

from decimal import Decimal

from repayment_tracking.application.ports import ActivePlan, Plans
from repayment_tracking.domain.plan_rules import MISSES_TO_BREAK, apply_payment, is_missed, unpaid_too_long
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import (
    PlanBreakReason,
    PlanBroken,
    PlanCompleted,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.money import Money
from tideover_runtime.consumer import Unit


async def when_plan_activated_track_it(unit: Unit[PlanActivated], plans: Plans) -> None:
    await plans.add(unit.event)


async def when_repayment_received_apply_to_plan(unit: Unit[RepaymentReceived], plans: Plans) -> None:
    """Payments of loans under an active plan count against the plan; the others are left to
    overdue-detection, which applies every payment to the loan's own schedule."""
    payment = unit.event
    plan = await plans.active_for_loan(payment.loan_id)
    if plan is None or not await plans.record_payment(plan.plan_id, payment):
        return
    installments = await plans.installments(plan.plan_id)
    applied, excess = apply_payment(payment.amount.amount, installments)
    by_sequence = {item.sequence: item for item in installments}
    for sequence, amount in applied:
        await plans.pay(plan.plan_id, sequence, amount)
        remaining = by_sequence[sequence].shortfall - amount
        await unit.publish(
            PlanInstallmentPaid(
                plan_id=plan.plan_id,
                loan_id=plan.loan_id,
                sequence=sequence,
                payment_id=payment.payment_id,
                applied=Money.of(amount, plan.currency),
                remaining_on_installment=Money.of(remaining, plan.currency),
                fully_paid=remaining == 0,
                value_date=payment.value_date,
            ),
            event_id=deterministic_id("PlanInstallmentPaid", plan.plan_id, sequence, payment.payment_id),
        )
    if excess > 0:
        await plans.add_credit(plan.plan_id, excess)
    if all(item.shortfall == 0 for item in await plans.installments(plan.plan_id)):
        await _complete(unit, plans, plan)


async def _complete(unit: Unit[RepaymentReceived], plans: Plans, plan: ActivePlan) -> None:
    await plans.set_status(plan.plan_id, "completed")
    total = sum((item.amount for item in await plans.installments(plan.plan_id)), start=Decimal(0))
    await unit.publish(
        PlanCompleted(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            completed_on=unit.event.value_date,
            total_paid=Money.of(total, plan.currency),
            final_waiver=plan.conditional_waiver,
        ),
        event_id=deterministic_id("PlanCompleted", plan.plan_id),
    )


async def when_business_day_closed_check_plans(unit: Unit[BusinessDayClosed], plans: Plans) -> None:
    business_date = unit.event.business_date
    for plan in await plans.active_plans():
        installments = await plans.installments(plan.plan_id)
        missed_count = sum(item.missed for item in installments)
        for item in installments:
            if is_missed(item, business_date):
                missed_count += 1
                await plans.mark_missed(plan.plan_id, item.sequence)
                await unit.publish(
                    PlanInstallmentMissed(
                        plan_id=plan.plan_id,
                        loan_id=plan.loan_id,
                        sequence=item.sequence,
                        due_date=item.due_date,
                        shortfall=Money.of(item.shortfall, plan.currency),
                        missed_count=missed_count,
                        business_date=business_date,
                    ),
                    event_id=deterministic_id("PlanInstallmentMissed", plan.plan_id, item.sequence),
                )
        reason = None
        if missed_count >= MISSES_TO_BREAK:
            reason = PlanBreakReason.TWO_MISSED
        elif any(unpaid_too_long(item, business_date) for item in installments):
            reason = PlanBreakReason.UNPAID_30_DAYS
        if reason is not None:
            await plans.set_status(plan.plan_id, "broken")
            unpaid = sum((item.shortfall for item in installments), start=Decimal(0))
            await unit.publish(
                PlanBroken(
                    plan_id=plan.plan_id,
                    loan_id=plan.loan_id,
                    reason=reason,
                    business_date=business_date,
                    reinstated_waiver=plan.conditional_waiver,
                    unpaid=Money.of(unpaid, plan.currency),
                ),
                event_id=deterministic_id("PlanBroken", plan.plan_id),
            )
