"""The loan book in Postgres (schema overdue_detection): loans, their installments and payments
here; plans and acts in plan_records.py; the set-based close in closing_sql.py."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from overdue_detection.adapters.closing_sql import ClosingQueries
from overdue_detection.adapters.loan_rows import INSTALLMENT_COLUMNS, TYPES, loan_from_row, plan_from_row
from overdue_detection.adapters.plan_records import PlanRecords
from overdue_detection.application.ports import LedgerParts
from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanTerms
from overdue_detection.domain.replay import WriteOff
from tideover_contracts.common import ContactRef
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_runtime.database import Connection


class LoanBook(PlanRecords, ClosingQueries):
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add_many(self, booked: list[tuple[LoanBooked, ChargePolicy]]) -> None:
        """Record booked loans (a loan booked before, or earlier in the run, is left as it is), two
        statements in all."""
        first: dict[uuid.UUID, tuple[LoanBooked, ChargePolicy]] = {}
        for loan, policy in booked:
            first.setdefault(loan.loan_id, (loan, policy))
        booked = list(first.values())
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
        rows = [
            (loan.loan_id, i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount)
            for loan in loans
            if loan.loan_id in inserted
            for i in loan.installments
        ]
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
        return loan_from_row(row) if row else None

    async def get_many(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        """The loans booked here among `loan_ids` (read, not locked)."""
        rows = await self._connection.fetch("SELECT * FROM loans WHERE loan_id = ANY($1::uuid[])", loan_ids)
        return {row["loan_id"]: loan_from_row(row) for row in rows}

    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(fields, start=2))
        await self._connection.execute(f"UPDATE loans SET {assignments} WHERE loan_id = $1", loan_id, *fields.values())

    # --- the per-loan ledger -------------------------------------------------------------

    async def lock(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        """The loans, locked for this transaction (in one order, so that batches never deadlock)."""
        rows = await self._connection.fetch(
            "SELECT * FROM loans WHERE loan_id = ANY($1::uuid[]) ORDER BY loan_id FOR UPDATE", loan_ids
        )
        return {row["loan_id"]: loan_from_row(row) for row in rows}

    async def ledgers(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerParts]:
        """Each loan's regular installments, payments, plan pauses, plans and write-offs: a query each for all of them."""
        installments: dict[uuid.UUID, list[Installment]] = defaultdict(list)
        payments: dict[uuid.UUID, list[Payment]] = defaultdict(list)
        pauses: dict[uuid.UUID, list[Pause]] = defaultdict(list)
        plans: dict[uuid.UUID, list[PlanTerms]] = defaultdict(list)
        write_offs: dict[uuid.UUID, list[WriteOff]] = defaultdict(list)
        for r in await self._connection.fetch(
            "SELECT * FROM installments WHERE loan_id = ANY($1::uuid[]) AND plan_id IS NULL ORDER BY loan_id, sequence",
            loan_ids,
        ):
            installments[r["loan_id"]].append(Installment(**{name: r[name] for name in INSTALLMENT_COLUMNS}))
        for r in await self._connection.fetch(
            "SELECT loan_id, payment_id, amount, value_date, received_at FROM repayments WHERE loan_id = ANY($1::uuid[])",
            loan_ids,
        ):
            payments[r["loan_id"]].append(Payment(r["payment_id"], r["amount"], r["value_date"], r["received_at"]))
        for r in await self._connection.fetch(
            "SELECT * FROM pauses WHERE loan_id = ANY($1::uuid[]) ORDER BY start_date", loan_ids
        ):
            pauses[r["loan_id"]].append(Pause(r["start_date"], r["end_date"]))
        for r in await self._connection.fetch("SELECT * FROM plans WHERE loan_id = ANY($1::uuid[]) ORDER BY ordinal", loan_ids):
            plans[r["loan_id"]].append(plan_from_row(r))
        for r in await self._connection.fetch(
            "SELECT * FROM ledger_acts WHERE loan_id = ANY($1::uuid[]) AND kind = 'write_off' ORDER BY business_date", loan_ids
        ):
            amounts = {c: r[c] for c in ("principal", "interest", "fee", "penalty")}
            write_offs[r["loan_id"]].append(WriteOff(r["act_id"], r["business_date"], amounts))
        return {
            loan_id: LedgerParts(
                tuple(installments[loan_id]),
                tuple(payments[loan_id]),
                tuple(pauses[loan_id]),
                tuple(plans[loan_id]),
                tuple(write_offs[loan_id]),
            )
            for loan_id in loan_ids
        }

    async def save_ledgers(
        self, ledgers: dict[uuid.UUID, tuple[tuple[Installment, ...], Decimal]], with_plans: set[uuid.UUID] | None = None
    ) -> None:
        """Write back replayed lines and credits: the loans' own installments given updated, the
        plans' lines of the loans `with_plans` (all, when not said) written anew (a broken plan's
        are gone), a few statements for all loans."""
        regular = [(loan_id, i) for loan_id, (lines, _) in ledgers.items() for i in lines if i.plan_id is None]
        planned = [(loan_id, i) for loan_id, (lines, _) in ledgers.items() for i in lines if i.plan_id is not None]
        written = [name for name in INSTALLMENT_COLUMNS if name not in ("sequence", "due_date", "principal", "interest", "fee")]
        if regular:
            arrays = [[loan_id for loan_id, _ in regular]] + [
                [getattr(i, name) for _, i in regular] for name in ("sequence", *written)
            ]
            types = ["uuid", "int"] + [TYPES.get(name, "numeric") for name in written]
            unnest = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
            await self._connection.execute(
                f"""
                UPDATE installments i SET {", ".join(f"{name} = u.{name}" for name in written)}
                FROM unnest({unnest}) AS u(loan_id, sequence, {", ".join(written)})
                WHERE i.loan_id = u.loan_id AND i.sequence = u.sequence
                """,
                *arrays,
            )
        replanned = list(ledgers) if with_plans is None else list(with_plans)
        if replanned:
            await self._connection.execute(
                "DELETE FROM installments WHERE loan_id = ANY($1::uuid[]) AND plan_id IS NOT NULL", replanned
            )
        if planned:
            arrays = [[loan_id for loan_id, _ in planned]] + [
                [getattr(i, name) for _, i in planned] for name in INSTALLMENT_COLUMNS
            ]
            types = ["uuid"] + [TYPES.get(name, "numeric") for name in INSTALLMENT_COLUMNS]
            unnest = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
            await self._connection.execute(
                f"INSERT INTO installments (loan_id, {', '.join(INSTALLMENT_COLUMNS)}) SELECT * FROM unnest({unnest})", *arrays
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
            [p.payment_id for p in payments],
            [p.loan_id for p in payments],
            [p.amount.amount for p in payments],
            [p.value_date for p in payments],
            [p.received_at for p in payments],
        )
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
