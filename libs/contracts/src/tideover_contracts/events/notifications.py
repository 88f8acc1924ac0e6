"""`notifications.requests.v3` (and v2 and v1, until every gateway reads v3) and
`notifications.receipts.v1`: our side of the gateways.

Version 2 of NotificationRequested named two purposes more than version 1 (a plan the borrower
confirmed that could not be put in force, and the assignment of a sold loan); version 3 names one
more (the one-time code a borrower asked for on their page to confirm a change). A new value of an
enum a reader checks is not an optional field, so by the contract rules (DESIGN.md §2) each is a
new topic; `notifications.requests.v2` and `.v1` carry the same requests, in their versions, for
the purposes they know (notifications_v2, notifications_v1).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tideover_contracts.common import Channel, Jurisdiction, Language, Locale, language_field
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
    #: Since version 2: the plan the borrower confirmed was not put in force: its acceptance was
    #: refused (PlanRejected naming the offer: the loan repaid or closed meanwhile, another plan in
    #: force, nothing affordable any more), or it was quoted again after a material change (a
    #: PlanOffered superseding it: the updated plan is to be confirmed).
    PLAN_REFUSED = "plan_refused"
    #: Since version 2: the loan was sold (LoanClosed, reason sold); whom the borrower pays now.
    LOAN_ASSIGNED = "loan_assigned"
    #: Since version 3: the one-time code the borrower asked for on their page to confirm a change
    #: there (negotiation.applications.v1 BorrowerCodeRequested), by SMS to the phone on file.
    CHANGE_CODE = "change_code"


class NotificationRequested(Event):
    """A message a gateway should deliver now: everything it needs is here."""

    event_type: ClassVar[str] = "NotificationRequested"
    schema_version: ClassVar[int] = 3

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    borrower_id: str
    channel: Channel
    address: str = Field(description="Phone number, e-mail address or push token, by channel")
    purpose: Purpose
    locale: Locale
    language: Language | None = language_field(
        "Here: what the subject and body are written in. Absent (a request published before notification stated "
        "it): the locale's own (zh-CN → zh-Hans, en → en), as `Language.of(locale, language)` decides."
    )
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
