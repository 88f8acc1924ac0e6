"""What the use cases need: the loan book (adapters/loan_book.py) and the charge caps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.policy import DUE_SOON_DAYS
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.policy import ChargeCaps


@dataclass(frozen=True)
class StatusEvent:
    """One decided event: what the contract needs beyond what the ledger tables hold."""

    event_id: uuid.UUID
    event_type: str  # LoanBecameOverdue | OverdueStatusChanged | LoanCured
    loan_id: uuid.UUID
    episode: int
    days_past_due: int
    bucket: str
    oldest_due: date | None
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    reasons: list[str]
    previous_bucket: str
    cure_reason: str
    correlation_id: str  # of the event that caused this one
    causation_id: uuid.UUID


@dataclass(frozen=True)
class EnvelopeFacts:
    producer: str
    occurred_at: datetime


#: What a loan's ledger is replayed from: its installments, its payments, its plan pauses.
LedgerParts = tuple[tuple[Installment, ...], tuple[Payment, ...], tuple[Pause, ...]]


class LoanBook(Protocol):
    async def add_many(self, booked: list[tuple[LoanBooked, ChargePolicy]]) -> None: ...
    async def get(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanRow | None: ...
    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None: ...
    async def lock(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]: ...
    async def ledgers(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerParts]: ...
    async def save_ledgers(self, ledgers: dict[uuid.UUID, tuple[tuple[Installment, ...], Decimal]]) -> None: ...
    async def record_payments(self, payments: list[RepaymentReceived]) -> set[str]: ...
    async def start_pause(self, loan_id: uuid.UUID, start: date) -> None: ...
    async def end_pause(self, loan_id: uuid.UUID, end: date) -> int: ...
    async def last_business_date(self) -> date | None: ...
    async def closed_days_around(self, business_date: date) -> tuple[date | None, date | None]: ...
    async def settle_installments(self, loan_id: uuid.UUID, through: date) -> None: ...
    async def accrue_penalties(self, business_date: date) -> int: ...
    async def positions(
        self, business_date: date, loan_ids: list[uuid.UUID] | None = None, *, include_under_plan: bool = False
    ) -> list[Any]: ...
    async def save_episodes(self, states: list[tuple[uuid.UUID, int, date | None, str, date | None, int]]) -> None: ...
    async def due_soon(self, business_date: date, days_before: tuple[int, ...]) -> list[Any]: ...
    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None: ...


@dataclass(frozen=True)
class Overdue:
    """Everything a use case of this service works with."""

    book: LoanBook
    caps: ChargeCaps
    reminder_days: tuple[int, ...] = DUE_SOON_DAYS
