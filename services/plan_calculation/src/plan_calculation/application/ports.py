"""What the plan-calculation use cases need from storage (adapters/store.py implements it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from plan_calculation.domain.menu import LoanPosition
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.policy import ChargeCaps


@dataclass(frozen=True)
class ProjectedLoan:
    """An overdue loan as its last status left it."""

    loan_id: uuid.UUID
    position: LoanPosition
    jurisdiction: Jurisdiction


@dataclass(frozen=True)
class OfferRecord:
    """What is kept of an offer beside its JSON."""

    offer_id: uuid.UUID
    application_id: uuid.UUID
    loan_id: uuid.UUID
    basis_business_date: date
    basis_overdue_total: Decimal
    valid_until: datetime
    evidence_verified: bool


@dataclass(frozen=True)
class StoredOffer:
    offer: PlanOffered
    status: str
    basis_overdue_total: Decimal
    evidence_verified: bool


class PlanStore(Protocol):
    async def project(self, snapshot: OverdueSnapshot) -> None: ...
    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None: ...
    async def projection(self, loan_id: uuid.UUID) -> ProjectedLoan | None: ...
    async def add_offer(self, record: OfferRecord, offer_json: str) -> bool: ...
    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None: ...
    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None: ...
    async def add_plan(self, plan: PlanActivated) -> bool: ...
    async def expire_offers(self, until: datetime) -> list[OfferRecord]: ...


@dataclass(frozen=True)
class Plans:
    """Everything a use case of this service works with."""

    store: PlanStore
    caps: ChargeCaps
