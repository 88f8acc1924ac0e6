"""Which messages wait for a fact from another topic, and for which (application/waiting.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest

from notification.application.message_facts import purpose_of
from notification.application.ports import LedgerStatus
from notification.application.waiting import Known, cured_by_closure, may_wait
from notification.domain.messages import StoredMessage
from tideover_contracts.envelope import Event
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.overdue import CureReason, LoanBecameOverdue, LoanCured
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money

EventT = TypeVar("EventT", bound=Event)
LEDGER = LedgerStatus(date(2026, 6, 18), 31, Money.of("712.40", "CNY"))


def golden(kind: type[EventT], **changes: Any) -> EventT:
    event = next(event for event in golden_events() if type(event) is kind)
    return event.model_copy(update=changes)


def message_of(event: Event) -> StoredMessage:
    return StoredMessage(
        notification_id=uuid.uuid4(),
        loan_id=event.loan_id,  # type: ignore[attr-defined]
        purpose=purpose_of(event),
        source=event,
        created_at=datetime(2026, 6, 18, 4, tzinfo=UTC),
        status="held",
        failed_channels=frozenset(),
        channel=None,
    )


NOTHING_KNOWN = Known({}, {})


class TestACureByClosure:
    def test_waits_for_the_closures_reason(self) -> None:
        cure = message_of(golden(LoanCured, reason=CureReason.LOAN_CLOSED))

        assert cured_by_closure(cure)
        assert NOTHING_KNOWN.waits(cure)
        assert Known({uuid.uuid4(): LoanClosureReason.SOLD}, {}).waits(cure)  # another loan's closure
        assert not Known({cure.loan_id: LoanClosureReason.SOLD}, {}).waits(cure)

    @pytest.mark.parametrize("reason", [CureReason.PAID, CureReason.PLAN_COMPLETED])
    def test_a_cure_by_payment_or_plan_does_not_wait(self, reason: CureReason) -> None:
        cure = message_of(golden(LoanCured, reason=reason))

        assert not cured_by_closure(cure)
        assert not NOTHING_KNOWN.waits(cure)


class TestABrokenPlansMessage:
    def test_waits_for_the_ledgers_status_after_the_break(self) -> None:
        broken = message_of(golden(PlanBroken))
        plan_id = golden(PlanBroken).plan_id

        assert NOTHING_KNOWN.waits(broken)
        assert Known({}, {uuid.uuid4(): LEDGER}).waits(broken)  # another plan's
        assert not Known({}, {plan_id: LEDGER}).waits(broken)
        assert Known({}, {plan_id: LEDGER}).ledger_after(broken) == LEDGER
        assert NOTHING_KNOWN.ledger_after(broken) is None

    @pytest.mark.parametrize("reason", list(LoanClosureReason))
    def test_does_not_wait_on_a_closed_loan(self, reason: LoanClosureReason) -> None:
        broken = message_of(golden(PlanBroken))

        assert not Known({broken.loan_id: reason}, {}).waits(broken)


@pytest.mark.parametrize("kind", [LoanBecameOverdue, PlanCompleted])
def test_other_messages_never_wait(kind: type[Event]) -> None:
    message = message_of(golden(kind))

    assert not may_wait(message)
    assert not NOTHING_KNOWN.waits(message)
