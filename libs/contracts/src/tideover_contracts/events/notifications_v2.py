"""`notifications.requests.v2`: NotificationRequested version 2, published beside version 3
until every gateway reads `notifications.requests.v3`; then this module goes (see the
contracts' CHANGELOG). Its purposes are the eleven version 2 knows; a request for another purpose
(a borrower's change code) is published in version 3 only."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from tideover_contracts.events import notifications


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
    PLAN_REFUSED = "plan_refused"
    LOAN_ASSIGNED = "loan_assigned"


class NotificationRequested(notifications.NotificationRequested):
    """A message a gateway should deliver now: everything it needs is here."""

    schema_version: ClassVar[int] = 2

    purpose: Purpose  # type: ignore[assignment]


def downgraded(request: notifications.NotificationRequested) -> NotificationRequested | None:
    """`request` in version 2; None when version 2 does not know its purpose."""
    try:
        purpose = Purpose(request.purpose.value)
    except ValueError:
        return None
    return NotificationRequested.model_validate({**request.model_dump(), "purpose": purpose})
