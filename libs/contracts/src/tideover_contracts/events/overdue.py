"""`overdue.status.v1`: what overdue-detection knows about each loan's delinquency."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from tideover_contracts.common import (
    Bucket,
    ContactRef,
    Frozen,
    OverdueAmounts,
    ScheduledInstallment,
    WaivedAmounts,
)
from tideover_contracts.envelope import Event
from tideover_contracts.money import Money, Rate


class RemainingInstallment(Frozen):
    """An installment not yet fully paid, with what is still owed on it."""

    installment: ScheduledInstallment
    outstanding: Money


class LedgerPosition(Frozen):
    """A loan as overdue-detection's ledger, the book of record, has it at a business date
    (DESIGN.md §3a), overdue or not: what is overdue by component, what is still to fall due, the
    rates. Served by overdue-detection's `GET /v1/loans/{id}/position`; a hardship request
    carries the one of the day it was submitted, the basis its offer is priced on."""

    loan_id: uuid.UUID
    business_date: date
    days_past_due: int = Field(ge=0)
    oldest_overdue_due_date: date | None
    next_due_date: date | None = Field(
        description="When the earliest installment still owed and not yet overdue falls due (on the business date or later)"
    )
    overdue: OverdueAmounts
    outstanding_principal: Money
    contract_rate: Rate
    overdue_rate: Rate
    under_plan: bool
    remaining_schedule: tuple[RemainingInstallment, ...]
    contact: ContactRef


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


class LedgerLine(Frozen):
    """One obligation in the loan's ledger: a regular installment, or a line of a plan."""

    sequence: int = Field(ge=1, description="The installment's sequence; a plan's line: the plan's own sequence")
    plan_id: uuid.UUID | None = Field(default=None, description="Set on a plan's line")
    due_date: date


class LineCovered(Frozen):
    """What one payment paid on one line, by component, and what the line still owes after it."""

    line: LedgerLine
    principal: Money
    interest: Money
    fee: Money
    penalty: Money
    left: Money


class RepaymentApplied(Event):
    """overdue-detection applied a payment to the loan's ledger, the book of record (DESIGN.md
    §3a): the lines it covered, oldest obligation first, and what was left over as credit."""

    event_type: ClassVar[str] = "RepaymentApplied"

    loan_id: uuid.UUID
    payment_id: str
    amount: Money
    value_date: date
    covered: tuple[LineCovered, ...]
    to_credit: Money = Field(description="The part of the payment beyond everything owed, kept as the loan's credit")
    outstanding: Money = Field(description="Everything the loan still owes on its lines after the payment")


class WaiverStatus(StrEnum):
    CONDITIONAL = "conditional"  # granted with a plan; reinstated if it breaks
    FINAL = "final"  # the plan completed
    REINSTATED = "reinstated"  # the plan broke: owed again


class WaiverReason(StrEnum):
    PLAN = "plan"  # the plan's own waiver (DESIGN.md §4, waiver authority)
    QUOTE_HONOURED = "quote_honoured"  # penalty accrued between the offer's basis date and activation (DESIGN.md §3a)


class WaiverGranted(Event):
    """A waiver as a recorded act in the loan's ledger (DESIGN.md §3a): granted conditionally
    when a plan activates, final when it completes, reinstated when it breaks."""

    event_type: ClassVar[str] = "WaiverGranted"

    loan_id: uuid.UUID
    plan_id: uuid.UUID
    reason: WaiverReason
    status: WaiverStatus
    waived: WaivedAmounts
    business_date: date


class BalanceWrittenOff(Event):
    """A small balance taken off the ledger as a recorded act (DESIGN.md §3a, §4 de-minimis: a
    residual at or under 1.00 in the loan's currency is written off rather than kept overdue)."""

    event_type: ClassVar[str] = "BalanceWrittenOff"

    loan_id: uuid.UUID
    business_date: date
    reason: str = Field(description="de_minimis")
    written_off: OverdueAmounts
