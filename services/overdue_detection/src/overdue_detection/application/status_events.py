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
from tideover_contracts.common import OverdueAmounts, ScheduledInstallment
from tideover_contracts.envelope import Event, deterministic_id
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
        events = [
            _event(
                unit,
                loans[loan_id],
                decision,
                position,
                business_date,
                principal.get(loan_id, Decimal(0)),
                schedules.get(loan_id, []),
            )
            for loan_id, decision, position in telling
        ]
        await unit.publish_many(events)
    await book.save_episodes(
        [
            (loan_id, d.state.episode, d.state.overdue_since, d.state.bucket.value, d.state.last_reported_on, d.state.paused_days)
            for loan_id, d, _ in decisions
        ]
    )


def _event(
    unit: Unit[Any],
    loan: LoanRow,
    decision: Decision,
    position: Position | None,
    business_date: date,
    outstanding_principal: Decimal,
    schedule: list[tuple[ScheduledInstallment, Decimal]],
) -> tuple[Event, uuid.UUID]:
    """The event a decision tells, with its deterministic id. Events are built with
    model_construct: every value comes from our own ledger, already checked, and a close may
    build tens of thousands of them (the contract tests parse what the service publishes)."""
    outstanding = Money.trusted(outstanding_principal, loan.currency)
    episode = max(decision.state.episode, 1)
    if decision.kind == "cure":
        cured = LoanCured.model_construct(
            loan_id=loan.loan_id, episode=episode, business_date=business_date, reason=decision.cure_reason,
            outstanding_principal=outstanding, contact=loan.contact,
        )  # fmt: skip
        return cured, deterministic_id("LoanCured", loan.loan_id, episode)
    assert position is not None
    remaining = tuple(
        RemainingInstallment.model_construct(installment=item, outstanding=Money.trusted(owed, loan.currency))
        for item, owed in schedule
    )
    fields = _snapshot(loan, decision, position, business_date, outstanding, remaining)
    if decision.kind == "start":
        return LoanBecameOverdue.model_construct(**fields), deterministic_id("LoanBecameOverdue", loan.loan_id, episode)
    # One status per loan and business day from the close; one per payment otherwise.
    cause = "close" if unit.envelope.event_type == "BusinessDayClosed" else unit.envelope.event_id
    changed = OverdueStatusChanged.model_construct(**fields, reasons=decision.reasons, previous_bucket=decision.previous_bucket)
    return changed, deterministic_id("OverdueStatusChanged", loan.loan_id, episode, business_date, cause)


def _snapshot(
    loan: LoanRow,
    decision: Decision,
    position: Position,
    business_date: date,
    outstanding: Money,
    remaining: tuple[RemainingInstallment, ...],
) -> dict[str, Any]:

    def money(amount: Decimal) -> Money:
        return Money.trusted(amount, loan.currency)

    return {
        "loan_id": loan.loan_id,
        "episode": decision.state.episode,
        "business_date": business_date,
        "days_past_due": decision.days_past_due,
        "bucket": decision.state.bucket,
        "oldest_overdue_due_date": position.oldest_due,
        "overdue": OverdueAmounts.model_construct(
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
