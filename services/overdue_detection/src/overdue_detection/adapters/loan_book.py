"""The loan book in Postgres (schema overdue_detection).

The business-day close is set-based: one UPDATE accrues penalty on every overdue installment
and one query reads every loan whose position may have changed; no loop over loans.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.adapters.ledger_sql import ACCRUES, OWED, PENALTY_BASE, owed, paused_days
from overdue_detection.adapters.status_outbox import stage_status_events
from overdue_detection.application.ports import EnvelopeFacts, LedgerParts, StatusEvent
from overdue_detection.domain.episodes import EpisodeState, Untold
from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from overdue_detection.domain.replay import WriteOff
from tideover_contracts.common import ContactRef, ScheduledInstallment
from tideover_contracts.events.loans import AllocationOrder, LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.money import Money
from tideover_runtime.clock import tell_close
from tideover_runtime.database import Connection

#: The day after which an installment's penalty is yet to be counted.
SINCE = "greatest(i.due_date, coalesce(i.accrued_through, i.due_date))"

#: Every column of a line the replay reads and writes back.
_INSTALLMENT_COLUMNS = (
    "sequence", "due_date", "principal", "interest", "fee", "paid_principal", "paid_interest", "paid_fee", "paid_penalty",
    "penalty_basis", "accrued_through", "plan_id", "plan_sequence", "rescheduled_by", "waived_penalty", "waived_interest",
    "waived_fee", "rescheduled_principal", "rescheduled_interest", "rescheduled_fee", "rescheduled_penalty",
    "written_off_principal", "written_off_interest", "written_off_fee", "written_off_penalty",
)  # fmt: skip
_TYPES = {"sequence": "int", "due_date": "date", "accrued_through": "date", "plan_id": "uuid", "plan_sequence": "int",
          "rescheduled_by": "uuid"}  # fmt: skip


def _plan(row: Any) -> PlanTerms:
    waiver = json.loads(row["waiver"])
    lines = tuple(
        PlanLine(
            line["sequence"],
            date.fromisoformat(line["due_date"]),
            *(Decimal(line[c]) for c in ("principal", "interest", "fee", "penalty")),
        )
        for line in json.loads(row["lines"])
    )
    return PlanTerms(
        plan_id=row["plan_id"], ordinal=row["ordinal"], effect=PlanEffect(row["effect"]), basis_date=row["basis_date"],
        activated_on=row["activated_on"], lines=lines, waiver={c: Decimal(v) for c, v in waiver.items()},
        outcome=row["outcome"], ended_on=row["ended_on"],
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
            installments[r["loan_id"]].append(Installment(**{name: r[name] for name in _INSTALLMENT_COLUMNS}))
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
            plans[r["loan_id"]].append(_plan(r))
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
        written = [name for name in _INSTALLMENT_COLUMNS if name not in ("sequence", "due_date", "principal", "interest", "fee")]
        if regular:
            arrays = [[loan_id for loan_id, _ in regular]] + [
                [getattr(i, name) for _, i in regular] for name in ("sequence", *written)
            ]
            types = ["uuid", "int"] + [_TYPES.get(name, "numeric") for name in written]
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
                [getattr(i, name) for _, i in planned] for name in _INSTALLMENT_COLUMNS
            ]
            types = ["uuid"] + [_TYPES.get(name, "numeric") for name in _INSTALLMENT_COLUMNS]
            unnest = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
            await self._connection.execute(
                f"INSERT INTO installments (loan_id, {', '.join(_INSTALLMENT_COLUMNS)}) SELECT * FROM unnest({unnest})", *arrays
            )
        await self._connection.execute(
            """
            UPDATE loans l SET credit = u.credit
            FROM unnest($1::uuid[], $2::numeric[]) AS u(loan_id, credit) WHERE l.loan_id = u.loan_id
            """,
            list(ledgers),
            [credit for _, credit in ledgers.values()],
        )

    # --- plans and the acts they record ----------------------------------------------------

    async def add_plan(self, loan_id: uuid.UUID, plan: PlanTerms) -> bool:
        """Record a plan in force (ordinal: the loan's next); False when it was recorded before."""
        lines = [
            {"sequence": line.sequence, "due_date": line.due_date.isoformat(),
             **{c: str(getattr(line, c)) for c in ("principal", "interest", "fee", "penalty")}}
            for line in plan.lines
        ]  # fmt: skip
        inserted = await self._connection.fetchval(
            """
            INSERT INTO plans (plan_id, loan_id, ordinal, effect, basis_date, activated_on, waiver, lines)
            SELECT $1, $2, coalesce(max(ordinal), 0) + 1, $3, $4, $5, $6::jsonb, $7::jsonb FROM plans WHERE loan_id = $2
            ON CONFLICT (plan_id) DO NOTHING RETURNING true
            """,
            plan.plan_id, loan_id, plan.effect.value, plan.basis_date, plan.activated_on,
            json.dumps({c: str(v) for c, v in plan.waiver.items()}), json.dumps(lines),
        )  # fmt: skip
        return bool(inserted)

    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None:
        value: uuid.UUID | None = await self._connection.fetchval(
            "SELECT plan_id FROM plans WHERE loan_id = $1 AND outcome = 'active'", loan_id
        )
        return value

    async def wait_for_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None:
        await self._connection.execute(
            "INSERT INTO plan_ends_waiting VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING", plan_id, loan_id, envelope
        )

    async def waiting_end(self, plan_id: uuid.UUID) -> str | None:
        """The message of a plan's end read before its activation, taken (it is handled now)."""
        value: str | None = await self._connection.fetchval(
            "DELETE FROM plan_ends_waiting WHERE plan_id = $1 RETURNING envelope::text", plan_id
        )
        return value

    async def hold_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None:
        await self._connection.execute(
            "INSERT INTO activations_waiting VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING", plan_id, loan_id, envelope
        )

    async def held_activations(self, loan_id: uuid.UUID) -> list[str]:
        """The messages of activations read before the end of the plan before them, taken."""
        rows = await self._connection.fetch(
            "DELETE FROM activations_waiting WHERE loan_id = $1 RETURNING envelope::text", loan_id
        )
        return [row["envelope"] for row in rows]

    async def plan_outcome(self, plan_id: uuid.UUID) -> str | None:
        value: str | None = await self._connection.fetchval("SELECT outcome FROM plans WHERE plan_id = $1", plan_id)
        return value

    async def end_plan(self, plan_id: uuid.UUID, outcome: str, ended_on: date) -> bool:
        """The plan completed, broke or its loan closed; False when it had ended before."""
        ended = await self._connection.fetchval(
            "UPDATE plans SET outcome = $2, ended_on = $3 WHERE plan_id = $1 AND outcome = 'active' RETURNING true",
            plan_id,
            outcome,
            ended_on,
        )
        return bool(ended)

    async def record_act(
        self, act_id: uuid.UUID, loan_id: uuid.UUID, plan_id: uuid.UUID | None, kind: str, reason: str, status: str,
        business_date: date, amounts: dict[str, Decimal],
    ) -> None:  # fmt: skip
        """A waiver or a write-off as recorded, once: an act is never rewritten (tideover-reconcile
        compares the ledger's lines with the acts, so a replay that moved a waiver shows)."""
        await self._connection.execute(
            """
            INSERT INTO ledger_acts (act_id, loan_id, plan_id, kind, reason, status, business_date,
                                     principal, interest, fee, penalty)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (act_id) DO NOTHING
            """,
            act_id, loan_id, plan_id, kind, reason, status, business_date,
            *(amounts.get(c, Decimal(0)) for c in ("principal", "interest", "fee", "penalty")),
        )  # fmt: skip

    async def acts(self, plan_id: uuid.UUID, status: str) -> list[Any]:
        return await self._connection.fetch(
            "SELECT * FROM ledger_acts WHERE plan_id = $1 AND status = $2 ORDER BY reason", plan_id, status
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

    async def open_pause(self, loan_id: uuid.UUID) -> date | None:
        """When the plan in force began to pause the loan's delinquency clock, if one is."""
        value: date | None = await self._connection.fetchval(
            "SELECT start_date FROM pauses WHERE loan_id = $1 AND end_date IS NULL", loan_id
        )
        return value

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

    # --- the business-day close, set-based -----------------------------------------------

    async def accrue_penalties(self, business_date: date) -> int:
        """Penalty through `business_date` on every overdue, unpaid installment of every
        active loan not under a plan: base × rate × days added to the basis."""
        status = await self._connection.execute(
            f"""
            UPDATE installments i
            SET penalty_basis = i.penalty_basis + {PENALTY_BASE} * l.penalty_rate
                                * ($1 - {SINCE} - {paused_days(SINCE, "$1")}),
                accrued_through = $1
            FROM loans l
            WHERE l.loan_id = i.loan_id AND l.status = 'active' AND NOT l.under_plan
              AND {ACCRUES} AND i.paid_principal + i.paid_interest < i.principal + i.interest AND {PENALTY_BASE} > 0
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
              AND i.rescheduled_by IS NULL AND $2::uuid[] IS NULL
            UNION SELECT loan_id FROM loans WHERE overdue_since IS NOT NULL OR untold_kind IS NOT NULL
            """
        )
        return await self._connection.fetch(
            f"""
            WITH candidates AS ({candidates})
            SELECT l.loan_id, l.currency, l.episode, l.overdue_since, l.bucket, l.last_reported_on,
                   l.untold_kind, l.untold_reasons, l.untold_previous_bucket, l.untold_cure_reason,
                   o.oldest_due, coalesce(o.principal, 0) AS principal, coalesce(o.interest, 0) AS interest,
                   coalesce(o.fee, 0) AS fee, coalesce(o.penalty, 0) AS penalty,
                   -- Days past due leave out the days under a plan after the oldest unpaid due date, and
                   -- only those (a pause covers the days after its start, before its end: domain Pause).
                   CASE WHEN o.oldest_due IS NULL THEN 0 ELSE {paused_days("o.oldest_due", "$1")} END::int AS paused_days
            FROM candidates c JOIN loans l USING (loan_id)
            LEFT JOIN LATERAL (
                SELECT min(i.due_date) AS oldest_due,
                       sum({owed("principal")}) AS principal, sum({owed("interest")}) AS interest,
                       sum({owed("fee")}) AS fee, sum({owed("penalty")}) AS penalty
                FROM installments i
                WHERE i.loan_id = l.loan_id AND i.due_date < $1 AND {OWED} > 0
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
            SELECT i.loan_id, i.sequence, i.due_date, i.principal, i.interest, i.fee, l.currency, {OWED} AS owed
            FROM installments i JOIN loans l USING (loan_id)
            WHERE i.loan_id = ANY($1::uuid[]) AND {OWED} > 0
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

    async def save_episodes(self, states: list[tuple[uuid.UUID, EpisodeState]]) -> None:
        """Each loan's episode state, what waits untold with it, for many loans at once."""
        await self._connection.executemany(
            """
            UPDATE loans SET episode = $2, overdue_since = $3, bucket = $4, last_reported_on = $5, paused_days = $6,
                             untold_kind = $7, untold_reasons = $8, untold_previous_bucket = $9, untold_cure_reason = $10
            WHERE loan_id = $1
            """,
            [
                (
                    loan_id, state.episode, state.overdue_since, state.bucket.value, state.last_reported_on,
                    state.paused_days, *untold_columns(state.untold),
                )
                for loan_id, state in states
            ],
        )  # fmt: skip

    async def tell_close(self, business_date: date) -> date | None:
        return await tell_close(self._connection, business_date)

    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None:
        await stage_status_events(self._connection, business_date, events, facts)

    async def due_soon(self, business_date: date, days_before: tuple[int, ...], since: date | None = None) -> list[Any]:
        """The installments to remind of at `business_date`: those `days_before` it, and those
        whose reminder day fell on a day settled quietly from `since` on and that are still
        ahead (reminded once, with the days left)."""
        return await self._connection.fetch(
            f"""
            SELECT i.loan_id, i.sequence, i.due_date, (i.due_date - $1) AS days_before, {OWED} AS amount_due,
                   l.currency, l.contact
            FROM installments i JOIN loans l USING (loan_id)
            WHERE l.status = 'active' AND NOT l.under_plan AND i.due_date > $1
              AND EXISTS (SELECT 1 FROM unnest($2::int[]) AS d WHERE i.due_date - d BETWEEN coalesce($3, $1) AND $1)
              AND {OWED} > 0
            """,
            business_date,
            list(days_before),
            since,
        )


def untold_columns(untold: Untold | None) -> tuple[str | None, list[str], str | None, str | None]:
    if untold is None:
        return None, [], None, None
    reasons = [reason.value for reason in untold.reasons]
    return untold.kind, reasons, untold.previous_bucket.value, untold.cure_reason.value
