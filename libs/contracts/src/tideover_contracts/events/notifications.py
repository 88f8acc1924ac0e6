"""`notifications.requests.v1` and `notifications.receipts.v1`: our side of the gateways."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tideover_contracts.common import Channel, Jurisdiction, Locale
from tideover_contracts.envelope import Event


class Purpose(StrEnum):
    PRE_DUE_REMINDER = "pre_due_reminder"
    OVERDUE_NOTICE = "overdue_notice"
    CURED_CONFIRMATION = "cured_confirmation"
    WRITTEN_PLAN = "written_plan"
    PLAN_ACTIVATED = "plan_activated"
    PLAN_INSTALLMENT_REMINDER = "plan_installment_reminder"
    PLAN_INSTALLMENT_MISSED = "plan_installment_missed"
    PLAN_BROKEN = "plan_broken"
    PLAN_COMPLETED = "plan_completed"


class NotificationRequested(Event):
    """A message a gateway should deliver now: everything it needs is here."""

    event_type: ClassVar[str] = "NotificationRequested"

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    borrower_id: str
    channel: Channel
    address: str = Field(description="Phone number, e-mail address or push token, by channel")
    purpose: Purpose
    locale: Locale
    jurisdiction: Jurisdiction
    subject: str | None = None
    body: str
    template: str = Field(description="Template name and version that rendered the body")
    expires_at: AwareDatetime


class NotificationDelivered(Event):
    event_type: ClassVar[str] = "NotificationDelivered"

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    channel: Channel
    gateway: str
    delivered_at: AwareDatetime


class NotificationFailed(Event):
    event_type: ClassVar[str] = "NotificationFailed"

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    channel: Channel
    gateway: str
    reason: str
    retryable: bool
    failed_at: AwareDatetime
