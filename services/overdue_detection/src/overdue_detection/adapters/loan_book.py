"""The loan book in Postgres (schema overdue_detection)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from overdue_detection.domain.allocation import Allocation, InstallmentBalance
from overdue_detection.domain.loan import LoanRow
from tideover_contracts.common import ContactRef, ScheduledInstallment
from tideover_contracts.events.loans import AllocationOrder, LoanBooked, RepaymentReceived
from tideover_contracts.money import Money
from tideover_runtime.database import Connection


def _loan(row: asyncpg.Record) -> LoanRow:
    return LoanRow(
        loan_id=row["loan_id"],
        currency=row["currency"],
        status=row["status"],
        under_plan=row["under_plan"],
        allocation_order=AllocationOrder(row["allocation_order"]),
        contract_rate=row["contract_rate"],
        overdue_rate=row["overdue_rate"],
        contact=ContactRef.model_validate_json(row["contact"]),
        episode=row["episode"],
        overdue_since=row["overdue_since"],
        bucket=row["bucket"],
        credit=row["credit"],
    )


class LoanBook:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, loan: LoanBooked) -> bool:
        """Record a booked loan; False if it was already booked."""
        contact = ContactRef(
            borrower_id=loan.borrower.borrower_id,
            locale=loan.borrower.locale,
            time_zone=loan.borrower.time_zone,
            jurisdiction=loan.borrower.jurisdiction,
        )
        inserted = await self._connection.fetchval(
            """
            INSERT INTO loans (loan_id, borrower_id, currency, principal, contract_rate, overdue_rate,
                               allocation_order, contact, booked_on)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
            ON CONFLICT (loan_id) DO NOTHING RETURNING true
            """,
            loan.loan_id,
            loan.borrower.borrower_id,
            loan.principal.currency,
            loan.principal.amount,
            loan.contract_rate,
            loan.overdue_rate,
            loan.allocation_order.value,
            contact.model_dump_json(),
            loan.booked_on,
        )
        if not inserted:
            return False
        await self._connection.executemany(
            "INSERT INTO installments (loan_id, sequence, due_date, principal, interest, fee) VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (loan.loan_id, i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount)
                for i in loan.installments
            ],
        )
        return True

    async def get(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanRow | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(f"SELECT * FROM loans WHERE loan_id = $1{lock}", loan_id)
        return _loan(row) if row else None

    async def unpaid_balances(self, loan_id: uuid.UUID) -> list[InstallmentBalance]:
        rows = await self._connection.fetch(
            """
            SELECT sequence, principal - paid_principal AS principal, interest - paid_interest AS interest, fee - paid_fee AS fee
            FROM installments WHERE loan_id = $1
              AND paid_principal + paid_interest + paid_fee < principal + interest + fee
            ORDER BY sequence
            """,
            loan_id,
        )
        return [InstallmentBalance(r["sequence"], r["principal"], r["interest"], r["fee"]) for r in rows]

    async def record_payment(self, payment: RepaymentReceived) -> bool:
        """False if this payment id was applied before (a payment is applied once)."""
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO repayments (payment_id, loan_id, amount, value_date, received_at)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_id) DO NOTHING RETURNING true
                """,
                payment.payment_id,
                payment.loan_id,
                payment.amount.amount,
                payment.value_date,
                payment.received_at,
            )
        )

    async def apply(self, loan_id: uuid.UUID, payment_id: str, allocations: list[Allocation], to_credit: Decimal) -> None:
        await self._connection.executemany(
            """
            UPDATE installments SET paid_principal = paid_principal + $3, paid_interest = paid_interest + $4,
                                    paid_fee = paid_fee + $5
            WHERE loan_id = $1 AND sequence = $2
            """,
            [(loan_id, a.sequence, a.principal, a.interest, a.fee) for a in allocations],
        )
        if to_credit > 0:
            await self._connection.execute("UPDATE loans SET credit = credit + $2 WHERE loan_id = $1", loan_id, to_credit)
            await self._connection.execute("UPDATE repayments SET to_credit = $2 WHERE payment_id = $1", payment_id, to_credit)

    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(fields, start=2))
        await self._connection.execute(f"UPDATE loans SET {assignments} WHERE loan_id = $1", loan_id, *fields.values())

    async def remaining_schedule(self, loan_id: uuid.UUID, currency: str) -> list[tuple[ScheduledInstallment, Money]]:
        rows = await self._connection.fetch(
            """
            SELECT sequence, due_date, principal, interest, fee,
                   principal + interest + fee - paid_principal - paid_interest - paid_fee AS outstanding
            FROM installments WHERE loan_id = $1
              AND paid_principal + paid_interest + paid_fee < principal + interest + fee
            ORDER BY sequence
            """,
            loan_id,
        )
        return [
            (
                ScheduledInstallment(
                    sequence=r["sequence"],
                    due_date=r["due_date"],
                    principal=Money.of(r["principal"], currency),
                    interest=Money.of(r["interest"], currency),
                    fee=Money.of(r["fee"], currency),
                ),
                Money.of(r["outstanding"], currency),
            )
            for r in rows
        ]

    async def last_business_date(self) -> date | None:
        value: date | None = await self._connection.fetchval("SELECT max(business_date) FROM business_calendar")
        return value

    async def overdue_positions(self, business_date: date, loan_ids: list[uuid.UUID] | None = None) -> list[asyncpg.Record]:
        """Per active loan not under a plan: its overdue components as of `business_date`,
        together with its current episode state — one set-based query, no loop over loans."""
        return await self._connection.fetch(
            """
            SELECT l.loan_id, l.episode, l.overdue_since, l.bucket,
                   o.oldest_due, o.principal, o.interest, o.fee
            FROM loans l
            LEFT JOIN LATERAL (
                SELECT min(i.due_date) AS oldest_due,
                       sum(i.principal - i.paid_principal) AS principal,
                       sum(i.interest - i.paid_interest) AS interest,
                       sum(i.fee - i.paid_fee) AS fee
                FROM installments i
                WHERE i.loan_id = l.loan_id AND i.due_date < $1
                  AND i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
            ) o ON true
            WHERE l.status = 'active' AND NOT l.under_plan
              AND (o.oldest_due IS NOT NULL OR l.overdue_since IS NOT NULL)
              AND ($2::uuid[] IS NULL OR l.loan_id = ANY($2::uuid[]))
            """,
            business_date,
            loan_ids,
        )

    async def due_soon(self, business_date: date, days_before: list[int]) -> list[asyncpg.Record]:
        return await self._connection.fetch(
            """
            SELECT i.loan_id, i.sequence, i.due_date, (i.due_date - $1) AS days_before,
                   i.principal + i.interest + i.fee - i.paid_principal - i.paid_interest - i.paid_fee AS amount_due,
                   l.currency, l.contact
            FROM installments i JOIN loans l USING (loan_id)
            WHERE l.status = 'active' AND NOT l.under_plan
              AND i.due_date = ANY(SELECT $1::date + d FROM unnest($2::int[]) AS d)
              AND i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
            """,
            business_date,
            days_before,
        )
