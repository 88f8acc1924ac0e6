"""Plans in Postgres (schema repayment_tracking): their months, the lines each month asks for,
and the ledger's reports on those lines (migrations/0003.plans-from-the-ledger.sql)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal

import asyncpg

from repayment_tracking.application.ports import ActivePlan
from repayment_tracking.domain.plan_rules import Line, LineKind, LineRef, Month, PlanBook, Report, Rules
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated
from tideover_runtime.clock import tell_close
from tideover_runtime.database import Connection

#: The columns of an ActivePlan (conditional_waiver as text: parsed only when an event carries it).
_ACTIVE = "plan_id, loan_id, currency, conditional_waiver::text, activated_on, closed_through"


def _plan(row: asyncpg.Record) -> ActivePlan:
    return ActivePlan(
        row["plan_id"],
        row["loan_id"],
        row["currency"],
        row["conditional_waiver"],
        row["activated_on"],
        row["closed_through"],
    )


class PostgresPlans:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, plan: PlanActivated, months: Sequence[Month]) -> bool:
        inserted = await self._connection.fetchval(
            """
            INSERT INTO plans (plan_id, loan_id, currency, status, activated_on, conditional_waiver, effect, basis_date)
            VALUES ($1, $2, $3, 'active', $4, $5::jsonb, $6, $7) ON CONFLICT (plan_id) DO NOTHING RETURNING true
            """,
            plan.plan_id,
            plan.loan_id,
            plan.total_payable.currency,
            plan.activated_on,
            plan.conditional_waiver.model_dump_json(),
            plan.plan_effect.value,
            plan.basis_business_date,
        )
        if not inserted:
            return False
        await self._connection.executemany(
            "INSERT INTO plan_installments (plan_id, sequence, due_date, amount, left_now) VALUES ($1, $2, $3, $4, $4)",
            [(plan.plan_id, month.sequence, month.due_date, month.plan_line.amount) for month in months],
        )
        await self._connection.executemany(
            """
            INSERT INTO plan_regular_installments (plan_id, sequence, month, due_date, amount, left_now)
            VALUES ($1, $2, $3, $4, $5, $5)
            """,
            [
                (plan.plan_id, line.ref.sequence, month.sequence, line.due_date, line.amount)
                for month in months
                for line in month.regular
            ],
        )
        return True

    async def active_for_loans(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ActivePlan]:
        rows = await self._connection.fetch(
            f"SELECT {_ACTIVE} FROM plans WHERE loan_id = ANY($1::uuid[]) AND status = 'active' ORDER BY plan_id FOR UPDATE",
            list(loan_ids),
        )
        return {row["loan_id"]: _plan(row) for row in rows}

    async def known(self, plan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        rows = await self._connection.fetch("SELECT plan_id FROM plans WHERE plan_id = ANY($1::uuid[])", list(plan_ids))
        return {row["plan_id"] for row in rows}

    async def keep_early(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> None:
        """Payments reported for plans not taken in yet, kept in the order they came."""
        await self._connection.executemany(
            "INSERT INTO early_payments (plan_id, payment_id, payment) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING",
            [(plan_id, payment.payment_id, payment.model_dump_json()) for plan_id, payment in payments],
        )

    async def take_early(self, plan_id: uuid.UUID) -> list[RepaymentApplied]:
        rows = await self._connection.fetch("DELETE FROM early_payments WHERE plan_id = $1 RETURNING kept, payment", plan_id)
        return [RepaymentApplied.model_validate_json(row["payment"]) for row in sorted(rows, key=lambda row: row["kept"])]

    async def plans_to_judge(self, business_date: date, rules: Rules, since: date | None = None) -> list[ActivePlan]:
        """The active plans not judged through `business_date` in which something may happen by
        then. Without a report value-dated after the last day judged, every day to judge sees the
        lines as they stand now; so only these can change: a month past its grace short beyond the
        tolerance (a miss, or 30 days unpaid), a month coming up to remind of, a month falling due
        within the tolerance (the last one completes the plan), and a plan with such a report (it
        may change what those days see). Every other plan only moves its closed day."""
        rows = await self._connection.fetch(
            f"""
            WITH open AS (
                SELECT * FROM plans
                WHERE status = 'active' AND coalesce(closed_through, activated_on - 1) < $1
            ), months AS (
                SELECT i.plan_id, i.due_date, i.missed, coalesce(open.closed_through, open.activated_on - 1) AS judged,
                       i.amount + coalesce(r.amount, 0) AS total, i.left_now + coalesce(r.left_now, 0) AS short
                FROM plan_installments i JOIN open USING (plan_id)
                LEFT JOIN (
                    SELECT plan_id, month, sum(amount) AS amount, sum(left_now) AS left_now
                    FROM plan_regular_installments JOIN open USING (plan_id) GROUP BY plan_id, month
                ) r ON r.plan_id = i.plan_id AND r.month = i.sequence
            )
            SELECT {_ACTIVE} FROM open WHERE plan_id IN (
                SELECT plan_id FROM months
                WHERE (due_date + $2::int < $1 AND short > greatest(total * $3, $4) AND (NOT missed OR due_date + $5::int <= $1))
                   OR (due_date > $1 AND short > 0
                       AND EXISTS (SELECT 1 FROM unnest($6::int[]) AS d WHERE due_date - d BETWEEN coalesce($7, $1) AND $1))
                   OR (due_date > judged AND due_date <= $1 AND short <= greatest(total * $3, $4))
                UNION
                SELECT lr.plan_id FROM line_reports lr JOIN open USING (plan_id)
                WHERE lr.value_date > coalesce(open.closed_through, open.activated_on - 1)
            )
            ORDER BY plan_id FOR UPDATE
            """,
            business_date,
            rules.grace_days,
            rules.tolerance_share,
            rules.tolerance_floor,
            rules.unpaid_days_to_break,
            list(rules.reminder_days),
            since,
        )
        return [_plan(row) for row in rows]

    async def tell_close(self, business_date: date) -> date | None:
        return await tell_close(self._connection, business_date)

    async def books(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanBook]:
        """Each plan's months with their lines, the ledger's reports on them and the months missed."""
        ids = list(plan_ids)
        plan_lines = await self._connection.fetch(
            """
            SELECT plan_id, sequence, due_date, amount, missed FROM plan_installments
            WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, sequence
            """,
            ids,
        )
        regular = await self._connection.fetch(
            """
            SELECT plan_id, sequence, month, due_date, amount FROM plan_regular_installments
            WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, due_date, sequence
            """,
            ids,
        )
        reports = await self._connection.fetch(
            """
            SELECT plan_id, arrival, payment_id, kind, sequence, value_date, paid, left_after FROM line_reports
            WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, value_date, arrival
            """,
            ids,
        )
        return _books(ids, plan_lines, regular, reports)

    async def forget_reports(self, payments: Sequence[tuple[uuid.UUID, str]]) -> None:
        """What the ledger said before of these payments on these plans' lines: it restated them."""
        await self._connection.execute(
            """
            DELETE FROM line_reports r USING unnest($1::uuid[], $2::text[]) AS f(plan_id, payment_id)
            WHERE r.plan_id = f.plan_id AND r.payment_id = f.payment_id
            """,
            [plan_id for plan_id, _ in payments],
            [payment_id for _, payment_id in payments],
        )

    async def record_payments(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> set[str]:
        """The ids of the payments recorded now for the first time (one the ledger restated was
        recorded before)."""
        rows = await self._connection.fetch(
            """
            INSERT INTO plan_payments (payment_id, plan_id, amount, value_date)
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::numeric[], $4::date[])
            ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id
            """,
            [payment.payment_id for _, payment in payments],
            [plan_id for plan_id, _ in payments],
            [payment.amount.amount for _, payment in payments],
            [payment.value_date for _, payment in payments],
        )
        return {row["payment_id"] for row in rows}

    async def record_reports(self, reports: Mapping[uuid.UUID, Sequence[Report]]) -> None:
        rows = [(plan_id, report) for plan_id, plan_reports in reports.items() for report in plan_reports]
        await self._connection.execute(
            """
            INSERT INTO line_reports (plan_id, arrival, payment_id, kind, sequence, value_date, paid, left_after)
            SELECT * FROM unnest(
                $1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], $6::date[], $7::numeric[], $8::numeric[]
            )
            """,
            [plan_id for plan_id, _ in rows],
            [report.arrival for _, report in rows],
            [report.payment_id for _, report in rows],
            [report.ref.kind.value for _, report in rows],
            [report.ref.sequence for _, report in rows],
            [report.value_date for _, report in rows],
            [report.paid for _, report in rows],
            [report.left for _, report in rows],
        )

    async def set_lines(self, books: Mapping[uuid.UUID, PlanBook], touched: Mapping[uuid.UUID, Collection[LineRef]]) -> None:
        """What the `touched` lines of these plans still owe as the ledger last reported it, and
        what it reported paid on them."""
        rows: list[tuple[uuid.UUID, LineRef, Decimal, Decimal]] = []
        for plan_id, refs in touched.items():
            left, paid = books[plan_id].left_on(date.max), books[plan_id].paid_on_lines()
            rows += [(plan_id, ref, left[ref], paid[ref]) for ref in refs]
        for kind, table in ((LineKind.PLAN, "plan_installments"), (LineKind.REGULAR, "plan_regular_installments")):
            of_kind = [(plan_id, ref.sequence, left, paid) for plan_id, ref, left, paid in rows if ref.kind is kind]
            if not of_kind:
                continue
            await self._connection.execute(
                f"""
                UPDATE {table} t SET left_now = l.left_now, paid = l.paid
                FROM unnest($1::uuid[], $2::int[], $3::numeric[], $4::numeric[]) AS l(plan_id, sequence, left_now, paid)
                WHERE t.plan_id = l.plan_id AND t.sequence = l.sequence AND (t.left_now, t.paid) <> (l.left_now, l.paid)
                """,
                [row[0] for row in of_kind],
                [row[1] for row in of_kind],
                [row[2] for row in of_kind],
                [row[3] for row in of_kind],
            )

    async def mark_missed(self, missed: Mapping[uuid.UUID, Mapping[int, date]]) -> None:
        rows = [(plan_id, sequence, day) for plan_id, by_sequence in missed.items() for sequence, day in by_sequence.items()]
        if not rows:
            return
        await self._connection.execute(
            """
            UPDATE plan_installments i SET missed = true, missed_on = m.day
            FROM unnest($1::uuid[], $2::int[], $3::date[]) AS m(plan_id, sequence, day)
            WHERE i.plan_id = m.plan_id AND i.sequence = m.sequence
            """,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2] for row in rows],
        )

    async def end(self, ended: Mapping[uuid.UUID, date], status: str) -> None:
        """Plans completed or broken, on the day they ended."""
        if not ended:
            return
        await self._connection.execute(
            """
            UPDATE plans SET status = $3, ended_on = e.day FROM unnest($1::uuid[], $2::date[]) AS e(plan_id, day)
            WHERE plans.plan_id = e.plan_id
            """,
            list(ended),
            list(ended.values()),
            status,
        )

    async def close_for_loan(self, loan_id: uuid.UUID, closed_on: date) -> None:
        """The loan left the book: its active plan is no longer followed."""
        await self._connection.execute(
            "UPDATE plans SET status = 'closed', ended_on = $2 WHERE loan_id = $1 AND status = 'active'", loan_id, closed_on
        )

    async def close_all(self, business_date: date) -> None:
        """Every active plan is judged through `business_date` now."""
        await self._connection.execute(
            """
            UPDATE plans SET closed_through = $1
            WHERE status = 'active' AND coalesce(closed_through, activated_on - 1) < $1
            """,
            business_date,
        )


