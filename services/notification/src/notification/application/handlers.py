"""Use cases of notification: every fact a borrower should hear of becomes a message, decided
by the contact rules (domain/contact_rules.py), rendered in the borrower's language
(adapters/templates.py) and handed to the gateways, now or when its window opens.

A message is kept with the event it tells of: when it is released after a hold, or falls back
to the next channel after a failure, it is decided and rendered again for that time and channel.
Its id is the business key of the fact (purpose, loan, installment, day), so a redelivered or
repeated event makes no second message. A message that needs a fact another topic brings waits
for it and is decided when the second of the two arrives (application/waiting.py). A written
plan's one-time code is kept no longer than it is of use: forgotten once it expires, and the
message no longer sent (application/codes.py). How a message is made and decided:
application/deciding.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from notification.application.deciding import ContactNotYetKnownError, Key, consider, decide_messages, decide_waiting
from notification.application.ports import LedgerStatus, Notifying
from notification.domain.statuses import MessageStatus
from tideover_contracts.common import Channel
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, LoanClosureReason
from tideover_contracts.events.negotiation import ContactPreferencesChosen
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed
from tideover_contracts.events.overdue import LoanBecameOverdue, OverdueChangeReason, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_runtime.unit import Unit

#: Held messages released per clock event (the rest on the next one).
RELEASE_BATCH = 5000
#: Status changes that call for a new overdue notice (DESIGN.md §4: on each bucket change and weekly).
NOTICE_REASONS = frozenset({OverdueChangeReason.BUCKET_CHANGED, OverdueChangeReason.WEEKLY})


async def when_loan_booked_keep_contact(unit: Unit[LoanBooked], notifying: Notifying) -> None:
    store = notifying.store
    await store.add_contact(unit.event)


async def when_contact_changed_update_contact(unit: Unit[BorrowerContactChanged], notifying: Notifying) -> None:
    store = notifying.store
    if not await store.change_contact(unit.event):
        raise ContactNotYetKnownError(f"no contact for loan {unit.event.loan_id}")


async def when_contact_preferences_chosen_keep_them(unit: Unit[ContactPreferencesChosen], notifying: Notifying) -> None:
    """Keep what the borrower chose on their page (the latest choice stands): every message decided
    from now on follows it (domain/contact_rules.py). A message held already keeps its hold, and
    is decided by the new choice when it is released."""
    await notifying.store.keep_page_preferences(unit.event)


def notify_of(key_of: Callable[[Any], Key | None]) -> Callable[[list[Unit[Any]], Notifying], Awaitable[None]]:
    """A batch use case: a message for each event `key_of` gives a key (the business key of the
    fact, which makes the message's id); None: no message for this one."""

    async def handle(units: list[Unit[Any]], notifying: Notifying) -> None:
        await consider(notifying, [(unit, key) for unit in units if (key := key_of(unit.event)) is not None])

    return handle


when_installment_due_soon_remind = notify_of(lambda e: ("pre_due", e.loan_id, e.sequence, e.business_date))
_notice_on_start = notify_of(lambda e: ("overdue", e.loan_id, e.episode, e.business_date))
_notice_on_change = notify_of(
    lambda e: ("overdue", e.loan_id, e.episode, e.business_date) if NOTICE_REASONS & set(e.reasons) else None
)
when_loan_cured_confirm = notify_of(lambda e: ("cured", e.loan_id, e.episode))
when_plan_installment_due_soon_remind = notify_of(lambda e: ("plan_reminder", e.plan_id, e.sequence, e.due_date, e.days_before))
when_plan_installment_missed_tell_borrower = notify_of(lambda e: ("plan_missed", e.plan_id, e.sequence))
#: Only an acceptance refused or quoted again is told (message_facts.purpose_of): the borrower
#: confirmed a plan that is not in force. One message for the confirmed offer, either way.
when_acceptance_refused_tell_borrower = notify_of(
    lambda e: ("plan_refused", e.application_id, e.offer_id) if e.offer_id is not None else None
)
when_confirmed_plan_requoted_tell_borrower = notify_of(
    lambda e: ("plan_refused", e.application_id, e.supersedes_offer_id) if e.supersedes_offer_id is not None else None
)


async def when_plan_sent_send_written_plan(units: list[Unit[Any]], notifying: Notifying) -> None:
    """A written plan for each sending: keyed by the sending's event id, never by its code, which a
    message id derived from it would give away to anyone trying the million codes against it."""
    await consider(notifying, [(unit, ("written_plan", unit.event.application_id, unit.envelope.event_id)) for unit in units])


async def when_code_requested_send_code(units: list[Unit[Any]], notifying: Notifying) -> None:
    """The change code the borrower asked for on their page, by SMS to the phone on file: keyed,
    like a written plan, by the request's event id, never by its code. Sent at once whatever the
    hour (domain/contact_rules.py: not a collection contact), within its own daily limit."""
    await consider(notifying, [(unit, ("change_code", unit.event.request_id, unit.envelope.event_id)) for unit in units])


async def when_overdue_status_changed_maybe_notify(units: list[Unit[OverdueStatusChanged]], notifying: Notifying) -> None:
    """A notice on a bucket change or weekly. A status overdue-detection published as it undid a
    broken plan (reason plan_broken, caused by the PlanBroken) is the ledger's word on the loan
    after the break: kept for the broken-plan message, which is decided now if it waited for it
    (application/waiting.py). One without a cause cannot be matched to its plan, and is not kept."""
    await _keep_after_breaks(notifying, [unit for unit in units if OverdueChangeReason.PLAN_BROKEN in unit.event.reasons])
    await _notice_on_change(units, notifying)


async def when_loan_became_overdue_send_notice(units: list[Unit[LoanBecameOverdue]], notifying: Notifying) -> None:
    """A notice. An episode begun by something else than a close may be the ledger's word after a
    plan broke on a loan that was current when the plan began (an early plan: the break begins
    the episode): kept for the broken-plan message as an OverdueStatusChanged(plan_broken) is,
    matched by its cause (a payment's id matches no break, and is never read)."""
    await _keep_after_breaks(
        notifying, [unit for unit in units if unit.envelope.causation_id != close_event_id(unit.event.business_date)]
    )
    await _notice_on_start(units, notifying)


async def _keep_after_breaks(notifying: Notifying, units: list[Unit[Any]]) -> None:
    """Keep each status as the ledger's word after the event that caused it (a PlanBroken, if
    the store knows one by that id), and decide the broken-plan messages that waited for it."""
    after_breaks = [(unit, cause) for unit in units if (cause := unit.envelope.causation_id) is not None]
    if not after_breaks:
        return
    store = notifying.store
    await store.lock_loans({unit.event.loan_id for unit, _ in after_breaks})
    await store.keep_ledgers_after_breaks(
        [(cause, unit.event.loan_id, _ledger_status(unit.event)) for unit, cause in after_breaks]
    )
    await decide_waiting(notifying, [unit for unit, _ in after_breaks])


async def when_loan_closed_stop_pressing(unit: Unit[LoanClosed], notifying: Notifying) -> None:
    """Keep that the loan closed and why: from now on nothing that presses for payment goes out
    for it (contact rule loan_closed), and the messages that waited for the closure's reason
    are decided now (application/waiting.py). The borrower of a sold loan is told of the
    assignment instead."""
    event, store = unit.event, notifying.store
    await store.lock_loans({event.loan_id})
    await store.close_loan(event.loan_id, event.reason, event.closed_on)
    await decide_waiting(notifying, [unit])
    # The first closure stands: the assignment is told when the loan was sold, by the sale itself
    # (a later LoanClosed with another reason tells nothing more).
    first = (await store.closures({event.loan_id})).get(event.loan_id)
    sold = event.reason is LoanClosureReason.SOLD and first is LoanClosureReason.SOLD
    if sold and await store.contacts({event.loan_id}):
        await consider(notifying, [(unit, ("loan_assigned", event.loan_id))])


async def when_plan_activated_tell_borrower(unit: Unit[PlanActivated], notifying: Notifying) -> None:
    await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, started=True)
    await consider(notifying, [(unit, ("plan_activated", unit.event.plan_id))])


