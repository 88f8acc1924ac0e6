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
from datetime import datetime, timedelta
from typing import Any

from notification.application.message_facts import facts_for
from notification.application.ports import Contact, LogEntry, NotificationStore, Notifying, StoredMessage
from notification.domain.contact_rules import WEEK, Borrower, Message, Outcome, decide
from tideover_contracts.common import Channel
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested
from tideover_contracts.events.overdue import (
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted, PlanInstallmentDueSoon, PlanInstallmentMissed
from tideover_runtime.consumer import Unit

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


async def when_installment_due_soon_remind(unit: Unit[InstallmentDueSoon], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("pre_due", event.loan_id, event.sequence, event.business_date))


async def when_loan_became_overdue_send_notice(unit: Unit[LoanBecameOverdue], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("overdue", event.loan_id, event.episode, event.business_date))


async def when_overdue_status_changed_maybe_notify(unit: Unit[OverdueStatusChanged], notifying: Notifying) -> None:
    event = unit.event
    if NOTICE_REASONS & set(event.reasons):
        await consider(unit, notifying, event, ("overdue", event.loan_id, event.episode, event.business_date))


async def when_loan_cured_confirm(unit: Unit[LoanCured], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("cured", event.loan_id, event.episode))


async def when_plan_sent_send_written_plan(unit: Unit[PlanSentToBorrower], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("written_plan", event.application_id, event.offer_id, event.confirmation_code))


async def when_plan_activated_tell_borrower(unit: Unit[PlanActivated], notifying: Notifying) -> None:
    store = notifying.store
    await store.set_plan(unit.event.loan_id, active=True)
    await consider(unit, notifying, unit.event, ("plan_activated", unit.event.plan_id))


async def when_plan_installment_due_soon_remind(unit: Unit[PlanInstallmentDueSoon], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("plan_reminder", event.plan_id, event.sequence, event.due_date, event.days_before))


async def when_plan_installment_missed_tell_borrower(unit: Unit[PlanInstallmentMissed], notifying: Notifying) -> None:
    event = unit.event
    await consider(unit, notifying, event, ("plan_missed", event.plan_id, event.sequence))


async def when_plan_broken_tell_borrower(unit: Unit[PlanBroken], notifying: Notifying) -> None:
    store = notifying.store
    await store.set_plan(unit.event.loan_id, active=False)
    await consider(unit, notifying, unit.event, ("plan_broken", unit.event.plan_id))


async def when_plan_completed_tell_borrower(unit: Unit[PlanCompleted], notifying: Notifying) -> None:
    store = notifying.store
    await store.set_plan(unit.event.loan_id, active=False)
    await consider(unit, notifying, unit.event, ("plan_completed", unit.event.plan_id))


async def when_time_passes_release_held(unit: Unit[BusinessDayClosed] | Unit[ClockTicked], notifying: Notifying) -> None:
    store = notifying.store
    """Release the held messages whose window has opened by the clock event's instant."""
    event = unit.event
    now = event.closed_at if isinstance(event, BusinessDayClosed) else event.at
    for message in await store.due(now, RELEASE_BATCH):
        contact = await _contact(store, message.loan_id)
        await _decide(unit, notifying, message, contact, now)


async def when_delivered_complete_log(unit: Unit[NotificationDelivered], notifying: Notifying) -> None:
    store = notifying.store
    event = unit.event
    await store.receipt(event.notification_id, event.channel, "delivered", None, event.delivered_at)
    if event.channel == Channel.VOICE_CALL:  # the call was answered: a conversation (US rules wait a week)
        await store.record_conversation(event.loan_id, event.delivered_at)


async def when_failed_fall_back(unit: Unit[NotificationFailed], notifying: Notifying) -> None:
    store = notifying.store
    """Log the failure and try the message on the borrower's next channel."""
    event = unit.event
    await store.receipt(event.notification_id, event.channel, "failed", event.reason, event.failed_at)
    message = await store.message(event.notification_id, for_update=True)
    if message is None or message.status != "sent" or message.channel != event.channel:
        return  # an old attempt's receipt: the message has moved on
    await store.add_failed_channel(message.notification_id, event.channel)
    retry = StoredMessage(**{**message.__dict__, "failed_channels": message.failed_channels | {event.channel}})
    await _decide(unit, notifying, retry, await _contact(store, message.loan_id), unit.clock.now())


async def consider(unit: Unit[Any], notifying: Notifying, event: Event, key: tuple[object, ...]) -> None:
    """A new message about `event`, decided now; the same key a second time is the same message."""
    store = notifying.store
    purpose, _ = facts_for(event)
    contact = await _contact(store, event.loan_id)  # type: ignore[attr-defined]
    message = StoredMessage(
        notification_id=deterministic_id("notice", purpose.value, *key),
        loan_id=contact.loan_id,
        purpose=purpose,
        source=event,
        created_at=unit.clock.now(),
        status="held",
        failed_channels=frozenset(),
        channel=None,
    )
    if await store.add_message(message):
        await _decide(unit, notifying, message, contact, message.created_at)


async def _contact(store: NotificationStore, loan_id: uuid.UUID) -> Contact:
    contact = await store.contact(loan_id)
    if contact is None:
        raise ContactNotYetKnownError(f"no contact for loan {loan_id}")
    return contact


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


async def _decide(unit: Unit[Any], notifying: Notifying, message: StoredMessage, contact: Contact, now: datetime) -> None:
    store = notifying.store
    decision = decide(
        Message(message.purpose, message.created_at, message.failed_channels),
        _borrower(contact),
        await store.history(message.loan_id, now - WEEK),
        now,
        plan_active=await store.plan_active(message.loan_id),
        profile=notifying.profiles[contact.jurisdiction],
    )
    entry = LogEntry(
        message.notification_id, message.loan_id, message.purpose, decision.channel, decision.outcome.value, decision.rule,
        decision.until, None, None, None, now,
    )  # fmt: skip
    if decision.outcome is Outcome.HOLD:
        await store.set_status(message.notification_id, "held", hold_until=decision.until, channel=decision.channel)
        await store.log(entry)
        return
    if decision.outcome is Outcome.SUPPRESS:
        await store.set_status(message.notification_id, "suppressed")
        await store.log(entry)
        return
    channel = decision.channel
    assert channel is not None
    address = contact.address(channel)
    assert address is not None
    _, facts = facts_for(message.source)
    rendered = notifying.render(message.purpose, channel, contact.locale, contact.jurisdiction, contact.time_zone, facts)
    await store.set_status(message.notification_id, "sent", channel=channel, sent_at=now)
    await store.log(
        LogEntry(**{**entry.__dict__, "template": rendered.template, "subject": rendered.subject, "body": rendered.body})
    )
    await unit.publish(
        NotificationRequested(
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
        ),
        event_id=deterministic_id("NotificationRequested", message.notification_id, channel.value),
    )
