"""What the use cases need: the loan book (adapters/loan_book.py; in memory: adapters/memory.py) and the charge caps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from overdue_detection.domain.episodes import EpisodeState
from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanTerms
from overdue_detection.domain.policy import DUE_SOON_DAYS
from overdue_detection.domain.replay import WriteOff
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


class LedgerParts(NamedTuple):
    """What a loan's ledger is replayed from (domain/replay.py)."""

    installments: tuple[Installment, ...]
    payments: tuple[Payment, ...]
    pauses: tuple[Pause, ...]
    plans: tuple[PlanTerms, ...]
    write_offs: tuple[WriteOff, ...]


class LoanBook(Protocol):
    async def add_many(self, booked: list[tuple[LoanBooked, ChargePolicy]]) -> None: ...
    async def get(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanRow | None: ...
    async def get_many(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]: ...
    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None: ...
    async def lock(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]: ...
    async def ledgers(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerParts]: ...
    async def save_ledgers(
        self, ledgers: dict[uuid.UUID, tuple[tuple[Installment, ...], Decimal]], with_plans: set[uuid.UUID] | None = None
    ) -> None: ...
    async def record_payments(self, payments: list[RepaymentReceived]) -> set[str]: ...
    async def start_pause(self, loan_id: uuid.UUID, start: date) -> None: ...
    async def end_pause(self, loan_id: uuid.UUID, end: date) -> int: ...
    async def last_business_date(self) -> date | None: ...
    async def closed_days_around(self, business_date: date) -> tuple[date | None, date | None]: ...
    async def add_plan(self, loan_id: uuid.UUID, plan: PlanTerms) -> bool: ...
    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None: ...
    async def wait_for_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None: ...
    async def waiting_end(self, plan_id: uuid.UUID) -> str | None: ...
    async def hold_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None: ...
    async def held_activations(self, loan_id: uuid.UUID) -> list[str]: ...
    async def plan_outcome(self, plan_id: uuid.UUID) -> str | None: ...
    async def end_plan(self, plan_id: uuid.UUID, outcome: str, ended_on: date) -> bool: ...
    async def record_act(
        self,
        act_id: uuid.UUID,
        loan_id: uuid.UUID,
        plan_id: uuid.UUID | None,
        kind: str,
        reason: str,
        status: str,
        business_date: date,
        amounts: dict[str, Decimal],
    ) -> None: ...
    async def acts(self, plan_id: uuid.UUID, status: str) -> list[Any]: ...
    async def accrue_penalties(self, business_date: date) -> int: ...
    async def positions(
        self, business_date: date, loan_ids: list[uuid.UUID] | None = None, *, include_under_plan: bool = False
    ) -> list[Any]: ...
    async def save_episodes(self, states: list[tuple[uuid.UUID, EpisodeState]]) -> None: ...
    async def tell_close(self, business_date: date) -> date | None:
        """Record the close told; the first day settled quietly since the one before (runtime clock.tell_close)."""
        ...

    async def due_soon(self, business_date: date, days_before: tuple[int, ...], since: date | None = None) -> list[Any]: ...
    async def open_pause(self, loan_id: uuid.UUID) -> date | None: ...
    async def open_pauses(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]: ...
    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None: ...


@dataclass(frozen=True)
class Overdue:
    """Everything a use case of this service works with."""

    book: LoanBook
    caps: ChargeCaps
    reminder_days: tuple[int, ...] = DUE_SOON_DAYS
