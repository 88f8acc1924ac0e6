"""Projections, offers and plans in Postgres (schema plan_calculation)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from plan_calculation.application.ports import StoredOffer
from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_runtime.database import Connection


class PostgresPlanStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def project(self, snapshot: OverdueSnapshot) -> None:
        """Keep the newest overdue status of the loan (older ones arriving late are ignored)."""
        await self._connection.execute(
            """
            INSERT INTO loan_projections (loan_id, business_date, overdue, snapshot) VALUES ($1, $2, true, $3::jsonb)
            ON CONFLICT (loan_id) DO UPDATE
                SET business_date = excluded.business_date, overdue = true, snapshot = excluded.snapshot
            WHERE loan_projections.business_date <= excluded.business_date
            """,
            snapshot.loan_id,
            snapshot.business_date,
            snapshot.model_dump_json(),
        )

    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None:
        await self._connection.execute(
            "UPDATE loan_projections SET overdue = false, business_date = $2 WHERE loan_id = $1 AND business_date <= $2",
            loan_id,
            business_date,
        )

    async def projection(self, loan_id: uuid.UUID) -> OverdueSnapshot | None:
        row = await self._connection.fetchrow("SELECT snapshot FROM loan_projections WHERE loan_id = $1 AND overdue", loan_id)
        # Read back as the shape LoanBecameOverdue and OverdueStatusChanged share.
        return OverdueSnapshot.model_validate_json(row["snapshot"]) if row else None

    async def add_offer(self, offer: PlanOffered, basis_overdue_total: Decimal, evidence_verified: bool) -> bool:
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO offers (offer_id, application_id, loan_id, basis_business_date, basis_overdue_total,
                                    valid_until, status, offer, evidence_verified)
                VALUES ($1, $2, $3, $4, $5, $6, 'offered', $7::jsonb, $8) ON CONFLICT (offer_id) DO NOTHING RETURNING true
                """,
                offer.offer_id,
                offer.application_id,
                offer.loan_id,
                offer.basis_business_date,
                basis_overdue_total,
                offer.valid_until,
                offer.model_dump_json(),
                evidence_verified,
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

    async def expire_offers(self, until: datetime) -> list[PlanOffered]:
        rows = await self._connection.fetch(
            "UPDATE offers SET status = 'expired' WHERE status = 'offered' AND valid_until < $1 RETURNING offer", until
        )
        return [PlanOffered.model_validate_json(row["offer"]) for row in rows]
