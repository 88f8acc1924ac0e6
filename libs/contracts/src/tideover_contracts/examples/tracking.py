"""The golden events of repayment tracking and notification."""

from __future__ import annotations

from datetime import date, timedelta

from tideover_contracts.common import Channel, Jurisdiction, Language, Locale
from tideover_contracts.envelope import Event
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested, Purpose
from tideover_contracts.events.tracking import (
    PlanBreakReason,
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.examples.values import AT, LOAN_ID, NOTIFICATION_ID, PLAN_ID, cny, no_waiver


def tracking_events() -> list[Event]:
    """Repayment tracking's events about a plan's installments."""
    return [
        PlanInstallmentDueSoon(
            plan_id=PLAN_ID, loan_id=LOAN_ID, sequence=1, due_date=date(2026, 4, 15), amount_due=cny("348.33"), days_before=3
        ),
        PlanInstallmentPaid(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            sequence=1,
            payment_id="PAY-2026-000002",
            applied=cny("348.33"),
            remaining_on_installment=cny("0.00"),
            fully_paid=True,
            value_date=date(2026, 4, 15),
        ),
        PlanInstallmentMissed(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            sequence=2,
            due_date=date(2026, 5, 15),
            shortfall=cny("348.33"),
            missed_count=1,
            business_date=date(2026, 5, 18),
        ),
        PlanBroken(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            reason=PlanBreakReason.TWO_MISSED,
            business_date=date(2026, 6, 18),
            reinstated_waiver=no_waiver(),
            unpaid=cny("696.67"),
        ),
        PlanCompleted(
            plan_id=PLAN_ID, loan_id=LOAN_ID, completed_on=date(2026, 6, 15), total_paid=cny("1045.00"), final_waiver=no_waiver()
        ),
    ]


def notification_events() -> list[Event]:
    """Notification's events: the request and its delivery or failure."""
    return [
        NotificationRequested(
            notification_id=NOTIFICATION_ID,
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            channel=Channel.SMS,
            address="+8613800138000",
            purpose=Purpose.OVERDUE_NOTICE,
            locale=Locale.ZH_CN,
            language=Language.ZH_HANS,
            jurisdiction=Jurisdiction.CN,
            body="【Tideover】您的贷款已逾期1天，逾期金额¥1,045.00，请尽快还款。",
            template="overdue_notice.sms.zh-CN@1",
            expires_at=AT + timedelta(days=1),
        ),
        NotificationDelivered(
            notification_id=NOTIFICATION_ID, loan_id=LOAN_ID, channel=Channel.SMS, gateway="reference-gateway", delivered_at=AT
        ),
        NotificationFailed(
            notification_id=NOTIFICATION_ID,
            loan_id=LOAN_ID,
            channel=Channel.SMS,
            gateway="reference-gateway",
            reason="handset unreachable",
            retryable=True,
            failed_at=AT,
        ),
    ]