def _books(
    ids: list[uuid.UUID], plan_lines: list[asyncpg.Record], regular: list[asyncpg.Record], reports: list[asyncpg.Record]
) -> dict[uuid.UUID, PlanBook]:
    in_month: dict[tuple[uuid.UUID, int], list[Line]] = {}
    for plan_id, sequence, month, due_date, amount in regular:
        in_month.setdefault((plan_id, month), []).append(Line(LineRef(LineKind.REGULAR, sequence), due_date, amount))
    months: dict[uuid.UUID, list[Month]] = {plan_id: [] for plan_id in ids}
    missed: dict[uuid.UUID, set[int]] = {plan_id: set() for plan_id in ids}
    for plan_id, sequence, due_date, amount, was_missed in plan_lines:
        plan_line = Line(LineRef(LineKind.PLAN, sequence), due_date, amount)
        months[plan_id].append(Month(sequence, due_date, plan_line, tuple(in_month.get((plan_id, sequence), ()))))
        if was_missed:
            missed[plan_id].add(sequence)
    reported: dict[uuid.UUID, list[Report]] = {plan_id: [] for plan_id in ids}
    for plan_id, arrival, payment_id, kind, sequence, value_date, paid, left_after in reports:
        reported[plan_id].append(Report(LineRef(LineKind(kind), sequence), payment_id, value_date, arrival, paid, left_after))
    return {plan_id: PlanBook(tuple(months[plan_id]), tuple(reported[plan_id]), frozenset(missed[plan_id])) for plan_id in ids}
