"""When the borrower may next be pressed for payment (application/contact_window.py), on the
fake store: the contact rules asked of an overdue notice that would go now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from notification.adapters.memory import MemoryNotificationStore
from notification.adapters.templates import render
from notification.application.contact_window import contact_window, contact_windows
from notification.application.ports import Notifying, StatusChange
from notification.domain.contact_rules import Outcome
from notification.domain.messages import StoredMessage
from notification.domain.statuses import MessageStatus
from tideover_contracts.common import Channel
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events, loan_booked

EVENING = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing: quiet hours
MORNING = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Beijing: they end
MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


async def booked() -> tuple[Notifying, uuid.UUID]:
    store = MemoryNotificationStore()
    loan = loan_booked(loan_id=uuid.uuid4())
    await store.add_contact(loan)
    return Notifying(store, render), loan.loan_id


async def sent_today(notifying: Notifying, loan_id: uuid.UUID, count: int) -> None:
    """`count` overdue notices sent by SMS this morning."""
    source = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    for minute in range(count):
        message = StoredMessage(
            uuid.uuid4(), loan_id, Purpose.OVERDUE_NOTICE, source, MORNING, MessageStatus.HELD, frozenset(), None
        )
        await notifying.store.add_messages([message])
        at = MORNING + timedelta(minutes=minute)
        await notifying.store.set_statuses(
            [StatusChange(message.notification_id, MessageStatus.SENT, channel=Channel.SMS, sent_at=at)]
        )


async def test_at_midday_the_borrower_may_be_contacted_now_by_sms() -> None:
    notifying, loan_id = await booked()
    decision = await contact_window(notifying, loan_id, MIDDAY)
    assert decision is not None
    assert (decision.outcome, decision.channel, decision.until, decision.rule) == (Outcome.SEND, Channel.SMS, None, None)


async def test_in_quiet_hours_the_window_opens_at_eight_local_time() -> None:
    notifying, loan_id = await booked()
    decision = await contact_window(notifying, loan_id, EVENING)
    assert decision is not None
    assert (decision.outcome, decision.until, decision.rule) == (Outcome.HOLD, MORNING, "quiet_hours")


async def test_after_the_days_limit_the_window_opens_the_next_morning() -> None:
    notifying, loan_id = await booked()
    await sent_today(notifying, loan_id, 3)  # CN: 3 SMS a day that press for payment
    decision = await contact_window(notifying, loan_id, MIDDAY)
    assert decision is not None
    assert (decision.outcome, decision.until, decision.rule) == (Outcome.HOLD, MORNING + timedelta(days=1), "daily_limit")


async def test_under_a_plan_or_once_closed_nobody_presses_for_payment() -> None:
    notifying, loan_id = await booked()
    await notifying.store.note_plan(uuid.uuid4(), loan_id, started=True)
    decision = await contact_window(notifying, loan_id, MIDDAY)
    assert decision is not None
    assert (decision.outcome, decision.rule) == (Outcome.SUPPRESS, "plan_active")

    notifying, loan_id = await booked()
    await notifying.store.close_loan(loan_id, LoanClosureReason.PAID_OFF, MIDDAY.date())
    decision = await contact_window(notifying, loan_id, MIDDAY)
    assert decision is not None
    assert (decision.outcome, decision.rule) == (Outcome.SUPPRESS, "loan_closed")


async def test_a_loan_whose_contact_is_unknown_has_no_window() -> None:
    notifying, _ = await booked()
    assert await contact_window(notifying, uuid.uuid4(), MIDDAY) is None


async def test_many_loans_windows_at_once_are_each_loans_own_in_the_order_asked() -> None:
    """The work queue's page asks for every loan at once (issue 20, finding 9): each loan's
    window is the one it is asked for alone; a loan whose contact is unknown is left out."""
    notifying, free = await booked()
    store = notifying.store
    busy, planned = loan_booked(loan_id=uuid.uuid4()), loan_booked(loan_id=uuid.uuid4())
    for loan in (busy, planned):
        await store.add_contact(loan)
    await sent_today(notifying, busy.loan_id, 3)
    await store.note_plan(uuid.uuid4(), planned.loan_id, started=True)
    unknown = uuid.uuid4()
    asked = [planned.loan_id, unknown, busy.loan_id, free, planned.loan_id]
    windows = await contact_windows(notifying, asked, MIDDAY)
    assert list(windows) == [planned.loan_id, busy.loan_id, free]
    assert [(w.outcome, w.rule) for w in windows.values()] == [
        (Outcome.SUPPRESS, "plan_active"),
        (Outcome.HOLD, "daily_limit"),
        (Outcome.SEND, None),
    ]
    for loan_id, window in windows.items():
        assert window == await contact_window(notifying, loan_id, MIDDAY)
    assert await contact_windows(notifying, [unknown], MIDDAY) == {}
