"""The business-day close in Postgres, set-based: one UPDATE accrues penalty on every overdue
installment and one query reads every loan whose position may have changed; no loop over loans."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from overdue_detection.adapters.ledger_sql import ACCRUES, OWED, PENALTY_BASE, owed, paused_days
from overdue_detection.adapters.loan_rows import untold_columns
from overdue_detection.adapters.status_outbox import stage_status_events
from overdue_detection.application.ports import EnvelopeFacts, StatusEvent
from overdue_detection.domain.episodes import EpisodeState
from tideover_contracts.common import ScheduledInstallment
from tideover_contracts.money import Money
from tideover_runtime.clock import tell_close
from tideover_runtime.database import Connection

#: The day after which an installment's penalty is yet to be counted.
SINCE = "greatest(i.due_date, coalesce(i.accrued_through, i.due_date))"
#: Implied by OWED > 0 (every deduction is ≥ 0, and a line with no basis charges no penalty), and the
#: predicate of the index of installments by due date (migration 0009): said beside OWED > 0 so
#: that Postgres reads those due on a few days through it, not the whole book.
OWING = "(i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee OR i.penalty_basis > 0)"


class ClosingQueries:
    """Part of adapters/loan_book.py LoanBook: the calendar, the close and what it tells."""

    _connection: Connection

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
        # The close reads a few percent of the book, by key: tell the planner that a page read at
        # random costs little more than one read in sequence (the book is cached, or on SSD), for
        # the rest of this transaction.
        await self._connection.execute("SET LOCAL random_page_cost = 1.1")
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
        if loan_ids is None:
            # The candidates first, then their positions by key: asked in one statement, Postgres
            # guesses several times more candidates than there are and scans the whole book of
            # loans for them (3.1 s instead of 1.6 s for both on a 1,000,000-loan book, 50,000 overdue).
            loan_ids = [
                row["loan_id"]
                for row in await self._connection.fetch(
                    """
                    SELECT DISTINCT i.loan_id FROM installments i
                    WHERE i.due_date < $1 AND i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
                      AND i.rescheduled_by IS NULL
                    UNION SELECT loan_id FROM loans WHERE overdue_since IS NOT NULL OR untold_kind IS NOT NULL
                    """,
                    business_date,
                )
            ]
        return await self._connection.fetch(
            f"""
            SELECT l.loan_id, l.currency, l.episode, l.overdue_since, l.bucket, l.last_reported_on,
                   l.untold_kind, l.untold_reasons, l.untold_previous_bucket, l.untold_cure_reason,
                   o.oldest_due, coalesce(o.principal, 0) AS principal, coalesce(o.interest, 0) AS interest,
                   coalesce(o.fee, 0) AS fee, coalesce(o.penalty, 0) AS penalty,
                   -- Days past due leave out the days under a plan after the oldest unpaid due date, and
                   -- only those (a pause covers the days after its start, before its end: domain Pause).
                   CASE WHEN o.oldest_due IS NULL THEN 0 ELSE {paused_days("o.oldest_due", "$1")} END::int AS paused_days
            FROM unnest($2::uuid[]) AS c(loan_id) JOIN loans l USING (loan_id)
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
                sequence=r["sequence"],
                due_date=r["due_date"],
                principal=Money.trusted(r["principal"], currency),
                interest=Money.trusted(r["interest"], currency),
                fee=Money.trusted(r["fee"], currency),
            )
            schedules[r["loan_id"]].append((installment, r["owed"]))
        return schedules

    async def save_episodes(self, states: list[tuple[uuid.UUID, EpisodeState]]) -> None:
        """Each loan's episode state, what waits untold with it, for many loans at once."""
        if not states:
            return
        rows = [
            (
                loan_id,
                state.episode,
                state.overdue_since,
                state.bucket.value,
                state.last_reported_on,
                state.paused_days,
                *untold_columns(state.untold),
            )
            for loan_id, state in states
        ]
        columns = [list(column) for column in zip(*rows, strict=True)]
        # One statement for every loan; the reasons (text[] each) travel as one comma-joined text.
        columns[7] = [",".join(reasons) for reasons in columns[7]]
        await self._connection.execute(
            """
            UPDATE loans l
            SET episode = s.episode, overdue_since = s.overdue_since, bucket = s.bucket,
                last_reported_on = s.last_reported_on, paused_days = s.paused_days, untold_kind = s.untold_kind,
                untold_reasons = string_to_array(s.untold_reasons, ','), untold_previous_bucket = s.untold_previous_bucket,
                untold_cure_reason = s.untold_cure_reason
            FROM unnest($1::uuid[], $2::int[], $3::date[], $4::text[], $5::date[], $6::int[], $7::text[], $8::text[],
                        $9::text[], $10::text[])
                AS s(loan_id, episode, overdue_since, bucket, last_reported_on, paused_days, untold_kind, untold_reasons,
                     untold_previous_bucket, untold_cure_reason)
            WHERE l.loan_id = s.loan_id
            """,
            *columns,
        )

    async def tell_close(self, business_date: date) -> date | None:
        return await tell_close(self._connection, business_date)

    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None:
        await stage_status_events(self._connection, business_date, events, facts)

    async def due_soon(self, business_date: date, days_before: tuple[int, ...], since: date | None = None) -> list[Any]:
        """The installments to remind of at `business_date`: those `days_before` it, and those
        whose reminder day fell on a day settled quietly from `since` on and that are still
        ahead (reminded once, with the days left)."""
        # The due dates reminded of, listed: Postgres reads those days through the index.
        first = since or business_date
        told = range((business_date - first).days + 1)
        due_dates = sorted({first + timedelta(days=day + before) for day in told for before in days_before if before > 0})
        return await self._connection.fetch(
            f"""
            SELECT i.loan_id, i.sequence, i.due_date, (i.due_date - $1) AS days_before, {OWED} AS amount_due,
                   l.currency, l.contact
            FROM installments i JOIN loans l USING (loan_id)
            WHERE l.status = 'active' AND NOT l.under_plan AND i.due_date > $1 AND i.due_date = ANY($2::date[])
              AND {OWED} > 0 AND {OWING}
            """,
            business_date,
            due_dates,
        )
