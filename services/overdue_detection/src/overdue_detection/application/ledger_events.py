"""What the ledger tells the other services (DESIGN.md §3a): what each payment covered, and the
waivers it recorded. The ledger is the book of record; these events are how others read it."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from overdue_detection.domain.ledger import Allocation
from overdue_detection.domain.replay import AppliedPayment
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.overdue import (
    LedgerLine,
    LineCovered,
    RepaymentApplied,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.money import Money


def _covered(allocation: Allocation, currency: str) -> LineCovered:
    assert allocation.due_date is not None
    line = LedgerLine(
        sequence=allocation.plan_sequence or allocation.sequence, plan_id=allocation.plan_id, due_date=allocation.due_date
    )
    return LineCovered(
        line=line,
        principal=Money.of(allocation.principal, currency),
        interest=Money.of(allocation.interest, currency),
        fee=Money.of(allocation.fee, currency),
        penalty=Money.of(allocation.penalty, currency),
        left=Money.of(allocation.left, currency),
    )


def repayment_applied(loan_id: uuid.UUID, currency: str, applied: AppliedPayment) -> RepaymentApplied:
    return RepaymentApplied(
        loan_id=loan_id,
        payment_id=applied.payment_id,
        amount=Money.of(applied.amount, currency),
        value_date=applied.value_date,
        covered=tuple(_covered(allocation, currency) for allocation in applied.allocations),
        to_credit=Money.of(applied.to_credit, currency),
        outstanding=Money.of(applied.outstanding, currency),
    )


def waived_amounts(amounts: dict[str, Decimal], currency: str) -> WaivedAmounts:
    parts = {c: Money.of(amounts.get(c, Decimal(0)), currency) for c in ("penalty", "interest", "fee")}
    return WaivedAmounts(**parts, total=parts["penalty"] + parts["interest"] + parts["fee"])


def waiver_granted(
    loan_id: uuid.UUID,
    plan_id: uuid.UUID,
    reason: WaiverReason,
    status: WaiverStatus,
    amounts: dict[str, Decimal],
    currency: str,
    business_date: date,
) -> WaiverGranted:
    return WaiverGranted(
        loan_id=loan_id,
        plan_id=plan_id,
        reason=reason,
        status=status,
        waived=waived_amounts(amounts, currency),
        business_date=business_date,
    )
