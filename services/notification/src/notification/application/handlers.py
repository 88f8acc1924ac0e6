"""Use cases of notification: every fact a borrower should hear of becomes a message, decided
by the contact rules (domain/contact_rules.py), rendered in the borrower's language
(adapters/templates.py) and handed to the gateways, now or when its window opens.

A message is kept with the event it tells of: when it is released after a hold, or falls back
to the next channel after a failure, it is decided and rendered again for that time and channel.
Its id is the business key of the fact (purpose, loan, installment, day), so a redelivered or
repeated event makes no second message.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from notification.application.message_facts import facts_for, purpose_of
from notification.application.ports import Contact, LogEntry, Notifying, StatusChange, StoredMessage
from notification.domain.contact_rules import WEEK, Borrower, Message, Outcome, Sent, decide
from tideover_contracts.common import Channel
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested
from tideover_contracts.events.overdue import (
    OverdueChangeReason,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted, PlanInstallmentMissed
from tideover_runtime.consumer import Unit, publish_each

#: How long a gateway may still deliver a request before it is stale.
REQUEST_TTL = timedelta(hours=12)
#: Held messages released per clock event (the rest on the next one).
RELEASE_BATCH = 5000
#: Status changes that call for a new overdue notice (DESIGN.md §4: on each bucket change and weekly).
NOTICE_REASONS = frozenset({OverdueChangeReason.BUCKET_CHANGED, OverdueChangeReason.WEEKLY})


class ContactNotYetKnownError(Exception):
    """The loan's LoanBooked has not reached us yet; retried, then dead-lettered for replay."""


async def when_loan_booked_keep_contact(unit: Unit[LoanBooked], notifying: Notifying) -> None:
    store = notifying.store
    await store.add_contact(unit.event)


async def when_contact_changed_update_contact(unit: Unit[BorrowerContactChanged], notifying: Notifying) -> None:
    store = notifying.store
    if not await store.change_contact(unit.event):
        raise ContactNotYetKnownError(f"no contact for loan {unit.event.loan_id}")


Key = tuple[object, ...]


def notify_of(key_of: Callable[[Any], Key | None]) -> Callable[[list[Unit[Any]], Notifying], Awaitable[None]]:
    """A batch use case: a message for each event `key_of` gives a key (the business key of the
    fact, which makes the message's id); None: no message for this one."""

    async def handle(units: list[Unit[Any]], notifying: Notifying) -> None:
        await consider(notifying, [(unit, key) for unit in units if (key := key_of(unit.event)) is not None])

    return handle


when_installment_due_soon_remind = notify_of(lambda e: ("pre_due", e.loan_id, e.sequence, e.business_date))
when_loan_became_overdue_send_notice = notify_of(lambda e: ("overdue", e.loan_id, e.episode, e.business_date))
when_overdue_status_changed_maybe_notify = notify_of(
    lambda e: ("overdue", e.loan_id, e.episode, e.business_date) if NOTICE_REASONS & set(e.reasons) else None
)
when_loan_cured_confirm = notify_of(lambda e: ("cured", e.loan_id, e.episode))
when_plan_sent_send_written_plan = notify_of(lambda e: ("written_plan", e.application_id, e.offer_id, e.confirmation_code))
when_plan_installment_due_soon_remind = notify_of(lambda e: ("plan_reminder", e.plan_id, e.sequence, e.due_date, e.days_before))
_tell_missed = notify_of(lambda e: ("plan_missed", e.plan_id, e.sequence))


async def when_plan_installment_missed_tell_borrower(units: list[Unit[PlanInstallmentMissed]], notifying: Notifying) -> None:
    """Also keep the oldest missed due date: if the plan breaks, its message states the days overdue."""
    for unit in units:
        await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, missed_due=unit.event.due_date)
    await _tell_missed(units, notifying)


async def when_plan_activated_tell_borrower(unit: Unit[PlanActivated], notifying: Notifying) -> None:
    await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, started=True)
    await consider(notifying, [(unit, ("plan_activated", unit.event.plan_id))])


async def when_plan_broken_tell_borrower(unit: Unit[PlanBroken], notifying: Notifying) -> None:
    await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, ended=True)
    await consider(notifying, [(unit, ("plan_broken", unit.event.plan_id))])


async def when_plan_completed_tell_borrower(unit: Unit[PlanCompleted], notifying: Notifying) -> None:
    await notifying.store.note_plan(unit.event.plan_id, unit.event.loan_id, ended=True)
    await consider(notifying, [(unit, ("plan_completed", unit.event.plan_id))])


async def when_time_passes_release_held(unit: Unit[BusinessDayClosed] | Unit[ClockTicked], notifying: Notifying) -> None:
    """Release the held messages whose window has opened by the clock event's instant."""
    event = unit.event
    now = event.closed_at if isinstance(event, BusinessDayClosed) else event.at
    due = await notifying.store.due(now, RELEASE_BATCH)
    await _decide(notifying, [(unit, message) for message in due], now)


async def when_delivered_complete_log(unit: Unit[NotificationDelivered], notifying: Notifying) -> None:
    event = unit.event
    await notifying.store.receipt(event.notification_id, event.channel, "delivered", None, event.delivered_at)
    if event.channel == Channel.VOICE_CALL:  # the call was answered: a conversation (US rules wait a week)
        await notifying.store.record_conversation(event.loan_id, event.delivered_at)


