"""The golden events of the loan ledger: the upstream loan system's, the clock's and overdue
detection's."""

from __future__ import annotations

from datetime import date

from tideover_contracts.common import Bucket, Channel, Language, OverdueAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanClosed, LoanClosureReason, RepaymentReceived
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    CureReason,
    InstallmentDueSoon,
    LedgerLine,
    LineCovered,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RepaymentApplied,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.examples.values import AT, LOAN_ID, PLAN_ID, cny, contact_ref, loan_booked, no_waiver, snapshot_fields


def loan_events() -> list[Event]:
    """The upstream loan system's events."""
    return [
        loan_booked(),
        RepaymentReceived(
            loan_id=LOAN_ID, payment_id="PAY-2026-000001", amount=cny("500.00"), received_at=AT, value_date=date(2026, 3, 16)
        ),
        BorrowerContactChanged(
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            phone="+8613900139000",
            language=Language.ZH_HANT,  # the borrower reads Traditional Chinese: locale zh-CN cannot say so
            opted_out_channels=(Channel.EMAIL,),
            changed_at=AT,
        ),
        LoanClosed(loan_id=LOAN_ID, closed_on=date(2026, 6, 15), reason=LoanClosureReason.PAID_OFF),
    ]


def clock_events() -> list[Event]:
    """The scheduler's clock events."""
    return [
        BusinessDayClosed(business_date=date(2026, 2, 16), closed_at=AT),
        ClockTicked(at=AT),
    ]


def overdue_events() -> list[Event]:
    """Overdue detection's events about the loan's status."""
    return [
        InstallmentDueSoon(
            loan_id=LOAN_ID,
            sequence=1,
            due_date=date(2026, 2, 15),
            amount_due=cny("1045.00"),
            days_before=3,
            business_date=date(2026, 2, 12),
            contact=contact_ref(),
        ),
        LoanBecameOverdue(**snapshot_fields()),  # type: ignore[arg-type]
        OverdueStatusChanged(**snapshot_fields(), reasons=(OverdueChangeReason.BUCKET_CHANGED,), previous_bucket=Bucket.M1),  # type: ignore[arg-type]
        LoanCured(
            loan_id=LOAN_ID,
            episode=1,
            business_date=date(2026, 3, 16),
            reason=CureReason.PAID,
            outstanding_principal=cny("2000.00"),
            contact=contact_ref(),
        ),
    ]


def ledger_events() -> list[Event]:
    """Overdue detection's events about the loan's ledger."""
    return [
        RepaymentApplied(
            loan_id=LOAN_ID,
            payment_id="PAY-2026-000001",
            amount=cny("500.00"),
            value_date=date(2026, 3, 16),
            covered=(
                LineCovered(
                    line=LedgerLine(sequence=1, due_date=date(2026, 2, 15)),
                    principal=cny("454.90"),
                    interest=cny("45.00"),
                    fee=cny("0.00"),
                    penalty=cny("0.10"),
                    left=cny("545.10"),
                ),
            ),
            to_credit=cny("0.00"),
            outstanding=cny("1590.10"),
        ),
        WaiverGranted(
            loan_id=LOAN_ID,
            plan_id=PLAN_ID,
            reason=WaiverReason.PLAN,
            status=WaiverStatus.CONDITIONAL,
            waived=no_waiver(),
            business_date=date(2026, 3, 16),
        ),
        BalanceWrittenOff(
            loan_id=LOAN_ID,
            business_date=date(2026, 3, 17),
            reason="de_minimis",
            written_off=OverdueAmounts(
                principal=cny("0.00"), interest=cny("0.00"), fee=cny("0.00"), penalty=cny("0.12"), total=cny("0.12")
            ),
        ),
    ]
