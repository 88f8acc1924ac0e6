"""The entities intake keeps: a hardship application, an evidence document (without its
content), and intake's view of a loan (its last overdue status and plan)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from negotiation_intake.domain.application_state import State


@dataclass(frozen=True)
class Application:
    application_id: uuid.UUID
    loan_id: uuid.UUID
    borrower_id: str
    state: State
    reason: str
    description: str
    monthly_income: Decimal
    essential_expenses: Decimal
    currency: str
    requested_options: tuple[str, ...]
    agent_id: str
    created_at: datetime
    updated_at: datetime
    version: int
    offer_id: uuid.UUID | None
    option_id: str | None
    code_hash: str | None
    code_expires_at: datetime | None
    code_tries: int
    rejection: dict[str, Any] | None
    needs_supervisor: bool = False
    approved_by: str | None = None
    approval_note: str | None = None
    #: Who chose the option (the approver must be another person: four eyes).
    chosen_by: str | None = None
    #: The business day the written plan was last sent, and how many times it was sent that day.
    sends_on: date | None = None
    sends_that_day: int = 0


@dataclass(frozen=True)
class Document:
    """An evidence document, without its content."""

    document_id: uuid.UUID
    application_id: uuid.UUID
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    status: str
    review_note: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class LoanView:
    loan_id: uuid.UUID
    borrower_id: str
    overdue: bool
    snapshot: dict[str, Any]
    plan_id: uuid.UUID | None
    plan_status: str | None
