"""What the repayment-tracking use cases need from storage (adapters/plans.py implements it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from repayment_tracking.domain.plan_rules import Due, Payment, Rules
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated


@dataclass(frozen=True)
class ActivePlan:
    plan_id: uuid.UUID
    loan_id: uuid.UUID
    currency: str
    conditional_waiver: WaivedAmounts
    activated_on: date
    closed_through: date | None


@dataclass(frozen=True)
class PlanBook:
    """A plan's installments, what is missed, and the payments made to it."""

    dues: tuple[Due, ...]
    missed: frozenset[int]
    payments: tuple[Payment, ...]


class Plans(Protocol):
    async def add(self, plan: PlanActivated) -> bool: ...
    async def active_for_loans(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ActivePlan]: ...
    async def plans_to_judge(self, business_date: date, rules: Rules) -> list[ActivePlan]: ...
    async def book(self, plan_id: uuid.UUID) -> PlanBook: ...
    async def books(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanBook]: ...
    async def record_payments(self, payments: list[tuple[uuid.UUID, RepaymentReceived]]) -> set[str]: ...
    async def set_paid(self, paid: dict[uuid.UUID, tuple[dict[int, Decimal], Decimal]]) -> None: ...
    async def mark_missed(self, missed: dict[uuid.UUID, dict[int, date]]) -> None: ...
    async def end(self, ended: dict[uuid.UUID, date], status: str) -> None: ...
    async def close_all(self, business_date: date) -> None: ...


@dataclass(frozen=True)
class Tracking:
    """Everything a use case of this service works with."""

    plans: Plans
    rules: Rules
