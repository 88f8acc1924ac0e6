"""What a plan does to the loan's ledger (DESIGN.md §3a), as of the day it is activated.

- `arrears`: the lines overdue on the offer's basis date (due before it) are re-dated into the
  plan's lines; regular installments due from that date on keep their dates and amounts.
- `reschedule`: the plan's lines replace every line with anything left.

Either way the plan's waiver is recorded on the lines it covers, what the plan takes over is
recorded as `rescheduled` on them (a line with nothing left is `rescheduled_by` the plan), and
the plan's own lines charge it again. Nothing is settled: a plan line is owed until paid.

The offer honours its quote: penalty accrued on the covered lines since the basis date is waived
(reason `quote_honoured`), and payments value-dated since the basis date count toward the plan's
first month (domain/replay.py applies them just after the activation). Should a payment
value-dated before the basis date arrive after the quote, so that the plan asks for more of a
component than the covered lines owe, the plan's first lines ask for that much less; should it
ask for less (a quote made on a stale position), the rest stays owed on the old line under its
own date — principal is never created or lost by a plan.

A broken plan is undone from the day it was activated (its waiver reinstated, every payment
applied again to the loan's own installments); domain/replay.py leaves it out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from overdue_detection.domain.ledger import ZERO, Installment, oldest_first
from overdue_detection.domain.statuses import PlanOutcome
from tideover_contracts.events.negotiation import PlanEffect

#: A plan's lines are numbered 1000 × the plan's ordinal + their own sequence (loans have fewer
#: than 1000 installments), so that every line of a loan has one sequence.
PLAN_LINE_BASE = 1000


@dataclass(frozen=True)
class PlanLine:
    sequence: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal


@dataclass(frozen=True)
class PlanTerms:
    """A plan as the ledger knows it: from PlanActivated, and how it ended."""

    plan_id: uuid.UUID
    ordinal: int  # 1, 2, ... per loan, in activation order
    effect: PlanEffect
    basis_date: date
    activated_on: date
    lines: tuple[PlanLine, ...]
    waiver: dict[str, Decimal]  # penalty, interest, fee
    outcome: str = PlanOutcome.ACTIVE
    ended_on: date | None = None

    @property
    def in_force(self) -> bool:
        """A broken plan is undone; every other one took effect on its activation day."""
        return self.outcome != PlanOutcome.BROKEN


@dataclass(frozen=True)
class Waived:
    """What a plan's activation waived, by component (principal is never waived)."""

    plan: dict[str, Decimal]
    quote_honoured: dict[str, Decimal]


def covered(lines: tuple[Installment, ...], plan: PlanTerms, day_count: int) -> list[Installment]:
    """The lines the plan re-dates (arrears) or replaces (reschedule), oldest first."""
    live = [line for line in lines if line.rescheduled_by is None and line.outstanding(day_count) > 0]
    if plan.effect == PlanEffect.ARREARS:  # overdue on the basis date: due before it
        live = [line for line in live if line.due_date < plan.basis_date]
    return sorted(live, key=oldest_first)


def _spread(lines: list[Installment], prefix: str, component: str, amount: Decimal, day_count: int) -> list[Installment]:
    """`amount` of `component` recorded as `prefix` on the lines, oldest first, never beyond what each owes."""
    spread = []
    for line in lines:
        part = min(amount, line.owed(day_count)[component])
        amount -= part
        spread.append(line.moved(prefix, {component: part}))
    assert amount == 0, f"{amount} of {component} left to record as {prefix}"
    return spread


def _plan_lines(plan: PlanTerms, short: dict[str, Decimal], day_count: int) -> list[Installment]:
    """The plan's lines, each component less what was already paid toward it (`short`), first lines first."""
    left = dict(short)
    made = []
    for line in plan.lines:
        amounts = {c: getattr(line, c) for c in ("principal", "interest", "fee", "penalty")}
        for component, amount in amounts.items():
            cut = min(amount, left[component])
            amounts[component] = amount - cut
            left[component] -= cut
        made.append(
            Installment(
                sequence=PLAN_LINE_BASE * plan.ordinal + line.sequence,
                due_date=line.due_date,
                principal=amounts["principal"],
                interest=amounts["interest"],
                fee=amounts["fee"],
                # A plan line charges its penalty as stated: basis / day count gives it back exactly.
                penalty_basis=amounts["penalty"] * day_count,
                plan_id=plan.plan_id,
                plan_sequence=line.sequence,
            )
        )
    return made


def activate(lines: tuple[Installment, ...], plan: PlanTerms, day_count: int) -> tuple[tuple[Installment, ...], Waived]:
    """The ledger's lines once `plan` is in force, and what its activation waived."""
    scope = covered(lines, plan, day_count)
    owed = {c: sum((line.owed(day_count)[c] for line in scope), start=ZERO) for c in ("principal", "interest", "fee", "penalty")}
    asked = {c: sum((getattr(line, c) for line in plan.lines), start=ZERO) for c in owed}
    waived = {c: min(plan.waiver.get(c, ZERO), owed[c]) for c in ("penalty", "interest", "fee")}
    taken, short, honoured = {}, {}, {}
    for component, owed_now in owed.items():
        after_waiver = owed_now - waived.get(component, ZERO)
        taken[component] = min(asked[component], after_waiver)
        if plan.effect == PlanEffect.RESCHEDULE and component in ("interest", "fee"):
            # The plan's interest and fees replace the old schedule's: none of the old stays owed.
            taken[component] = after_waiver
        short[component] = max(ZERO, asked[component] - after_waiver)
        if component == "penalty":
            honoured[component] = after_waiver - taken[component]
    for component, amount in waived.items():
        scope = _spread(scope, "waived", component, amount, day_count)
    scope = _spread(scope, "waived", "penalty", honoured["penalty"], day_count)
    for component, amount in taken.items():
        scope = _spread(scope, "rescheduled", component, amount, day_count)
    scope = [replace(line, rescheduled_by=plan.plan_id) if line.outstanding(day_count) == 0 else line for line in scope]
    changed = {line.sequence: line for line in scope}
    if plan.effect == PlanEffect.RESCHEDULE:
        short["interest"] = short["fee"] = ZERO  # the plan's interest and fees are charged as stated
    merged = tuple(changed.get(line.sequence, line) for line in lines) + tuple(_plan_lines(plan, short, day_count))
    return merged, Waived(plan=waived, quote_honoured={"penalty": honoured["penalty"], "interest": ZERO, "fee": ZERO})
