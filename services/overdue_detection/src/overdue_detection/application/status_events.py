"""Turn episode decisions into `overdue.status.v1` events, for many loans at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import LoanBook
from overdue_detection.domain.episodes import Decision, Position
from overdue_detection.domain.loan import LoanRow
from tideover_contracts.common import OverdueAmounts
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged, RemainingInstallment
from tideover_contracts.money import Money
from tideover_runtime.consumer import Unit


async def publish_decisions(
    unit: Unit[Any], book: LoanBook, business_date: date, decisions: Sequence[tuple[uuid.UUID, Decision, Position | None]]
) -> None:
    """Stage the events of every decision that says something, and store every episode state."""
    telling = [(loan_id, decision, position) for loan_id, decision, position in decisions if decision.kind != "none"]
    if telling:
        ids = [loan_id for loan_id, _, _ in telling]
        loans, schedules, principal = (
            await book.loans(ids),
            await book.remaining_schedules(ids),
            await book.outstanding_principal(ids),
        )
        for loan_id, decision, position in telling:
            loan = loans[loan_id]
            outstanding = Money.of(principal.get(loan_id, 0), loan.currency)
            if decision.kind == "cure":
                await _publish_cure(unit, loan, decision, business_date, outstanding)
                continue
            assert position is not None
            remaining = tuple(
                RemainingInstallment(installment=item, outstanding=Money.of(owed, loan.currency))
                for item, owed in schedules.get(loan_id, [])
            )
            fields = _snapshot(loan, decision, position, business_date, outstanding, remaining)
            if decision.kind == "start":
                event_id = deterministic_id("LoanBecameOverdue", loan_id, decision.state.episode)
                await unit.publish(LoanBecameOverdue(**fields), event_id=event_id)
            else:
                # One status per loan and business day from the close; one per payment otherwise.
                cause = "close" if unit.envelope.event_type == "BusinessDayClosed" else unit.envelope.event_id
                event_id = deterministic_id("OverdueStatusChanged", loan_id, decision.state.episode, business_date, cause)
                event = OverdueStatusChanged(**fields, reasons=decision.reasons, previous_bucket=decision.previous_bucket)
                await unit.publish(event, event_id=event_id)
    await book.save_episodes(
        [
            (loan_id, d.state.episode, d.state.overdue_since, d.state.bucket.value, d.state.last_reported_on, d.state.paused_days)
            for loan_id, d, _ in decisions
        ]
    )


def _snapshot(
    loan: LoanRow,
    decision: Decision,
    position: Position,
    business_date: date,
    outstanding: Money,
    remaining: tuple[RemainingInstallment, ...],
) -> dict[str, Any]:

    def money(amount: Decimal) -> Money:
        return Money.of(amount, loan.currency)

    return {
        "loan_id": loan.loan_id,
        "episode": decision.state.episode,
        "business_date": business_date,
        "days_past_due": decision.days_past_due,
        "bucket": decision.state.bucket,
        "oldest_overdue_due_date": position.oldest_due,
        "overdue": OverdueAmounts(
            principal=money(position.principal),
            interest=money(position.interest),
            fee=money(position.fee),
            penalty=money(position.penalty),
            total=money(position.total),
        ),
        "outstanding_principal": outstanding,
        "contract_rate": loan.policy.contract_rate,
        "overdue_rate": loan.policy.overdue_rate,
        "charges_cap_applied": loan.policy.cap_binds,
        "under_plan": loan.under_plan,
        "remaining_schedule": remaining,
        "contact": loan.contact,
    }


async def _publish_cure(unit: Unit[Any], loan: LoanRow, decision: Decision, business_date: date, outstanding: Money) -> None:
    episode = max(decision.state.episode, 1)
    await unit.publish(
        LoanCured(
            loan_id=loan.loan_id,
            episode=episode,
            business_date=business_date,
            reason=decision.cure_reason,
            outstanding_principal=outstanding,
            contact=loan.contact,
        ),
        event_id=deterministic_id("LoanCured", loan.loan_id, episode),
    )
