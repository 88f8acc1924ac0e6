"""What the repayment-tracking use cases need from storage (adapters/plans.py implements it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from repayment_tracking.domain.plan_rules import PlanInstallment
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated


@dataclass(frozen=True)
class ActivePlan:
    plan_id: uuid.UUID
    loan_id: uuid.UUID
    currency: str
    conditional_waiver: WaivedAmounts


class Plans(Protocol):
    async def add(self, plan: PlanActivated) -> bool: ...
    async def active_for_loan(self, loan_id: uuid.UUID) -> ActivePlan | None: ...
    async def active_plans(self) -> list[ActivePlan]: ...
    async def installments(self, plan_id: uuid.UUID) -> list[PlanInstallment]: ...
    async def record_payment(self, plan_id: uuid.UUID, payment: RepaymentReceived) -> bool: ...
    async def pay(self, plan_id: uuid.UUID, sequence: int, amount: Decimal) -> None: ...
    async def add_credit(self, plan_id: uuid.UUID, amount: Decimal) -> None: ...
    async def mark_missed(self, plan_id: uuid.UUID, sequence: int) -> None: ...
    async def set_status(self, plan_id: uuid.UUID, status: str) -> None: ...
