"""The loan book in Postgres (schema overdue_detection).

The business-day close is set-based: one UPDATE accrues penalty on every overdue installment
and one query reads every loan whose position may have changed; no loop over loans.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.adapters.status_outbox import stage_status_events
from overdue_detection.application.ports import EnvelopeFacts, StatusEvent
from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.loan import LoanRow
from tideover_contracts.common import ContactRef, ScheduledInstallment
from tideover_contracts.events.loans import AllocationOrder, LoanBooked, RepaymentReceived
from tideover_contracts.money import Money
from tideover_runtime.database import Connection

# Owed on an installment, penalty included: principal, interest and fee unpaid, plus the
# penalty charged (basis / day count, rounded half-up to the cent) not yet paid.
_OWED = """(i.principal + i.interest + i.fee - i.paid_principal - i.paid_interest - i.paid_fee
            + round(i.penalty_basis / l.day_count, 2) - i.paid_penalty)"""


def _loan(row: Any) -> LoanRow:
    return LoanRow(
        loan_id=row["loan_id"],
        currency=row["currency"],
        status=row["status"],
        under_plan=row["under_plan"],
        allocation_order=AllocationOrder(row["allocation_order"]),
        policy=ChargePolicy(row["contract_rate"], row["overdue_rate"], row["cap_rate"], row["day_count"]),
        contact=ContactRef.model_validate_json(row["contact"]),
        episode=row["episode"],
        overdue_since=row["overdue_since"],
        bucket=row["bucket"],
        credit=row["credit"],
        paused_days=row["paused_days"],
    )


class LoanBook:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, loan: LoanBooked, policy: ChargePolicy) -> bool:
        """Record a booked loan; False if it was already booked."""
        borrower = loan.borrower
        contact = ContactRef(
            borrower_id=borrower.borrower_id,
            locale=borrower.locale,
            time_zone=borrower.time_zone,
            jurisdiction=borrower.jurisdiction,
        )
        inserted = await self._connection.fetchval(
            """
            INSERT INTO loans (loan_id, borrower_id, currency, principal, contract_rate, overdue_rate, allocation_order,
                               contact, booked_on, jurisdiction, cap_rate, penalty_rate, cap_binds, day_count)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (loan_id) DO NOTHING RETURNING true
            """,
            loan.loan_id, borrower.borrower_id, loan.principal.currency, loan.principal.amount, loan.contract_rate,
            loan.overdue_rate, loan.allocation_order.value, contact.model_dump_json(), loan.booked_on,
            borrower.jurisdiction.value, policy.cap_rate, policy.penalty_rate, policy.cap_binds, policy.day_count,
        )  # fmt: skip
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

    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(fields, start=2))
        await self._connection.execute(f"UPDATE loans SET {assignments} WHERE loan_id = $1", loan_id, *fields.values())

    # --- the per-loan ledger -------------------------------------------------------------

    async def installments(self, loan_id: uuid.UUID) -> tuple[Installment, ...]:
        rows = await self._connection.fetch("SELECT * FROM installments WHERE loan_id = $1 ORDER BY sequence", loan_id)
        return tuple(
            Installment(
                sequence=r["sequence"], due_date=r["due_date"], principal=r["principal"], interest=r["interest"], fee=r["fee"],
                paid_principal=r["paid_principal"], paid_interest=r["paid_interest"], paid_fee=r["paid_fee"],
                paid_penalty=r["paid_penalty"], penalty_basis=r["penalty_basis"], accrued_through=r["accrued_through"],
                settled=r["settled"],
            )
            for r in rows
        )  # fmt: skip

    async def payments(self, loan_id: uuid.UUID) -> tuple[Payment, ...]:
        rows = await self._connection.fetch("SELECT payment_id, amount, value_date FROM repayments WHERE loan_id = $1", loan_id)
        return tuple(Payment(r["payment_id"], r["amount"], r["value_date"]) for r in rows)

    async def pauses(self, loan_id: uuid.UUID) -> tuple[Pause, ...]:
        rows = await self._connection.fetch(
            "SELECT start_date, end_date FROM pauses WHERE loan_id = $1 ORDER BY start_date", loan_id
        )
        return tuple(Pause(r["start_date"], r["end_date"]) for r in rows)

    async def save_installments(self, loan_id: uuid.UUID, installments: tuple[Installment, ...]) -> None:
        await self._connection.executemany(
            """
            UPDATE installments SET paid_principal = $3, paid_interest = $4, paid_fee = $5, paid_penalty = $6,
                   penalty_basis = $7, accrued_through = $8, settled = $9
            WHERE loan_id = $1 AND sequence = $2
            """,
            [
                (
                    loan_id,
                    i.sequence,
                    i.paid_principal,
                    i.paid_interest,
                    i.paid_fee,
                    i.paid_penalty,
                    i.penalty_basis,
                    i.accrued_through,
                    i.settled,
                )
                for i in installments
            ],
        )

    async def record_payment(self, payment: RepaymentReceived) -> bool:
        """False if this payment id was recorded before (a payment is applied once)."""
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO repayments (payment_id, loan_id, amount, value_date, received_at)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_id) DO NOTHING RETURNING true
                """,
                payment.payment_id, payment.loan_id, payment.amount.amount, payment.value_date, payment.received_at,
            )
        )  # fmt: skip

    async def last_payments(self, loan_id: uuid.UUID, limit: int = 10) -> list[Any]:
        return await self._connection.fetch(
            """
            SELECT payment_id, amount, value_date FROM repayments WHERE loan_id = $1
            ORDER BY value_date DESC, payment_id LIMIT $2
            """,
            loan_id,
            limit,
        )

    async def start_pause(self, loan_id: uuid.UUID, start: date) -> None:
        await self._connection.execute(
            "INSERT INTO pauses (loan_id, start_date) VALUES ($1, $2) ON CONFLICT DO NOTHING", loan_id, start
        )

    async def end_pause(self, loan_id: uuid.UUID, end: date) -> int:
        """Close the open pause; returns how many days it lasted."""
        days = await self._connection.fetchval(
            "UPDATE pauses SET end_date = $2 WHERE loan_id = $1 AND end_date IS NULL RETURNING greatest($2 - start_date, 0)",
            loan_id,
            end,
        )
        return int(days or 0)

    async def last_business_date(self) -> date | None:
        value: date | None = await self._connection.fetchval("SELECT max(business_date) FROM business_calendar")
        return value

    async def closed_days_around(self, business_date: date) -> tuple[date | None, date | None]:
        """The closest business days closed before and after `business_date`."""
        row = await self._connection.fetchrow(
            """
            SELECT max(business_date) FILTER (WHERE business_date < $1) AS before,
                   min(business_date) FILTER (WHERE business_date > $1) AS after
            FROM business_calendar
            """,
            business_date,
        )
        assert row is not None
        return row["before"], row["after"]

    async def settle_installments(self, loan_id: uuid.UUID, through: date) -> None:
        """A completed plan settled everything due up to `through`."""
        await self._connection.execute(
            "UPDATE installments SET settled = true WHERE loan_id = $1 AND due_date <= $2", loan_id, through
        )

    # --- the business-day close, set-based -----------------------------------------------

    async def accrue_penalties(self, business_date: date) -> int:
        """Penalty through `business_date` on every overdue, unpaid installment of every
        active loan not under a plan: base × rate × days added to the basis."""
        status = await self._connection.execute(
            """
            UPDATE installments i
            SET penalty_basis = i.penalty_basis + (i.principal - i.paid_principal + i.interest - i.paid_interest)
                                * l.penalty_rate * ($1 - greatest(i.due_date, coalesce(i.accrued_through, i.due_date))),
                accrued_through = $1
            FROM loans l
            WHERE l.loan_id = i.loan_id AND l.status = 'active' AND NOT l.under_plan
              AND NOT i.settled AND i.paid_principal + i.paid_interest < i.principal + i.interest
              AND i.due_date < $1 AND coalesce(i.accrued_through, i.due_date) < $1
            """,
            business_date,
        )
        return int(status.split()[-1])

    async def positions(
        self, business_date: date, loan_ids: list[uuid.UUID] | None = None, *, include_under_plan: bool = False
    ) -> list[Any]:
        """Every active loan (not under a plan, unless asked) that is overdue on
        `business_date` or was in an overdue episode: its overdue components and episode state."""
        candidates = (
            "SELECT unnest($2::uuid[]) AS loan_id"
            if loan_ids is not None
            else """
            SELECT DISTINCT i.loan_id FROM installments i
            WHERE i.due_date < $1 AND i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
              AND NOT i.settled AND $2::uuid[] IS NULL
            UNION SELECT loan_id FROM loans WHERE overdue_since IS NOT NULL
            """
        )
        return await self._connection.fetch(
            f"""
            WITH candidates AS ({candidates})
            SELECT l.loan_id, l.currency, l.episode, l.overdue_since, l.bucket, l.last_reported_on, l.paused_days,
                   o.oldest_due, coalesce(o.principal, 0) AS principal, coalesce(o.interest, 0) AS interest,
                   coalesce(o.fee, 0) AS fee, coalesce(o.penalty, 0) AS penalty
            FROM candidates c JOIN loans l USING (loan_id)
            LEFT JOIN LATERAL (
                SELECT min(i.due_date) AS oldest_due,
                       sum(i.principal - i.paid_principal) AS principal, sum(i.interest - i.paid_interest) AS interest,
                       sum(i.fee - i.paid_fee) AS fee, sum(round(i.penalty_basis / l.day_count, 2) - i.paid_penalty) AS penalty
                FROM installments i
                WHERE i.loan_id = l.loan_id AND i.due_date < $1 AND NOT i.settled AND {_OWED} > 0
            ) o ON true
            WHERE l.status = 'active' AND (NOT l.under_plan OR $3)
            """,
            business_date,
            loan_ids,
            include_under_plan,
        )

    async def loans(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        rows = await self._connection.fetch("SELECT * FROM loans WHERE loan_id = ANY($1::uuid[])", loan_ids)
        return {row["loan_id"]: _loan(row) for row in rows}

    async def remaining_schedules(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[ScheduledInstallment, Decimal]]]:
        """Each loan's installments with something still owed, and how much."""
        rows = await self._connection.fetch(
            f"""
            SELECT i.loan_id, i.sequence, i.due_date, i.principal, i.interest, i.fee, l.currency, {_OWED} AS owed
            FROM installments i JOIN loans l USING (loan_id)
            WHERE i.loan_id = ANY($1::uuid[]) AND NOT i.settled AND {_OWED} > 0
            ORDER BY i.loan_id, i.sequence
            """,
            loan_ids,
        )
        schedules: dict[uuid.UUID, list[tuple[ScheduledInstallment, Decimal]]] = defaultdict(list)
        for r in rows:
            currency = r["currency"]
            # Built without validating again: these rows satisfied the contract when booked.
            installment = ScheduledInstallment.model_construct(
                sequence=r["sequence"], due_date=r["due_date"], principal=Money.trusted(r["principal"], currency),
                interest=Money.trusted(r["interest"], currency), fee=Money.trusted(r["fee"], currency),
            )  # fmt: skip
            schedules[r["loan_id"]].append((installment, r["owed"]))
        return schedules

    async def outstanding_principal(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
        rows = await self._connection.fetch(
            """
            SELECT loan_id, sum(principal - paid_principal) FILTER (WHERE NOT settled) AS outstanding
            FROM installments WHERE loan_id = ANY($1::uuid[]) GROUP BY loan_id
            """,
            loan_ids,
        )
        return {r["loan_id"]: r["outstanding"] or Decimal(0) for r in rows}

    async def save_episodes(self, states: list[tuple[uuid.UUID, int, date | None, str, date | None, int]]) -> None:
        """(loan, episode, overdue_since, bucket, last_reported_on, paused_days) for many loans at once."""
        await self._connection.executemany(
            """
            UPDATE loans SET episode = $2, overdue_since = $3, bucket = $4, last_reported_on = $5, paused_days = $6
            WHERE loan_id = $1
            """,
            states,
        )

    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None:
        await stage_status_events(self._connection, business_date, events, facts)

    async def due_soon(self, business_date: date, days_before: tuple[int, ...]) -> list[Any]:
        return await self._connection.fetch(
            """
            SELECT i.loan_id, i.sequence, i.due_date, (i.due_date - $1) AS days_before,
                   i.principal + i.interest + i.fee - i.paid_principal - i.paid_interest - i.paid_fee AS amount_due,
                   l.currency, l.contact
            FROM installments i JOIN loans l USING (loan_id)
            WHERE l.status = 'active' AND NOT l.under_plan AND NOT i.settled
              AND i.due_date = ANY(SELECT $1::date + d FROM unnest($2::int[]) AS d)
              AND i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
            """,
            business_date,
            list(days_before),
        )
