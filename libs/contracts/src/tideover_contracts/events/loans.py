"""`loans.lifecycle.v1`: what upstream loan systems tell us."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from tideover_contracts.common import (
    BorrowerContact,
    Channel,
    Language,
    Locale,
    PhoneNumber,
    ScheduledInstallment,
    TimeZone,
    language_field,
)
from tideover_contracts.envelope import Event
from tideover_contracts.money import Money, Rate


class AllocationOrder(StrEnum):
    """How a repayment is split over an installment's components (DESIGN.md §3 step 2)."""

    PENALTY_FEE_INTEREST_PRINCIPAL = "penalty_fee_interest_principal"
    PRINCIPAL_INTEREST_FEE_PENALTY = "principal_interest_fee_penalty"


class LoanBooked(Event):
    """A loan was disbursed: who owes what, when, at which rates, under which rules."""

    event_type: ClassVar[str] = "LoanBooked"

    loan_id: uuid.UUID
    product_code: str = Field(min_length=1)
    borrower: BorrowerContact
    principal: Money
    contract_rate: Rate = Field(description="Contract interest, fraction per year")
    overdue_rate: Rate = Field(description="Penalty interest on overdue amounts, fraction per year")
    day_count: Literal["ACT/365", "ACT/360"] = "ACT/365"
    allocation_order: AllocationOrder = AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL
    booked_on: date
    installments: tuple[ScheduledInstallment, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _schedule_is_consistent(self) -> Self:
        currency = self.principal.currency
        for installment in self.installments:
            for part in (installment.principal, installment.interest, installment.fee):
                if part.currency != currency:
                    raise ValueError(f"installment {installment.sequence} is in {part.currency}, the loan in {currency}")
        sequences = [installment.sequence for installment in self.installments]
        if sequences != list(range(1, len(sequences) + 1)):
            raise ValueError("installment sequences must run 1, 2, 3, ... in order")
        dates = [installment.due_date for installment in self.installments]
        if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
            raise ValueError("installment due dates must be strictly ascending")
        if dates[0] <= self.booked_on:
            raise ValueError("the first installment must fall due after the booking date")
        scheduled = sum((i.principal.amount for i in self.installments), start=Decimal(0))
        if scheduled != self.principal.amount:
            raise ValueError(f"installment principal adds up to {scheduled}, not the loan principal {self.principal.amount}")
        if any(i.principal.is_negative or i.interest.is_negative or i.fee.is_negative for i in self.installments):
            raise ValueError("installment amounts must not be negative")
        return self


class RepaymentReceived(Event):
    """Money arrived for a loan. `payment_id` is unique: the same payment is applied once."""

    event_type: ClassVar[str] = "RepaymentReceived"

    loan_id: uuid.UUID
    payment_id: str = Field(min_length=1, max_length=128)
    amount: Money
    received_at: AwareDatetime
    value_date: date = Field(description="The date the payment counts from (may precede received_at)")

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.amount.amount <= 0:
            raise ValueError("a repayment amount must be positive")
        return self


class BorrowerContactChanged(Event):
    """New contact data or contact preferences; omitted fields are unchanged."""

    event_type: ClassVar[str] = "BorrowerContactChanged"

    loan_id: uuid.UUID
    borrower_id: str
    phone: PhoneNumber | None = None
    email: str | None = None
    push_token: str | None = None
    locale: Locale | None = None
    language: Language | None = language_field(
        "Absent: unchanged, also when `locale` changes (state both to change both); never stated: the locale's own "
        "(zh-CN → zh-Hans, en → en), as `Language.of(locale, language)` decides."
    )
    time_zone: TimeZone | None = None
    preferred_channels: tuple[Channel, ...] | None = None
    opted_out_channels: tuple[Channel, ...] = ()
    do_not_contact: bool = False
    changed_at: AwareDatetime


class LoanClosureReason(StrEnum):
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "written_off"
    REFINANCED = "refinanced"
    SOLD = "sold"


class LoanClosed(Event):
    """The loan left the book; nothing more is collected for it. The borrower of a sold loan is
    told of the assignment (and to whom, when `assignee` says)."""

    event_type: ClassVar[str] = "LoanClosed"

    loan_id: uuid.UUID
    closed_on: date
    reason: LoanClosureReason
    assignee: str | None = Field(
        default=None,
        max_length=200,
        description="A sold loan's buyer as the borrower should be told: name, and how to reach them",
    )
