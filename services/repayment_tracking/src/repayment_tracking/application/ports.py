"""What the repayment-tracking use cases need from storage (adapters/plans.py implements it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Protocol

from repayment_tracking.domain.plan_rules import LineRef, Month, PlanBook, Report, Rules
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated


@dataclass(frozen=True)
class ActivePlan:
    plan_id: uuid.UUID
    loan_id: uuid.UUID
    currency: str
    waiver: WaivedAmounts | str  # or its JSON as stored: read only when an event carries it
    activated_on: date
    closed_through: date | None

    @cached_property
    def conditional_waiver(self) -> WaivedAmounts:
        if isinstance(self.waiver, WaivedAmounts):
            return self.waiver
        return WaivedAmounts.model_validate_json(self.waiver)


class Plans(Protocol):
    async def add(self, plan: PlanActivated, months: Sequence[Month]) -> bool: ...
    async def active_for_loans(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ActivePlan]: ...
    async def known(self, plan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]: ...
    async def keep_early(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> None: ...
    async def take_early(self, plan_id: uuid.UUID) -> list[RepaymentApplied]: ...
    async def plans_to_judge(self, business_date: date, rules: Rules, since: date | None = None) -> list[ActivePlan]: ...
    async def tell_close(self, business_date: date) -> date | None:
        """Record the close told; the first day settled quietly since the one before (runtime clock.tell_close)."""
        ...

    async def books(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanBook]: ...
    async def forget_reports(self, payments: Sequence[tuple[uuid.UUID, str]]) -> None: ...
    async def record_payments(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> set[str]: ...
    async def record_reports(self, reports: Mapping[uuid.UUID, Sequence[Report]]) -> None: ...
    async def set_lines(self, books: Mapping[uuid.UUID, PlanBook], touched: Mapping[uuid.UUID, Collection[LineRef]]) -> None: ...
    async def mark_missed(self, missed: Mapping[uuid.UUID, Mapping[int, date]]) -> None: ...
    async def end(self, ended: Mapping[uuid.UUID, date], status: str) -> None: ...
    async def close_for_loan(self, loan_id: uuid.UUID, closed_on: date) -> None: ...
    async def close_all(self, business_date: date) -> None: ...


@dataclass(frozen=True)
class Tracking:
    """Everything a use case of this service works with."""

    plans: Plans
    rules: Rules
