"""Projections, offers and plans in memory: the fake of the PlanStore port for unit tests, with
the semantics of adapters/store.py (the contract suite tests/contract/test_plan_store.py runs
both)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from plan_calculation.application.ports import OfferRecord, ProjectedLoan, StoredOffer
from plan_calculation.domain.activation import LoanStanding
from plan_calculation.domain.statuses import OfferStatus, PlanStatus
from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanActivated, PlanOffered


@dataclass
class Projection:
    """One row of `loan_projections`: the loan as its newest overdue status left it."""

    loan: ProjectedLoan
    overdue: bool = True
    cured_on: date | None = None

    @property
    def business_date(self) -> date:
        return self.loan.position.business_date


@dataclass
class KeptOffer:
    record: OfferRecord
    offer_json: str
    status: str = OfferStatus.OFFERED


@dataclass
class KeptPlan:
    plan_id: uuid.UUID
    offer_id: uuid.UUID
    loan_id: uuid.UUID
    option_id: str
    activated_on: date
    status: str = PlanStatus.ACTIVE
    ended_on: date | None = None


class MemoryPlanStore:
    def __init__(self) -> None:
        self.projections: dict[uuid.UUID, Projection] = {}
        self.offers: dict[uuid.UUID, KeptOffer] = {}
        self.plans: dict[uuid.UUID, KeptPlan] = {}
        self.closures: dict[uuid.UUID, tuple[date, str]] = {}

    async def project(self, snapshot: OverdueSnapshot) -> None:
        kept = self.projections.get(snapshot.loan_id)
        if kept is not None and kept.business_date > snapshot.business_date:
            return  # an older status arriving late
        self.projections[snapshot.loan_id] = Projection(ProjectedLoan.at(snapshot), cured_on=kept.cured_on if kept else None)

    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None:
        kept = self.projections.get(loan_id)
        if kept is None or kept.business_date > business_date:
            return
        position = replace(kept.loan.position, business_date=business_date)
        kept.loan, kept.overdue, kept.cured_on = replace(kept.loan, position=position), False, business_date

    async def projection(self, loan_id: uuid.UUID) -> ProjectedLoan | None:
        kept = self.projections.get(loan_id)
        return kept.loan if kept is not None and kept.overdue else None

    async def add_offer(self, record: OfferRecord, offer_json: str) -> bool:
        if record.offer_id in self.offers:
            return False
        self.offers[record.offer_id] = KeptOffer(record, offer_json)
        return True

    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None:
        kept = self.offers.get(offer_id)
        if kept is None:
            return None
        record = kept.record
        return StoredOffer(
            PlanOffered.model_validate_json(kept.offer_json),
            kept.status,
            record.basis_overdue_total,
            record.evidence_verified,
            record.installments,
            record.basis_arrears,
        )

    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None:
        if offer_id in self.offers:
            self.offers[offer_id].status = status

    async def standing(self, loan_id: uuid.UUID) -> LoanStanding:
        closure, kept = self.closures.get(loan_id), self.projections.get(loan_id)
        active = [plan.plan_id for plan in self.plans.values() if plan.loan_id == loan_id and plan.status == PlanStatus.ACTIVE]
        return LoanStanding(
            loan_id, closure[0] if closure else None, kept.cured_on if kept else None, active[0] if active else None
        )

    async def add_plan(self, plan: PlanActivated) -> bool:
        if plan.plan_id in self.plans:
            return False
        # What the table's constraints refuse: an offer never made, an offer put in force twice,
        # a second plan in force on the loan (plans_one_active_per_loan).
        if plan.offer_id not in self.offers:
            raise ValueError(f"no offer {plan.offer_id}")
        if any(kept.offer_id == plan.offer_id for kept in self.plans.values()):
            raise ValueError(f"offer {plan.offer_id} has a plan already")
        if (await self.standing(plan.loan_id)).active_plan_id is not None:
            raise ValueError(f"loan {plan.loan_id} has a plan in force")
        self.plans[plan.plan_id] = KeptPlan(plan.plan_id, plan.offer_id, plan.loan_id, plan.option_id, plan.activated_on)
        return True

    async def end_plan(self, plan_id: uuid.UUID, status: str, ended_on: date) -> None:
        kept = self.plans.get(plan_id)
        if kept is not None and kept.status == PlanStatus.ACTIVE:
            kept.status, kept.ended_on = status, ended_on

    async def close_loan(self, loan_id: uuid.UUID, closed_on: date, reason: str) -> None:
        self.closures.setdefault(loan_id, (closed_on, reason))
        for kept in self.plans.values():
            if kept.loan_id == loan_id and kept.status == PlanStatus.ACTIVE:
                kept.status, kept.ended_on = PlanStatus.CLOSED, closed_on

    async def expire_offers(self, until: datetime) -> list[OfferRecord]:
        expired = [
            kept for kept in self.offers.values() if kept.status == OfferStatus.OFFERED and kept.record.valid_until < until
        ]
        for kept in expired:
            kept.status = OfferStatus.EXPIRED
        # The Postgres adapter returns what it keeps in columns of its own, not the installments.
        return [replace(kept.record, installments=(), basis_arrears=None) for kept in expired]
