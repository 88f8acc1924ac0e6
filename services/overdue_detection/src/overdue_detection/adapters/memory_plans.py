"""Part of the in-memory loan book (adapters/memory.py): plans, their pauses, the acts they
record and the messages kept until the other topic is read, as adapters/plan_records.py keeps them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.domain.ledger import COMPONENTS
from overdue_detection.domain.plan_effects import PlanTerms
from overdue_detection.domain.statuses import PlanOutcome


class MemoryPlanRecords:
    def __init__(self) -> None:
        self.plans: dict[uuid.UUID, tuple[uuid.UUID, PlanTerms]] = {}  # by plan: (loan, terms)
        self.pauses: dict[uuid.UUID, dict[date, date | None]] = {}  # by loan: start -> end
        self.ledger_acts: dict[uuid.UUID, dict[str, Any]] = {}  # the columns of table ledger_acts
        self.plan_ends_waiting: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
        self.activations_waiting: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}

    async def add_plan(self, loan_id: uuid.UUID, plan: PlanTerms) -> bool:
        if plan.plan_id in self.plans:
            return False
        if await self.active_plan(loan_id) is not None:
            raise ValueError(f"loan {loan_id} has a plan in force")  # the index one_active_plan_per_loan
        ordinal = max((p.ordinal for owner, p in self.plans.values() if owner == loan_id), default=0) + 1
        self.plans[plan.plan_id] = (loan_id, replace(plan, ordinal=ordinal, outcome=PlanOutcome.ACTIVE, ended_on=None))
        return True

    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None:
        return next((p.plan_id for owner, p in self.plans.values() if owner == loan_id and p.outcome == PlanOutcome.ACTIVE), None)

    async def wait_for_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None:
        self.plan_ends_waiting.setdefault(plan_id, (loan_id, envelope))

    async def waiting_end(self, plan_id: uuid.UUID) -> str | None:
        waiting = self.plan_ends_waiting.pop(plan_id, None)
        return waiting[1] if waiting else None

    async def hold_activation(self, plan_id: uuid.UUID, loan_id: uuid.UUID, envelope: str) -> None:
        self.activations_waiting.setdefault(plan_id, (loan_id, envelope))

    async def held_activations(self, loan_id: uuid.UUID) -> list[str]:
        held = [plan_id for plan_id, (owner, _) in self.activations_waiting.items() if owner == loan_id]
        return [self.activations_waiting.pop(plan_id)[1] for plan_id in held]

    async def plan_outcome(self, plan_id: uuid.UUID) -> str | None:
        return self.plans[plan_id][1].outcome if plan_id in self.plans else None

    async def end_plan(self, plan_id: uuid.UUID, outcome: str, ended_on: date) -> bool:
        if plan_id not in self.plans or self.plans[plan_id][1].outcome != PlanOutcome.ACTIVE:
            return False
        loan_id, plan = self.plans[plan_id]
        self.plans[plan_id] = (loan_id, replace(plan, outcome=outcome, ended_on=ended_on))
        return True

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
        self.ledger_acts.setdefault(
            act_id,
            {
                "act_id": act_id,
                "loan_id": loan_id,
                "plan_id": plan_id,
                "kind": kind,
                "reason": reason,
                "status": status,
                "business_date": business_date,
                **{c: amounts.get(c, Decimal(0)) for c in COMPONENTS},
            },
        )

    async def acts(self, plan_id: uuid.UUID, status: str) -> list[Any]:
        found = [act for act in self.ledger_acts.values() if act["plan_id"] == plan_id and act["status"] == status]
        return sorted(found, key=lambda act: act["reason"])

    async def start_pause(self, loan_id: uuid.UUID, start: date) -> None:
        self.pauses.setdefault(loan_id, {}).setdefault(start, None)

    async def end_pause(self, loan_id: uuid.UUID, end: date) -> int:
        pauses = self.pauses.get(loan_id, {})
        open_ = [start for start, until in pauses.items() if until is None]
        for start in open_:
            pauses[start] = end
        return max((end - open_[0]).days, 0) if open_ else 0

    async def open_pause(self, loan_id: uuid.UUID) -> date | None:
        return next((start for start, end in self.pauses.get(loan_id, {}).items() if end is None), None)

    async def open_pauses(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
        return {loan_id: start for loan_id in loan_ids if (start := await self.open_pause(loan_id)) is not None}
