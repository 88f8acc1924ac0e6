"""Projections, offers and plans in Postgres (schema plan_calculation)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from plan_calculation.application.ports import OfferRecord, ProjectedLoan, StoredOffer
from plan_calculation.domain.menu import LoanPosition
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_runtime.database import Connection


class PostgresPlanStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def project(self, snapshot: OverdueSnapshot) -> None:
        """Keep the newest overdue position of the loan (older ones arriving late are ignored)."""
        overdue = snapshot.overdue
        future = [
            item.outstanding.amount for item in snapshot.remaining_schedule if item.installment.due_date > snapshot.business_date
        ]
        await self._connection.execute(
            """
            INSERT INTO loan_projections (loan_id, business_date, overdue, currency, overdue_principal, overdue_interest,
                                          overdue_fee, overdue_penalty, outstanding_principal, contract_rate,
                                          future_installments, jurisdiction)
            VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (loan_id) DO UPDATE
                SET business_date = excluded.business_date, overdue = true, currency = excluded.currency,
                    overdue_principal = excluded.overdue_principal, overdue_interest = excluded.overdue_interest,
                    overdue_fee = excluded.overdue_fee, overdue_penalty = excluded.overdue_penalty,
                    outstanding_principal = excluded.outstanding_principal, contract_rate = excluded.contract_rate,
                    future_installments = excluded.future_installments, jurisdiction = excluded.jurisdiction
            WHERE loan_projections.business_date <= excluded.business_date
            """,
            snapshot.loan_id,
            snapshot.business_date,
            overdue.total.currency,
            overdue.principal.amount,
            overdue.interest.amount,
            overdue.fee.amount,
            overdue.penalty.amount,
            snapshot.outstanding_principal.amount,
            snapshot.contract_rate,
            future,
            snapshot.contact.jurisdiction.value,
        )

    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None:
        await self._connection.execute(
            "UPDATE loan_projections SET overdue = false, business_date = $2 WHERE loan_id = $1 AND business_date <= $2",
            loan_id,
            business_date,
        )

    async def projection(self, loan_id: uuid.UUID) -> ProjectedLoan | None:
        row = await self._connection.fetchrow("SELECT * FROM loan_projections WHERE loan_id = $1 AND overdue", loan_id)
        return _projected(row) if row else None

    async def add_offer(self, record: OfferRecord, offer_json: str) -> bool:
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO offers (offer_id, application_id, loan_id, basis_business_date, basis_overdue_total,
                                    valid_until, status, offer, evidence_verified)
                VALUES ($1, $2, $3, $4, $5, $6, 'offered', $7, $8) ON CONFLICT (offer_id) DO NOTHING RETURNING true
                """,
                record.offer_id,
                record.application_id,
                record.loan_id,
                record.basis_business_date,
                record.basis_overdue_total,
                record.valid_until,
                offer_json,
                record.evidence_verified,
            )
        )

    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"SELECT offer, status, basis_overdue_total, evidence_verified FROM offers WHERE offer_id = $1{lock}", offer_id
        )
        if row is None:
            return None
        return StoredOffer(
            PlanOffered.model_validate_json(row["offer"]), row["status"], row["basis_overdue_total"], row["evidence_verified"]
        )

    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None:
        await self._connection.execute("UPDATE offers SET status = $2 WHERE offer_id = $1", offer_id, status)

    async def add_plan(self, plan: PlanActivated) -> bool:
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO plans (plan_id, offer_id, loan_id, option_id, activated_on) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT DO NOTHING RETURNING true
                """,
                plan.plan_id,
                plan.offer_id,
                plan.loan_id,
                plan.option_id,
                plan.activated_on,
            )
        )

    async def expire_offers(self, until: datetime) -> list[OfferRecord]:
        rows = await self._connection.fetch(
            """
            UPDATE offers SET status = 'expired' WHERE status = 'offered' AND valid_until < $1
            RETURNING offer_id, application_id, loan_id, basis_business_date, basis_overdue_total, valid_until,
                      evidence_verified
            """,
            until,
        )
        return [OfferRecord(**row) for row in rows]


def _projected(row: Any) -> ProjectedLoan:
    return ProjectedLoan(
        loan_id=row["loan_id"],
        position=LoanPosition(
            currency=row["currency"],
            business_date=row["business_date"],
            principal=row["overdue_principal"],
            interest=row["overdue_interest"],
            fee=row["overdue_fee"],
            penalty=row["overdue_penalty"],
            outstanding_principal=row["outstanding_principal"],
            contract_rate=row["contract_rate"],
            future_installments=tuple(row["future_installments"]),
        ),
        jurisdiction=Jurisdiction(row["jurisdiction"]),
    )
