"""One negotiation per loan at a time (DESIGN.md §3a, §4 "one plan"): no new hardship application
while the loan has a plan in force or an application still open. A second is refused with the
rule that refused it and the application or plan in the way, never by a database error."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from negotiation_intake.domain.application_state import State

#: An application is open until it comes to an end: the borrower accepted or declined the plan,
#: its offer expired, it was withdrawn, or no plan could be offered.
ENDED = frozenset({State.ACCEPTED, State.DECLINED, State.EXPIRED, State.WITHDRAWN, State.REJECTED})
OPEN = frozenset(State) - ENDED


@dataclass(frozen=True)
class SecondNegotiation:
    """Why a new application is refused: the rule, a sentence, and what stands in the way."""

    rule: str
    message: str
    names: dict[str, str] = field(default_factory=dict)


def refusal_to_open(
    loan_id: uuid.UUID, applications: Iterable[tuple[uuid.UUID, State]], active_plan_id: uuid.UUID | None
) -> SecondNegotiation | None:
    """Why no application may be opened on the loan now, or None. A plan in force comes first:
    withdrawing an open application would not make room for another."""
    if active_plan_id is not None:
        return SecondNegotiation(
            "plan_active",
            f"loan {loan_id} has plan {active_plan_id} in force; a new application can be opened once it ends",
            {"plan_id": str(active_plan_id)},
        )
    for application_id, state in applications:
        if state in OPEN:
            return SecondNegotiation(
                "application_open",
                f"loan {loan_id} already has application {application_id} open ({state.value}); "
                "finish or withdraw it before opening another",
                {"application_id": str(application_id), "application_state": state.value},
            )
    return None
