"""How the loan book's rows read as the domain's objects, and the columns a replay writes back."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.domain.episodes import Untold
from overdue_detection.domain.ledger import ChargePolicy
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from tideover_contracts.common import ContactRef
from tideover_contracts.events.loans import AllocationOrder
from tideover_contracts.events.negotiation import PlanEffect

#: Every column of a line the replay reads and writes back.
INSTALLMENT_COLUMNS = (
    "sequence",
    "due_date",
    "principal",
    "interest",
    "fee",
    "paid_principal",
    "paid_interest",
    "paid_fee",
    "paid_penalty",
    "penalty_basis",
    "accrued_through",
    "plan_id",
    "plan_sequence",
    "rescheduled_by",
    "waived_penalty",
    "waived_interest",
    "waived_fee",
    "rescheduled_principal",
    "rescheduled_interest",
    "rescheduled_fee",
    "rescheduled_penalty",
    "written_off_principal",
    "written_off_interest",
    "written_off_fee",
    "written_off_penalty",
)
#: Their Postgres types, where not numeric.
TYPES = {
    "sequence": "int",
    "due_date": "date",
    "accrued_through": "date",
    "plan_id": "uuid",
    "plan_sequence": "int",
    "rescheduled_by": "uuid",
}


def plan_from_row(row: Any) -> PlanTerms:
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
        plan_id=row["plan_id"],
        ordinal=row["ordinal"],
        effect=PlanEffect(row["effect"]),
        basis_date=row["basis_date"],
        activated_on=row["activated_on"],
        lines=lines,
        waiver={c: Decimal(v) for c, v in waiver.items()},
        outcome=row["outcome"],
        ended_on=row["ended_on"],
    )


def loan_from_row(row: Any) -> LoanRow:
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


def untold_columns(untold: Untold | None) -> tuple[str | None, list[str], str | None, str | None]:
    if untold is None:
        return None, [], None, None
    reasons = [reason.value for reason in untold.reasons]
    return untold.kind, reasons, untold.previous_bucket.value, untold.cure_reason.value
