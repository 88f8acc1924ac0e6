"""`overdue.status.v1`: what overdue-detection knows about each loan's delinquency."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from tideover_contracts.common import Bucket, ContactRef, Frozen, OverdueAmounts, ScheduledInstallment
from tideover_contracts.envelope import Event
from tideover_contracts.money import Money, Rate


class RemainingInstallment(Frozen):
    """An installment not yet fully paid, with what is still owed on it."""

    installment: ScheduledInstallment
    outstanding: Money


class OverdueSnapshot(Event):
    """Everything a consumer needs about an overdue loan without asking back."""

    event_type: ClassVar[str] = "OverdueSnapshot"

    loan_id: uuid.UUID
    episode: int = Field(ge=1, description="Counts overdue episodes: cured and overdue again is a new one")
    business_date: date
    days_past_due: int = Field(ge=0)
    bucket: Bucket
    oldest_overdue_due_date: date | None
    overdue: OverdueAmounts
    outstanding_principal: Money
    contract_rate: Rate
    overdue_rate: Rate
    charges_cap_applied: bool = Field(description="True when the jurisdiction's cap on overdue charges binds")
    under_plan: bool = False
    remaining_schedule: tuple[RemainingInstallment, ...]
    contact: ContactRef


class InstallmentDueSoon(Event):
    """A pre-due reminder point was reached (DESIGN.md §4: 3 and 1 days before)."""

    event_type: ClassVar[str] = "InstallmentDueSoon"

    loan_id: uuid.UUID
    sequence: int = Field(ge=1)
    due_date: date
    amount_due: Money
    days_before: int = Field(ge=0)
    business_date: date
    contact: ContactRef


class LoanBecameOverdue(OverdueSnapshot):
    """An overdue episode began (published once per episode)."""

    event_type: ClassVar[str] = "LoanBecameOverdue"


class OverdueChangeReason(StrEnum):
    BUCKET_CHANGED = "bucket_changed"
    PAYMENT_APPLIED = "payment_applied"
    AMOUNTS_CHANGED = "amounts_changed"
    WEEKLY = "weekly"
    PLAN_ACTIVATED = "plan_activated"
    PLAN_BROKEN = "plan_broken"
    CORRECTION = "correction"


class OverdueStatusChanged(OverdueSnapshot):
    """The bucket or the amounts of an overdue episode changed, or a weekly update is due."""

    event_type: ClassVar[str] = "OverdueStatusChanged"

    reasons: tuple[OverdueChangeReason, ...] = Field(min_length=1)
    previous_bucket: Bucket


class CureReason(StrEnum):
    PAID = "paid"
    PLAN_COMPLETED = "plan_completed"
    LOAN_CLOSED = "loan_closed"


class LoanCured(Event):
    """Nothing is overdue any more; the episode is over."""

    event_type: ClassVar[str] = "LoanCured"

    loan_id: uuid.UUID
    episode: int = Field(ge=1)
    business_date: date
    reason: CureReason
    outstanding_principal: Money
    contact: ContactRef
