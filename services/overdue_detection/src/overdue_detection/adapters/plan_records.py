"""The loan book's plans, their pauses and the acts they record, in Postgres."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.domain.plan_effects import PlanTerms
from tideover_runtime.database import Connection


class PlanRecords:
    """Part of adapters/loan_book.py LoanBook: a plan in force, its end, the messages kept until
    the other topic is read, the acts, the pauses."""

    _connection: Connection

    async def add_plan(self, loan_id: uuid.UUID, plan: PlanTerms) -> bool:
        """Record a plan in force (ordinal: the loan's next); False when it was recorded before."""
        lines = [
            {
                "sequence": line.sequence,
                "due_date": line.due_date.isoformat(),
                **{c: str(getattr(line, c)) for c in ("principal", "interest", "fee", "penalty")},
            }
            for line in plan.lines
        ]
        inserted = await self._connection.fetchval(
            """
            INSERT INTO plans (plan_id, loan_id, ordinal, effect, basis_date, activated_on, waiver, lines)
            SELECT $1, $2, coalesce(max(ordinal), 0) + 1, $3, $4, $5, $6::jsonb, $7::jsonb FROM plans WHERE loan_id = $2
            ON CONFLICT (plan_id) DO NOTHING RETURNING true
            """,
            plan.plan_id,
            loan_id,
            plan.effect.value,
            plan.basis_date,
            plan.activated_on,
            json.dumps({c: str(v) for c, v in plan.waiver.items()}),
            json.dumps(lines),
        )
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
        self,
        act_id: uuid.UUID,
        loan_id: uuid.UUID,
        plan_id: uuid.UUID | None,
        kind: str,
        reason: str,
        status: str,
        business_date: date,
        amounts: dict[str, Decimal],
    ) -> None:
        """A waiver or a write-off as recorded, once: an act is never rewritten (tideover-reconcile
        compares the ledger's lines with the acts, so a replay that moved a waiver shows)."""
        await self._connection.execute(
            """
            INSERT INTO ledger_acts (act_id, loan_id, plan_id, kind, reason, status, business_date,
                                     principal, interest, fee, penalty)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (act_id) DO NOTHING
            """,
            act_id,
            loan_id,
            plan_id,
            kind,
            reason,
            status,
            business_date,
            *(amounts.get(c, Decimal(0)) for c in ("principal", "interest", "fee", "penalty")),
        )

    async def acts(self, plan_id: uuid.UUID, status: str) -> list[Any]:
        return await self._connection.fetch(
            "SELECT * FROM ledger_acts WHERE plan_id = $1 AND status = $2 ORDER BY reason", plan_id, status
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

    async def open_pauses(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
        """open_pause of many loans at once: those with a pause open, and since when."""
        rows = await self._connection.fetch(
            "SELECT loan_id, start_date FROM pauses WHERE loan_id = ANY($1::uuid[]) AND end_date IS NULL", loan_ids
        )
        return {row["loan_id"]: row["start_date"] for row in rows}
