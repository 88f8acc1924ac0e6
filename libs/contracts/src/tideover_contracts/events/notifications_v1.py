"""`notifications.requests.v1`: NotificationRequested version 1, published beside version 3
until every gateway reads `notifications.requests.v3`; then this module goes (see the
contracts' CHANGELOG). Its purposes are the nine version 1 knows; a request for another purpose
is published in versions 2 and 3 only."""

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


class NotificationRequested(notifications.NotificationRequested):
    """A message a gateway should deliver now: everything it needs is here."""

    schema_version: ClassVar[int] = 1

    purpose: Purpose  # type: ignore[assignment]
    #: Version 1 has no `language` (a v1 reader knows the locale alone): the downgrade drops it.
    language: ClassVar[None] = None  # type: ignore[misc]


def downgraded(request: notifications.NotificationRequested) -> NotificationRequested | None:
    """`request` in version 1; None when version 1 does not know its purpose."""
    try:
        purpose = Purpose(request.purpose.value)
    except ValueError:
        return None
    return NotificationRequested.model_validate({**request.model_dump(), "purpose": purpose})
