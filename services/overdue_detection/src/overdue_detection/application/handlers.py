"""Use cases of overdue-detection: each handles one event in one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import LoanBook
from overdue_detection.domain.allocation import allocate
from overdue_detection.domain.delinquency import bucket_for, days_past_due
from overdue_detection.domain.loan import LoanRow
from tideover_contracts.common import Bucket, ContactRef, OverdueAmounts
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.overdue import (
    CureReason,
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RemainingInstallment,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.money import Money
from tideover_runtime.consumer import RejectEvent, Unit

#: Pre-due reminder points, days before the due date (DESIGN.md §4, after Fineract).
DUE_SOON_DAYS = [3, 1]


async def when_loan_booked_record_it(unit: Unit[LoanBooked], book: LoanBook) -> None:
    await book.add(unit.event)


async def when_contact_changed_update_it(unit: Unit[BorrowerContactChanged], book: LoanBook) -> None:
    loan = await book.get(unit.event.loan_id, for_update=True)
    if loan is None:
        raise RejectEvent(f"unknown loan {unit.event.loan_id}")
    change = unit.event
    contact = loan.contact.model_copy(
        update={k: v for k, v in {"locale": change.locale, "time_zone": change.time_zone}.items() if v is not None}
    )
    await book.set_status(loan.loan_id, contact=contact.model_dump_json())


async def when_loan_closed_stop_tracking(unit: Unit[LoanClosed], book: LoanBook) -> None:
    loan = await book.get(unit.event.loan_id, for_update=True)
    if loan is None:
        raise RejectEvent(f"unknown loan {unit.event.loan_id}")
    await book.set_status(loan.loan_id, status="closed")
    if loan.overdue_since is not None:
        await _cure(unit, book, loan, unit.event.closed_on, CureReason.LOAN_CLOSED)


async def when_repayment_received_apply_it(unit: Unit[RepaymentReceived], book: LoanBook) -> None:
    payment = unit.event
    loan = await book.get(payment.loan_id, for_update=True)
    if loan is None:
        raise RejectEvent(f"payment {payment.payment_id} is for unknown loan {payment.loan_id}")
    if loan.status == "closed":
        raise RejectEvent(f"payment {payment.payment_id} is for closed loan {payment.loan_id}")
    if payment.amount.currency != loan.currency:
        raise RejectEvent(f"payment in {payment.amount.currency} for a loan in {loan.currency}")
    if not await book.record_payment(payment):
        return  # this payment id was applied before
    allocations, left_over = allocate(payment.amount.amount, await book.unpaid_balances(loan.loan_id), loan.allocation_order)
    await book.apply(loan.loan_id, payment.payment_id, allocations, left_over)
    if loan.overdue_since is not None:
        business_date = await book.last_business_date() or payment.value_date
        await _settle(unit, book, business_date, [loan.loan_id], OverdueChangeReason.PAYMENT_APPLIED)


async def when_business_day_closed_settle_overdue(unit: Unit[BusinessDayClosed], book: LoanBook) -> None:
    day = unit.event
    await _settle(unit, book, day.business_date, None, OverdueChangeReason.BUCKET_CHANGED)
    for row in await book.due_soon(day.business_date, DUE_SOON_DAYS):
        loan_id = row["loan_id"]
        await unit.publish(
            InstallmentDueSoon(
                loan_id=loan_id,
                sequence=row["sequence"],
                due_date=row["due_date"],
                amount_due=Money.of(row["amount_due"], row["currency"]),
                days_before=row["days_before"],
                business_date=day.business_date,
                contact=ContactRef.model_validate_json(row["contact"]),
            ),
            event_id=deterministic_id("InstallmentDueSoon", loan_id, row["sequence"], row["days_before"]),
        )


async def _settle(
    unit: Unit[Any], book: LoanBook, business_date: date, loan_ids: list[Any] | None, change: OverdueChangeReason
) -> None:
    """Start, update or end overdue episodes for the loans whose position changed."""
    for position in await book.overdue_positions(business_date, loan_ids):
        loan = await book.get(position["loan_id"])
        assert loan is not None
        if position["oldest_due"] is None:
            await _cure(unit, book, loan, business_date, CureReason.PAID)
        elif loan.overdue_since is None:
            await _start_episode(unit, book, loan, business_date, position)
        else:
            await _update_episode(unit, book, loan, business_date, position, change)


async def _snapshot(book: LoanBook, loan: LoanRow, episode: int, business_date: date, position: Any) -> dict[str, Any]:
    currency = loan.currency
    principal, interest, fee = (Money.of(position[part], currency) for part in ("principal", "interest", "fee"))
    penalty = Money.zero(currency)  # penalty accrual arrives with the overdue-detection issue
    remaining = await book.remaining_schedule(loan.loan_id, currency)
    outstanding_principal = sum((item.principal.amount for item, _ in remaining), start=Decimal(0))
    dpd = days_past_due(business_date, position["oldest_due"])
    return {
        "loan_id": loan.loan_id,
        "episode": episode,
        "business_date": business_date,
        "days_past_due": dpd,
        "bucket": bucket_for(dpd),
        "oldest_overdue_due_date": position["oldest_due"],
        "overdue": OverdueAmounts(
            principal=principal, interest=interest, fee=fee, penalty=penalty, total=principal + interest + fee + penalty
        ),
        "outstanding_principal": Money.of(outstanding_principal, currency),
        "contract_rate": loan.contract_rate,
        "overdue_rate": loan.overdue_rate,
        "charges_cap_applied": False,
        "under_plan": loan.under_plan,
        "remaining_schedule": tuple(RemainingInstallment(installment=item, outstanding=owed) for item, owed in remaining),
        "contact": loan.contact,
    }


async def _start_episode(unit: Unit[Any], book: LoanBook, loan: LoanRow, business_date: date, position: Any) -> None:
    episode = loan.episode + 1
    fields = await _snapshot(book, loan, episode, business_date, position)
    await book.set_status(loan.loan_id, episode=episode, overdue_since=position["oldest_due"], bucket=fields["bucket"].value)
    await unit.publish(LoanBecameOverdue(**fields), event_id=deterministic_id("LoanBecameOverdue", loan.loan_id, episode))


async def _update_episode(
    unit: Unit[Any], book: LoanBook, loan: LoanRow, business_date: date, position: Any, change: OverdueChangeReason
) -> None:
    fields = await _snapshot(book, loan, loan.episode, business_date, position)
    bucket: Bucket = fields["bucket"]
    if change == OverdueChangeReason.BUCKET_CHANGED and bucket.value == loan.bucket:
        return
    await book.set_status(loan.loan_id, bucket=bucket.value, overdue_since=position["oldest_due"])
    await unit.publish(
        OverdueStatusChanged(**fields, reasons=(change,), previous_bucket=Bucket(loan.bucket)),
        event_id=deterministic_id("OverdueStatusChanged", loan.loan_id, loan.episode, business_date, unit.envelope.event_id),
    )


async def _cure(unit: Unit[Any], book: LoanBook, loan: LoanRow, business_date: date, reason: CureReason) -> None:
    await book.set_status(loan.loan_id, overdue_since=None, bucket=Bucket.CURRENT.value, under_plan=False)
    remaining = await book.remaining_schedule(loan.loan_id, loan.currency)
    outstanding = sum((item.principal.amount for item, _ in remaining), start=Decimal(0))
    await unit.publish(
        LoanCured(
            loan_id=loan.loan_id,
            episode=max(loan.episode, 1),
            business_date=business_date,
            reason=reason,
            outstanding_principal=Money.of(outstanding, loan.currency),
            contact=loan.contact,
        ),
        event_id=deterministic_id("LoanCured", loan.loan_id, max(loan.episode, 1)),
    )


async def when_plan_activated_pause_clock(unit: Unit[PlanActivated], book: LoanBook) -> None:
    if await book.get(unit.event.loan_id, for_update=True) is None:
        raise RejectEvent(f"plan for unknown loan {unit.event.loan_id}")
    await book.set_status(unit.event.loan_id, under_plan=True)


async def when_plan_broken_resume_clock(unit: Unit[PlanBroken], book: LoanBook) -> None:
    await book.set_status(unit.event.loan_id, under_plan=False)


async def when_plan_completed_cure_loan(unit: Unit[PlanCompleted], book: LoanBook) -> None:
    loan = await book.get(unit.event.loan_id, for_update=True)
    if loan is not None and loan.overdue_since is not None:
        await _cure(unit, book, loan, unit.event.completed_on, CureReason.PLAN_COMPLETED)
    elif loan is not None:
        await book.set_status(loan.loan_id, under_plan=False)
