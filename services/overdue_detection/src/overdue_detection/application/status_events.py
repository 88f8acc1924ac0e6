"""Turn episode decisions into `overdue.status.v1` events, for many loans at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import EnvelopeFacts, LoanBook, StatusEvent
from overdue_detection.domain.episodes import Decision, Position
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_runtime.unit import Unit

_EVENT_TYPES = {"start": LoanBecameOverdue.event_type, "change": OverdueStatusChanged.event_type, "cure": LoanCured.event_type}
_NOTHING = Position(None, Decimal(0), Decimal(0), Decimal(0), Decimal(0))


#: (loan, what was decided, its position, the event that caused it)
Decided = tuple[uuid.UUID, Decision, Position | None, Unit[Any]]


async def publish_decisions(book: LoanBook, business_date: date, decisions: Sequence[Decided]) -> None:
    """Stage the events of every decision that says something, and store every episode state."""
    if not decisions:
        return
    events = [
        _status_event(cause, loan_id, decision, position or _NOTHING, business_date)
        for loan_id, decision, position, cause in decisions
        if decision.kind != "none"
    ]
    first = decisions[0][3]
    await book.stage_status_events(business_date, events, EnvelopeFacts(first.producer, first.clock.now()))
    await book.save_episodes([(loan_id, decision.state) for loan_id, decision, _, _ in decisions])


def _status_event(
    unit: Unit[Any], loan_id: uuid.UUID, decision: Decision, position: Position, business_date: date
) -> StatusEvent:
    event_type = _EVENT_TYPES[decision.kind]
    episode = max(decision.state.episode, 1)
    if decision.kind == "change":
        # One status per loan and business day from the close; one per payment otherwise.
        cause = "close" if isinstance(unit.event, BusinessDayClosed) else unit.envelope.event_id
        event_id = deterministic_id(event_type, loan_id, episode, business_date, cause)
    else:
        event_id = deterministic_id(event_type, loan_id, episode)
    return StatusEvent(
        event_id=event_id,
        event_type=event_type,
        loan_id=loan_id,
        episode=episode,
        days_past_due=decision.days_past_due,
        bucket=decision.state.bucket.value,
        oldest_due=position.oldest_due,
        principal=position.principal,
        interest=position.interest,
        fee=position.fee,
        penalty=position.penalty,
        reasons=[reason.value for reason in decision.reasons],
        previous_bucket=decision.previous_bucket.value,
        cure_reason=decision.cure_reason.value,
        correlation_id=unit.envelope.correlation_id,
        causation_id=unit.envelope.event_id,
    )
