"""What the use cases share: a loan locked, its ledger replayed and stored, what changed told."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from overdue_detection.application.ledger_events import repayment_applied
from overdue_detection.application.ports import Overdue
from overdue_detection.application.status_events import Decided, publish_decisions
from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, Untold, decide, settled_quietly, told
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.common import Bucket
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events.overdue import CureReason, OverdueChangeReason, RepaymentApplied
from tideover_runtime.unit import RejectEvent, Unit, publish_each


async def locked_loan(ctx: Overdue, loan_id: uuid.UUID) -> LoanRow:
    loan = (await ctx.book.lock([loan_id])).get(loan_id)
    if loan is None:
        raise RejectEvent(f"unknown loan {loan_id}")
    return loan


async def publish_applied(unit: Unit[Any], loan: LoanRow, ledger: Ledger, new: set[str] | None = None) -> None:
    """Stage what each payment covered (applied_events) in one round trip."""
    await publish_each(applied_events(unit, loan, ledger, new))


def applied_events(
    unit: Unit[Any], loan: LoanRow, ledger: Ledger, new: set[str] | None = None
) -> list[tuple[Unit[Any], Event, uuid.UUID]]:
    """What each payment covered, as the ledger applied it (DESIGN.md §3a). Payments taken in
    order change no earlier one: only the `new` are told. Anything else (a payment value-dated
    before another, a plan's activation or end, a write-off) may apply every payment anew, so
    every one is told again; a statement the ledger made before is not repeated (its event id
    comes from the payment and what the ledger was replayed from)."""
    payments = ledger.payments
    if new is not None:
        in_order = [p.payment_id for p in payments[-len(new) :]] if new else []
        if set(in_order) == new and not ledger.waivers:
            payments = tuple(p for p in payments if p.payment_id in new)
    return [
        (
            unit,
            repayment_applied(loan.loan_id, loan.currency, applied),
            deterministic_id(RepaymentApplied.event_type, applied.payment_id, ledger.version),
        )
        for applied in payments
    ]


async def rebuild(
    ctx: Overdue,
    loans: dict[uuid.UUID, LoanRow],
    causes: dict[uuid.UUID, tuple[Unit[Any], Trigger]],
    business_date: date | None,
    quietly: bool = False,
) -> dict[uuid.UUID, Ledger]:
    """Replay each loan's ledger from everything that happened to it (domain/replay.py), store
    it, and tell what changed as of the last closed business day (on a day settled quietly: keep
    it untold)."""
    if not loans:
        return {}
    parts = await ctx.book.ledgers(list(loans))
    ledgers = {}
    for loan_id, loan in loans.items():
        p = parts[loan_id]
        ledgers[loan_id] = replay(
            p.installments, p.payments, business_date, loan.policy, loan.allocation_order, p.pauses, p.plans, p.write_offs
        )
    # Only the loan's own installments the replay changed are written; a plan's lines are written anew.
    changed = {
        loan_id: (
            tuple(i for i in ledger.installments if i.plan_id is not None or i not in parts[loan_id].installments),
            ledger.credit,
        )
        for loan_id, ledger in ledgers.items()
    }
    await ctx.book.save_ledgers(changed, {loan_id for loan_id in ledgers if parts[loan_id].plans})
    if business_date is None:
        return ledgers  # no business day closed yet: nothing can be overdue
    decisions: list[Decided] = []
    for row in await ctx.book.positions(business_date, list(loans)):
        unit, trigger = causes[row["loan_id"]]
        decisions.append(decide_row(row, business_date, trigger, unit, quietly))
    await publish_decisions(ctx.book, business_date, decisions)
    return ledgers


def decide_row(row: Any, business_date: date, trigger: Trigger, cause: Unit[Any], quietly: bool = False) -> Decided:
    """What the loan's episode does on `business_date`: told (with what waited untold), or, on a
    day settled quietly, kept untold (domain/episodes.py)."""
    state = EpisodeState(
        row["episode"], row["overdue_since"], Bucket(row["bucket"]), row["last_reported_on"], row["paused_days"], _untold(row)
    )
    position = Position(row["oldest_due"], row["principal"], row["interest"], row["fee"], row["penalty"], row["paused_days"])
    decision = decide(state, position, business_date, trigger)
    decision = settled_quietly(state, decision) if quietly else told(state, decision, business_date, trigger)
    return row["loan_id"], decision, position, cause


def _untold(row: Any) -> Untold | None:
    if row["untold_kind"] is None:
        return None
    return Untold(
        row["untold_kind"],
        tuple(OverdueChangeReason(reason) for reason in row["untold_reasons"]),
        Bucket(row["untold_previous_bucket"]),
        CureReason(row["untold_cure_reason"]),
    )
