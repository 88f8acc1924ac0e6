"""`plans.tracking.v1`: how each active plan is going."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from tideover_contracts.common import WaivedAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.money import Money


class PlanInstallmentDueSoon(Event):
    event_type: ClassVar[str] = "PlanInstallmentDueSoon"

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    sequence: int = Field(ge=1)
    due_date: date
    amount_due: Money
    days_before: int = Field(ge=0)


class PlanInstallmentPaid(Event):
    """A payment was applied to a plan installment (fully or in part)."""

    event_type: ClassVar[str] = "PlanInstallmentPaid"

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    sequence: int = Field(ge=1)
    payment_id: str
    applied: Money
    remaining_on_installment: Money
    fully_paid: bool
    value_date: date


class PlanInstallmentMissed(Event):
    event_type: ClassVar[str] = "PlanInstallmentMissed"

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    sequence: int = Field(ge=1)
    due_date: date
    shortfall: Money
    missed_count: int = Field(ge=1)
    business_date: date


class PlanBreakReason(StrEnum):
    TWO_MISSED = "two_missed"
    UNPAID_30_DAYS = "unpaid_30_days"


class PlanBroken(Event):
    """The plan failed; collection resumes and a conditional waiver is reinstated."""

    event_type: ClassVar[str] = "PlanBroken"

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    reason: PlanBreakReason
    business_date: date
    reinstated_waiver: WaivedAmounts
    unpaid: Money


class PlanCompleted(Event):
    """Everything in the plan was paid; a conditional waiver becomes final."""

    event_type: ClassVar[str] = "PlanCompleted"

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    completed_on: date
    total_paid: Money
    final_waiver: WaivedAmounts
