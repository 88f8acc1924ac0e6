"""Messages that wait for a fact another topic brings (application/waiting.py), on the fakes: a
broken plan's message states the ledger's figures after the break and a cure by closure is
confirmed by the closure's reason, whichever of the two facts comes first; a closed loan is
pressed for nothing, and the borrower of a sold loan is told of the assignment."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from notification.application import handlers
from notification.application.message_facts import purpose_of
from notification.application.waiting import known_after_locking
from notification.domain.messages import StoredMessage
from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import BusinessDayClosed, close_event_id
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import (
    CureReason,
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
)
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted

from .on_fakes import MIDDAY, World, golden

AFTER_BREAK: dict[str, Any] = {"days_past_due": 47, "business_date": date(2026, 6, 18)}


@pytest.fixture
def world() -> World:
    return World()


def ledger_status(loan_id: uuid.UUID) -> OverdueStatusChanged:
    return golden(OverdueStatusChanged, loan_id=loan_id, reasons=(OverdueChangeReason.PLAN_BROKEN,), **AFTER_BREAK)


def broken(loan_id: uuid.UUID) -> PlanBroken:
    return golden(PlanBroken, loan_id=loan_id, plan_id=uuid.uuid4())


def closed(loan_id: uuid.UUID, reason: LoanClosureReason) -> LoanClosed:
    return golden(LoanClosed, loan_id=loan_id, reason=reason, assignee="Hold Co" if reason is LoanClosureReason.SOLD else None)


def upstream(event: Event, event_id: uuid.UUID | None = None) -> Envelope[Any]:
    return wrap(event, producer="upstream", occurred_at=MIDDAY, event_id=event_id)


def statuses(world: World) -> list[tuple[Purpose, str]]:
    return [(row.message.purpose, row.message.status) for row in world.store.messages.values()]


class TestABrokenPlansMessage:
    async def test_waits_for_the_ledgers_status_caused_by_the_break(self, world: World) -> None:
        loan_id = await world.book()
        plan_broken = await world.one(handlers.when_plan_broken_tell_borrower, broken(loan_id))

        assert statuses(world) == [(Purpose.PLAN_BROKEN, "waiting")]
        assert (world.log(loan_id), world.outbox.staged) == ([], {})

        status = world.unit(ledger_status(loan_id), caused_by=plan_broken.envelope)
        await handlers.when_overdue_status_changed_maybe_notify([status], world.notifying)
        [request] = world.requests(loan_id)
        assert (request.purpose, world.log(loan_id)) == (Purpose.PLAN_BROKEN, [("sms", "sent", None)])
        assert "47" in request.body
        assert world.store.locked == {loan_id}
        assert {envelope.causation_id for envelope in world.outbox.staged.values()} == {status.envelope.event_id}

    async def test_is_decided_at_once_when_the_ledgers_status_came_first(self, world: World) -> None:
        loan_id = await world.book()
        event = broken(loan_id)
        plan_broken = upstream(event)
        status = world.unit(ledger_status(loan_id), caused_by=plan_broken)
        await handlers.when_overdue_status_changed_maybe_notify([status], world.notifying)
        await world.one(handlers.when_plan_broken_tell_borrower, event, event_id=plan_broken.event_id)

        assert statuses(world) == [(Purpose.PLAN_BROKEN, "sent")]
        assert "47" in world.requests(loan_id)[0].body

    async def test_an_early_plans_break_is_told_with_the_episode_it_began(self, world: World) -> None:
        loan_id = await world.book()
        plan_broken = await world.one(handlers.when_plan_broken_tell_borrower, broken(loan_id))
        began = world.unit(golden(LoanBecameOverdue, loan_id=loan_id, **AFTER_BREAK), caused_by=plan_broken.envelope)
        await handlers.when_loan_became_overdue_send_notice([began], world.notifying)

        assert statuses(world) == [(Purpose.PLAN_BROKEN, "sent"), (Purpose.OVERDUE_NOTICE, "sent")]

    async def test_a_status_of_another_cause_or_none_is_not_the_ledgers_word_after_it(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_plan_broken_tell_borrower, broken(loan_id))
        await world.many(handlers.when_overdue_status_changed_maybe_notify, ledger_status(loan_id))  # no cause
        payment = upstream(golden(InstallmentDueSoon, loan_id=loan_id))
        status = world.unit(ledger_status(loan_id), caused_by=payment)
        await handlers.when_overdue_status_changed_maybe_notify([status], world.notifying)
        day = date(2026, 2, 16)
        close = upstream(BusinessDayClosed(business_date=day, closed_at=MIDDAY), close_event_id(day))
        began = world.unit(golden(LoanBecameOverdue, loan_id=loan_id), caused_by=close)
        await handlers.when_loan_became_overdue_send_notice([began], world.notifying)

        assert statuses(world) == [(Purpose.PLAN_BROKEN, "waiting"), (Purpose.OVERDUE_NOTICE, "sent")]
        assert list(world.store.ledgers) == [payment.event_id]  # kept, and matches no break; the close's not

    async def test_on_a_closed_loan_is_suppressed_at_once(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.PAID_OFF))
        await world.one(handlers.when_plan_broken_tell_borrower, broken(loan_id))

        assert world.log(loan_id) == [("", "suppressed", "loan_closed")]

    async def test_a_plan_broken_ends_it_and_the_first_break_read_stands(self, world: World) -> None:
        loan_id = await world.book()
        event = broken(loan_id)
        first = await world.one(handlers.when_plan_broken_tell_borrower, event)
        await world.one(handlers.when_plan_broken_tell_borrower, event)  # the same fact again
        await world.one(handlers.when_plan_completed_tell_borrower, golden(PlanCompleted, loan_id=loan_id, plan_id=event.plan_id))

        assert world.store.plans[event.plan_id].broken_by == first.envelope.event_id
        assert statuses(world) == [(Purpose.PLAN_BROKEN, "waiting"), (Purpose.PLAN_COMPLETED, "sent")]


class TestACureByClosure:
    @pytest.mark.parametrize(
        ("reason", "decision"),
        [
            (LoanClosureReason.PAID_OFF, ("sms", "sent", None)),
            (LoanClosureReason.WRITTEN_OFF, ("", "suppressed", "loan_closed")),
        ],
    )
    async def test_waits_for_the_closures_reason(
        self, world: World, reason: LoanClosureReason, decision: tuple[str, str, str | None]
    ) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_loan_cured_confirm, golden(LoanCured, loan_id=loan_id, reason=CureReason.LOAN_CLOSED))
        assert statuses(world) == [(Purpose.CURED_CONFIRMATION, "waiting")]

        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, reason))
        assert world.log(loan_id) == [decision]

    async def test_is_decided_at_once_after_the_closure(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.REFINANCED))
        await world.many(handlers.when_loan_cured_confirm, golden(LoanCured, loan_id=loan_id, reason=CureReason.LOAN_CLOSED))

        assert statuses(world) == [(Purpose.CURED_CONFIRMATION, "sent")]

    async def test_a_cure_by_payment_does_not_wait(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_loan_cured_confirm, golden(LoanCured, loan_id=loan_id, reason=CureReason.PAID))

        assert statuses(world) == [(Purpose.CURED_CONFIRMATION, "sent")]
        assert world.store.locked == set()


class TestAClosure:
    async def test_after_it_nothing_presses_for_payment(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.PAID_OFF))
        await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))

        assert world.log(loan_id) == [("", "suppressed", "loan_closed")]

    async def test_a_sale_is_told_once(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.SOLD))
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.SOLD))

        [request] = world.requests(loan_id)
        assert request.purpose is Purpose.LOAN_ASSIGNED
        assert "Hold Co" in request.body

    async def test_the_first_reason_stands_a_later_sale_tells_nothing(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.PAID_OFF))
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.SOLD))

        assert await world.store.closures({loan_id}) == {loan_id: LoanClosureReason.PAID_OFF}
        assert world.outbox.staged == {}

    async def test_a_later_reason_after_a_sale_tells_nothing_more(self, world: World) -> None:
        """The first closure stands (sold): a later LoanClosed with another reason tells nothing
        more. (Found in issue 19: it made the assignment's message from the later event, whose
        reason calls for none, and raised, so the event was retried and dead-lettered.)"""
        loan_id = await world.book()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.SOLD))
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.PAID_OFF))

        assert len(world.requests(loan_id)) == 1

    async def test_a_sale_of_a_loan_with_no_contact_is_recorded_and_tells_nothing(self, world: World) -> None:
        loan_id = uuid.uuid4()
        await world.one(handlers.when_loan_closed_stop_pressing, closed(loan_id, LoanClosureReason.SOLD))

        assert await world.store.closures({loan_id}) == {loan_id: LoanClosureReason.SOLD}
        assert world.outbox.staged == {}


def message_of(event: Event) -> StoredMessage:
    return StoredMessage(uuid.uuid4(), event.loan_id, purpose_of(event), event, MIDDAY, "held", frozenset(), None)  # type: ignore[attr-defined]


async def test_what_is_known_is_read_under_the_locks_of_the_loans_that_may_wait(world: World) -> None:
    waits, cured, notice = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await world.store.close_loan(cured, LoanClosureReason.PAID_OFF, date(2026, 3, 1))
    messages = [
        message_of(broken(waits)),
        message_of(golden(LoanCured, loan_id=cured, reason=CureReason.LOAN_CLOSED)),
        message_of(golden(LoanBecameOverdue, loan_id=notice)),
    ]
    known = await known_after_locking(world.store, messages)

    assert world.store.locked == {waits, cured}
    assert known.closures == {cured: LoanClosureReason.PAID_OFF}
    assert [known.waits(message) for message in messages] == [True, False, False]
