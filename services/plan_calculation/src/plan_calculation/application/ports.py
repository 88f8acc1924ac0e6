"""What the plan-calculation use cases need from storage (adapters/store.py implements it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanActivated, PlanOffered


@dataclass(frozen=True)
class StoredOffer:
    offer: PlanOffered
    status: str
    basis_overdue_total: Decimal
    evidence_verified: bool


class PlanStore(Protocol):
    async def project(self, snapshot: OverdueSnapshot) -> None: ...
    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None: ...
    async def projection(self, loan_id: uuid.UUID) -> OverdueSnapshot | None: ...
    async def add_offer(self, offer: PlanOffered, basis_overdue_total: Decimal, evidence_verified: bool) -> bool: ...
    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None: ...
    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None: ...
    async def add_plan(self, plan: PlanActivated) -> bool: ...
    async def expire_offers(self, until: datetime) -> list[PlanOffered]: ...
