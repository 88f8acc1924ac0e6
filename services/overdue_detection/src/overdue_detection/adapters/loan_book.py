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


_INSTALLMENT_COLUMNS = (
    "sequence", "due_date", "principal", "interest", "fee", "paid_principal", "paid_interest", "paid_fee", "paid_penalty",
    "penalty_basis", "accrued_through", "settled",
)  # fmt: skip


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

    async def add_many(self, booked: list[tuple[LoanBooked, ChargePolicy]]) -> None:
        """Record booked loans (a loan booked before is left as it is), two statements in all."""
        loans = [loan for loan, _ in booked]
        contacts = [
            ContactRef(
                borrower_id=b.borrower_id, locale=b.locale, time_zone=b.time_zone, jurisdiction=b.jurisdiction
            ).model_dump_json()
            for b in (loan.borrower for loan in loans)
        ]
        new = await self._connection.fetch(
            """
            INSERT INTO loans (loan_id, borrower_id, currency, principal, contract_rate, overdue_rate, allocation_order,
                               contact, booked_on, jurisdiction, cap_rate, penalty_rate, cap_binds, day_count)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[],
                                 $8::jsonb[], $9::date[], $10::text[], $11::numeric[], $12::numeric[], $13::bool[], $14::int[])
            ON CONFLICT (loan_id) DO NOTHING RETURNING loan_id
            """,
            [loan.loan_id for loan in loans],
            [loan.borrower.borrower_id for loan in loans],
            [loan.principal.currency for loan in loans],
            [loan.principal.amount for loan in loans],
            [loan.contract_rate for loan in loans],
            [loan.overdue_rate for loan in loans],
            [loan.allocation_order.value for loan in loans],
            contacts,
            [loan.booked_on for loan in loans],
            [loan.borrower.jurisdiction.value for loan in loans],
            [policy.cap_rate for _, policy in booked],
            [policy.penalty_rate for _, policy in booked],
            [policy.cap_binds for _, policy in booked],
            [policy.day_count for _, policy in booked],
        )
        inserted = {row["loan_id"] for row in new}
        rows = [(loan.loan_id, i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount)
                for loan in loans if loan.loan_id in inserted for i in loan.installments]  # fmt: skip
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            await self._connection.execute(
                """
                INSERT INTO installments (loan_id, sequence, due_date, principal, interest, fee)
                SELECT * FROM unnest($1::uuid[], $2::int[], $3::date[], $4::numeric[], $5::numeric[], $6::numeric[])
                """,
                *columns,
            )

    async def get(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanRow | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(f"SELECT * FROM loans WHERE loan_id = $1{lock}", loan_id)
        return _loan(row) if row else None

    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(fields, start=2))
        await self._connection.execute(f"UPDATE loans SET {assignments} WHERE loan_id = $1", loan_id, *fields.values())

    # --- the per-loan ledger -------------------------------------------------------------

    async def lock(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        """The loans, locked for this transaction (in one order, so that batches never deadlock)."""
        rows = await self._connection.fetch(
            "SELECT * FROM loans WHERE loan_id = ANY($1::uuid[]) ORDER BY loan_id FOR UPDATE", loan_ids
        )
        return {row["loan_id"]: _loan(row) for row in rows}

    async def ledgers(
        self, loan_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[tuple[Installment, ...], tuple[Payment, ...], tuple[Pause, ...]]]:
        """Each loan's installments, payments and plan pauses: three queries for all of them."""
        installments: dict[uuid.UUID, list[Installment]] = defaultdict(list)
        payments: dict[uuid.UUID, list[Payment]] = defaultdict(list)
        pauses: dict[uuid.UUID, list[Pause]] = defaultdict(list)
        for r in await self._connection.fetch(
            "SELECT * FROM installments WHERE loan_id = ANY($1::uuid[]) ORDER BY loan_id, sequence", loan_ids
        ):
            installments[r["loan_id"]].append(Installment(**{name: r[name] for name in _INSTALLMENT_COLUMNS}))
        for r in await self._connection.fetch(
            "SELECT loan_id, payment_id, amount, value_date FROM repayments WHERE loan_id = ANY($1::uuid[])", loan_ids
        ):
            payments[r["loan_id"]].append(Payment(r["payment_id"], r["amount"], r["value_date"]))
        for r in await self._connection.fetch(
            "SELECT * FROM pauses WHERE loan_id = ANY($1::uuid[]) ORDER BY start_date", loan_ids
        ):
            pauses[r["loan_id"]].append(Pause(r["start_date"], r["end_date"]))
        return {loan_id: (tuple(installments[loan_id]), tuple(payments[loan_id]), tuple(pauses[loan_id])) for loan_id in loan_ids}

    async def save_ledgers(self, ledgers: dict[uuid.UUID, tuple[tuple[Installment, ...], Decimal]]) -> None:
        """Write back replayed installments and credits: two statements for all loans."""
        rows = [
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
            for loan_id, (installments, _) in ledgers.items()
            for i in installments
        ]
        if rows:
            await self._connection.execute(
                """
                UPDATE installments i SET paid_principal = u.pp, paid_interest = u.pi, paid_fee = u.pf, paid_penalty = u.pn,
                       penalty_basis = u.basis, accrued_through = u.through, settled = u.settled
                FROM unnest($1::uuid[], $2::int[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
                            $8::date[], $9::bool[]) AS u(loan_id, sequence, pp, pi, pf, pn, basis, through, settled)
                WHERE i.loan_id = u.loan_id AND i.sequence = u.sequence
                """,
                *[list(column) for column in zip(*rows, strict=True)],
            )
        await self._connection.execute(
            """
            UPDATE loans l SET credit = u.credit
            FROM unnest($1::uuid[], $2::numeric[]) AS u(loan_id, credit) WHERE l.loan_id = u.loan_id
            """,
            list(ledgers),
            [credit for _, credit in ledgers.values()],
        )

    async def record_payments(self, payments: list[RepaymentReceived]) -> set[str]:
        """Record payments; returns the ids recorded now (a payment id is applied once)."""
        rows = await self._connection.fetch(
            """
            INSERT INTO repayments (payment_id, loan_id, amount, value_date, received_at)
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::numeric[], $4::date[], $5::timestamptz[])
            ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id
            """,
            [p.payment_id for p in payments], [p.loan_id for p in payments], [p.amount.amount for p in payments],
            [p.value_date for p in payments], [p.received_at for p in payments],
        )  # fmt: skip
        return {row["payment_id"] for row in rows}

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

    async def paused_so_far(self, loan_id: uuid.UUID, on: date) -> int:
        """Days of the loan's open pause (a plan in force) up to `on`; 0 when none is open."""
        days = await self._connection.fetchval(
            "SELECT greatest($2 - start_date, 0) FROM pauses WHERE loan_id = $1 AND end_date IS NULL", loan_id, on
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