async def when_failed_fall_back(unit: Unit[NotificationFailed], notifying: Notifying) -> None:
    """Log the failure and try the message on the borrower's next channel."""
    event, store = unit.event, notifying.store
    await store.receipt(event.notification_id, event.channel, "failed", event.reason, event.failed_at)
    message = await store.message(event.notification_id, for_update=True)
    if message is None or message.status != "sent" or message.channel != event.channel:
        return  # an old attempt's receipt: the message has moved on
    await store.add_failed_channel(message.notification_id, event.channel)
    retry = replace(message, failed_channels=message.failed_channels | {event.channel})
    await _decide(notifying, [(unit, retry)], unit.clock.now())


async def consider(notifying: Notifying, items: list[tuple[Unit[Any], Key]]) -> None:
    """A new message about each unit's event, decided now; a key seen before (in this run or
    earlier) is the same message, so a redelivered or repeated fact makes one message."""
    if not items:
        return
    messages = []
    for unit, key in items:
        purpose = purpose_of(unit.event)
        message = StoredMessage(
            notification_id=deterministic_id("notice", purpose.value, *key),
            loan_id=unit.event.loan_id,
            purpose=purpose,
            source=unit.event,
            created_at=unit.clock.now(),
            status="held",
            failed_channels=frozenset(),
            channel=None,
        )
        messages.append((unit, message))
    new = await notifying.store.add_messages([message for _, message in messages])
    fresh: dict[uuid.UUID, tuple[Unit[Any], StoredMessage]] = {}
    for unit, message in messages:
        if message.notification_id in new:
            fresh.setdefault(message.notification_id, (unit, message))
    await _decide(notifying, list(fresh.values()), items[0][0].clock.now())


async def _decide(notifying: Notifying, items: list[tuple[Unit[Any], StoredMessage]], now: datetime) -> None:
    """Decide each message at `now`, in order (a message sent counts in the limits of the next);
    then store, log and publish them all at once."""
    if not items:
        return
    store = notifying.store
    loans = {message.loan_id for _, message in items}
    contacts = await store.contacts(loans)
    if missing := loans - contacts.keys():
        raise ContactNotYetKnownError(f"no contact for loan(s) {sorted(map(str, missing))}")
    histories = await store.histories(loans, now - WEEK)
    plans = await store.active_plans(loans)
    broken = {message.source.plan_id for _, message in items if isinstance(message.source, PlanBroken)}
    missed_since = await store.oldest_missed(broken) if broken else {}
    changes: list[StatusChange] = []
    entries: list[LogEntry] = []
    outgoing: list[tuple[Unit[Any], Event, uuid.UUID]] = []
    for unit, message in items:
        contact, history = contacts[message.loan_id], histories[message.loan_id]
        decision = decide(
            Message(message.purpose, message.created_at, message.failed_channels),
            _borrower(contact),
            history,
            now,
            plan_active=message.loan_id in plans,
            profile=notifying.profiles[contact.jurisdiction],
        )
        entry = LogEntry(
            message.notification_id, message.loan_id, message.purpose, decision.channel, decision.outcome.value,
            decision.rule, decision.until, None, None, None, now,
        )  # fmt: skip
        if decision.outcome is not Outcome.SEND:
            status = "held" if decision.outcome is Outcome.HOLD else "suppressed"
            changes.append(StatusChange(message.notification_id, status, hold_until=decision.until, channel=decision.channel))
            entries.append(entry)
            continue
        channel = decision.channel
        assert channel is not None
        plan_id = message.source.plan_id if isinstance(message.source, PlanBroken) else None
        request = _request(notifying, message, contact, channel, now, missed_since.get(plan_id) if plan_id else None)
        histories[message.loan_id] = replace(history, sent=(*history.sent, Sent(channel, now, message.purpose)))
        changes.append(StatusChange(message.notification_id, "sent", channel=channel, sent_at=now))
        entries.append(replace(entry, template=request.template, subject=request.subject, body=request.body))
        outgoing.append((unit, request, deterministic_id("NotificationRequested", message.notification_id, channel.value)))
    await store.set_statuses(changes)
    await store.log(entries)
    await publish_each(outgoing)


def _request(
    notifying: Notifying, message: StoredMessage, contact: Contact, channel: Channel, now: datetime, missed_since: date | None
) -> NotificationRequested:
    """The request for `message` on `channel`. A broken plan's message states the days overdue
    since the plan's oldest missed installment fell due."""
    address = contact.address(channel)
    assert address is not None
    source = message.source
    days_overdue = (source.business_date - missed_since).days if isinstance(source, PlanBroken) and missed_since else None
    _, facts = facts_for(source, days_past_due=days_overdue)
    rendered = notifying.render(message.purpose, channel, contact.locale, contact.jurisdiction, contact.time_zone, facts)
    return NotificationRequested(
        notification_id=message.notification_id,
        loan_id=message.loan_id,
        borrower_id=contact.borrower_id,
        channel=channel,
        address=address,
        purpose=message.purpose,
        locale=contact.locale,
        jurisdiction=contact.jurisdiction,
        subject=rendered.subject,
        body=rendered.body,
        template=rendered.template,
        expires_at=now + REQUEST_TTL,
    )


def _borrower(contact: Contact) -> Borrower:
    """The channels in the borrower's order of preference that reach them, SMS last as a fallback."""
    wanted = dict.fromkeys((*contact.preferred_channels, Channel.SMS))
    return Borrower(
        time_zone=contact.time_zone,
        jurisdiction=contact.jurisdiction,
        channels=tuple(channel for channel in wanted if contact.address(channel)),
        opted_out=frozenset(contact.opted_out_channels),
        do_not_contact=contact.do_not_contact,
    )