async def when_plan_broken_tell_borrower(unit: Unit[PlanBroken], notifying: Notifying) -> None:
    """The plan ended: collection resumes. The message states the ledger's days past due and
    overdue total after the break, so it waits for them (application/waiting.py); the PlanBroken
    read first is the one the ledger's status names as its cause."""
    event = unit.event
    await notifying.store.note_plan(event.plan_id, event.loan_id, ended=True, broken_by=unit.envelope.event_id)
    await consider(notifying, [(unit, ("plan_broken", event.plan_id))])


async def when_plan_completed_tell_borrower(unit: Unit[PlanCompleted], notifying: Notifying) -> None:
    await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, ended=True)
    await consider(notifying, [(unit, ("plan_completed", unit.event.plan_id))])


async def when_time_passes_release_held(unit: Unit[BusinessDayClosed] | Unit[ClockTicked], notifying: Notifying) -> None:
    """Forget the one-time codes expired by the clock event's instant (application/codes.py):
    a written plan still held or waiting for one of them is suppressed (code_expired), logged
    like every suppression. Then release the held messages whose window has opened by then."""
    event, store = unit.event, notifying.store
    now = event.closed_at if isinstance(event, BusinessDayClosed) else event.at
    expired = await store.forget_codes(now, RELEASE_BATCH)
    await decide_messages(
        notifying, [(unit, message) for message in expired if message.status in (MessageStatus.HELD, MessageStatus.WAITING)], now
    )
    due = await store.due(now, RELEASE_BATCH)
    await decide_messages(notifying, [(unit, message) for message in due], now)


async def when_delivered_complete_log(unit: Unit[NotificationDelivered], notifying: Notifying) -> None:
    event = unit.event
    await notifying.store.receipt(event.notification_id, event.channel, "delivered", None, event.delivered_at)
    if event.channel == Channel.VOICE_CALL:  # the call was answered: a conversation (US rules wait a week)
        await notifying.store.record_conversation(event.loan_id, event.delivered_at)


async def when_failed_fall_back(unit: Unit[NotificationFailed], notifying: Notifying) -> None:
    """Log the failure and try the message on the borrower's next channel: a written plan whose
    code has expired (or was forgotten) by now is suppressed instead (code_expired)."""
    event, store = unit.event, notifying.store
    await store.receipt(event.notification_id, event.channel, "failed", event.reason, event.failed_at)
    message = await store.message(event.notification_id, for_update=True)
    if message is None or message.status != MessageStatus.SENT or message.channel != event.channel:
        return  # an old attempt's receipt: the message has moved on
    await store.add_failed_channel(message.notification_id, event.channel)
    retry = replace(message, failed_channels=message.failed_channels | {event.channel})
    await decide_messages(notifying, [(unit, retry)], unit.clock.now())


def _ledger_status(event: OverdueStatusChanged | LoanBecameOverdue) -> LedgerStatus:
    return LedgerStatus(event.business_date, event.days_past_due, event.overdue.total)
