"""Projections, offers and plans in Postgres (schema plan_calculation)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from plan_calculation.application.ports import OfferRecord, ProjectedLoan, StoredOffer, still_to_fall_due
from plan_calculation.domain.activation import LoanStanding, OwedInstallment
from plan_calculation.domain.position import LoanPosition
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
        remaining = snapshot.remaining_schedule
        future = list(still_to_fall_due(remaining, snapshot.business_date))
        await self._connection.execute(
            """
            INSERT INTO loan_projections (loan_id, business_date, overdue, currency, overdue_principal, overdue_interest,
                                          overdue_fee, overdue_penalty, outstanding_principal, contract_rate,
                                          future_installments, jurisdiction, installment_sequences,
                                          installment_due_dates, installment_owed)
            VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (loan_id) DO UPDATE
                SET business_date = excluded.business_date, overdue = true, currency = excluded.currency,
                    overdue_principal = excluded.overdue_principal, overdue_interest = excluded.overdue_interest,
                    overdue_fee = excluded.overdue_fee, overdue_penalty = excluded.overdue_penalty,
                    outstanding_principal = excluded.outstanding_principal, contract_rate = excluded.contract_rate,
                    future_installments = excluded.future_installments, jurisdiction = excluded.jurisdiction,
                    installment_sequences = excluded.installment_sequences,
                    installment_due_dates = excluded.installment_due_dates, installment_owed = excluded.installment_owed
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
            [item.installment.sequence for item in remaining],
            [item.installment.due_date for item in remaining],
            [item.outstanding.amount for item in remaining],
        )

    async def mark_cured(self, loan_id: uuid.UUID, business_date: date) -> None:
        await self._connection.execute(
            """
            UPDATE loan_projections SET overdue = false, business_date = $2, cured_on = $2
            WHERE loan_id = $1 AND business_date <= $2
            """,
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
                                    valid_until, status, offer, evidence_verified, installment_sequences,
                                    installment_due_dates, installment_owed, basis_arrears)
                VALUES ($1, $2, $3, $4, $5, $6, 'offered', $7, $8, $9, $10, $11, $12)
                ON CONFLICT (offer_id) DO NOTHING RETURNING true
                """,
                record.offer_id,
                record.application_id,
                record.loan_id,
                record.basis_business_date,
                record.basis_overdue_total,
                record.valid_until,
                offer_json,
                record.evidence_verified,
                *_installment_columns(record.installments),
                record.basis_arrears,
            )
        )

    async def offer(self, offer_id: uuid.UUID, *, for_update: bool = False) -> StoredOffer | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"""
            SELECT offer, status, basis_overdue_total, evidence_verified, installment_sequences, installment_due_dates,
                   installment_owed, basis_arrears
            FROM offers WHERE offer_id = $1{lock}
            """,
            offer_id,
        )
        if row is None:
            return None
        return StoredOffer(
            PlanOffered.model_validate_json(row["offer"]),
            row["status"],
            row["basis_overdue_total"],
            row["evidence_verified"],
            _installments(row),
            row["basis_arrears"],
        )

    async def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None:
        await self._connection.execute("UPDATE offers SET status = $2 WHERE offer_id = $1", offer_id, status)

    async def standing(self, loan_id: uuid.UUID) -> LoanStanding:
        # Acceptances of two offers on one loan wait for each other here (one plan at a time,
        # DESIGN.md §3a): the second sees the first's plan once it is committed.
        await self._connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('plan-calculation loan ' || $1::uuid::text, 0))", loan_id
        )
        row = await self._connection.fetchrow(
            """
            SELECT (SELECT closed_on FROM loan_closures WHERE loan_id = $1) AS closed_on,
                   (SELECT cured_on FROM loan_projections WHERE loan_id = $1) AS cured_on,
                   (SELECT plan_id FROM plans WHERE loan_id = $1 AND status = 'active') AS active_plan_id
            """,
            loan_id,
        )
        assert row is not None
        return LoanStanding(loan_id, row["closed_on"], row["cured_on"], row["active_plan_id"])

    async def add_plan(self, plan: PlanActivated) -> bool:
        # Only the same plan again is skipped: a second active plan on the loan is an error here
        # (plans_one_active_per_loan), never silently dropped; the use case refuses it before.
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO plans (plan_id, offer_id, loan_id, option_id, activated_on, status)
                VALUES ($1, $2, $3, $4, $5, 'active')
                ON CONFLICT (plan_id) DO NOTHING RETURNING true
                """,
                plan.plan_id,
                plan.offer_id,
                plan.loan_id,
                plan.option_id,
                plan.activated_on,
            )
        )

    async def end_plan(self, plan_id: uuid.UUID, status: str, ended_on: date) -> None:
        """The plan broke or completed; the first end recorded stands."""
        await self._connection.execute(
            "UPDATE plans SET status = $2, ended_on = $3 WHERE plan_id = $1 AND status = 'active'", plan_id, status, ended_on
        )

    async def close_loan(self, loan_id: uuid.UUID, closed_on: date, reason: str) -> None:
        """The loan left the book: no plan for it any more, and the one in force (if any) ends."""
        await self._connection.execute(
            "INSERT INTO loan_closures (loan_id, closed_on, reason) VALUES ($1, $2, $3) ON CONFLICT (loan_id) DO NOTHING",
            loan_id,
            closed_on,
            reason,
        )
        await self._connection.execute(
            "UPDATE plans SET status = 'closed', ended_on = $2 WHERE loan_id = $1 AND status = 'active'", loan_id, closed_on
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
        installments=_installments(row),
    )


def _installments(row: Any) -> tuple[OwedInstallment, ...]:
    return tuple(
        OwedInstallment(sequence, due_date, owed)
        for sequence, due_date, owed in zip(
            row["installment_sequences"], row["installment_due_dates"], row["installment_owed"], strict=True
        )
    )


def _installment_columns(installments: tuple[OwedInstallment, ...]) -> tuple[list[int], list[date], list[Decimal]]:
    return (
        [item.sequence for item in installments],
        [item.due_date for item in installments],
        [item.owed for item in installments],
    )
