"""What the plan-calculation use cases need from storage (adapters/store.py implements it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from plan_calculation.domain.activation import LoanStanding, OwedInstallment
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.overdue import LedgerPosition, OverdueSnapshot, RemainingInstallment
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.policy import ChargeCaps


@dataclass(frozen=True)
class ProjectedLoan:
    """A loan as its last overdue status left it, or as the ledger's position a hardship request
    carries has it (`at`)."""

    loan_id: uuid.UUID
    position: LoanPosition
    jurisdiction: Jurisdiction
    #: Every installment with something still owed on it, at the position's business date.
    installments: tuple[OwedInstallment, ...] = ()

    @classmethod
    def at(cls, basis: LedgerPosition | OverdueSnapshot) -> ProjectedLoan:
        """The loan as `basis` has it: the ledger's position, or an overdue status (the projection)."""
        overdue = basis.overdue
        return cls(
            loan_id=basis.loan_id,
            position=LoanPosition(
                currency=overdue.total.currency,
                business_date=basis.business_date,
                principal=overdue.principal.amount,
                interest=overdue.interest.amount,
                fee=overdue.fee.amount,
                penalty=overdue.penalty.amount,
                outstanding_principal=basis.outstanding_principal.amount,
                contract_rate=basis.contract_rate,
                future_installments=still_to_fall_due(basis.remaining_schedule, basis.business_date),
            ),
            jurisdiction=basis.contact.jurisdiction,
            installments=tuple(
                OwedInstallment(item.installment.sequence, item.installment.due_date, item.outstanding.amount)
                for item in basis.remaining_schedule
            ),
        )


def still_to_fall_due(remaining: tuple[RemainingInstallment, ...], business_date: date) -> tuple[Decimal, ...]:
    """What is owed on the installments not yet overdue at `business_date` (due on it or later)."""
    return tuple(item.outstanding.amount for item in remaining if item.installment.due_date >= business_date)


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
    #: The loan's installments at the basis date: what an accepted plan takes over of them.
    installments: tuple[OwedInstallment, ...] = ()
    #: The arrears quoted: overdue principal, interest and fees at the basis date (no penalty).
    basis_arrears: Decimal | None = None


@dataclass(frozen=True)
class StoredOffer:
    offer: PlanOffered
    status: str
    basis_overdue_total: Decimal
    evidence_verified: bool
    installments: tuple[OwedInstallment, ...] = ()
    basis_arrears: Decimal | None = None  # offers made before it was kept: None


class PlanStore(Protocol):
    async def project(self, snapshot: OverdueSnapshot) -> None: ...
    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None: ...
    async def projection(self, loan_id: uuid.UUID) -> ProjectedLoan | None: ...
    async def add_offer(self, record: OfferRecord, offer_json: str) -> bool: ...
    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None: ...
    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None: ...
    async def standing(self, loan_id: uuid.UUID) -> LoanStanding:
        """Closure, latest cure and plan in force, with the loan locked against a concurrent activation."""
        ...

    async def add_plan(self, plan: PlanActivated) -> bool: ...
    async def end_plan(self, plan_id: uuid.UUID, status: str, ended_on: date) -> None: ...
    async def close_loan(self, loan_id: uuid.UUID, closed_on: date, reason: str) -> None: ...
    async def expire_offers(self, until: datetime) -> list[OfferRecord]: ...


@dataclass(frozen=True)
class Plans:
    """Everything a use case of this service works with."""

    store: PlanStore
    caps: ChargeCaps
