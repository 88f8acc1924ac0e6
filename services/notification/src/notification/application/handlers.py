"""Use cases of notification: turn facts about a loan into messages a gateway delivers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from notification.application.ports import Contact, Contacts, Decision
from notification.domain.messages import Rendered, overdue_notice, written_plan
from tideover_contracts.common import Channel
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested, Purpose
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_runtime.consumer import Unit

#: How long a gateway may still deliver a request before it is stale.
REQUEST_TTL = timedelta(hours=12)


class ContactNotYetKnownError(Exception):
    """The loan's LoanBooked has not reached us yet; retried, then dead-lettered for replay."""


async def when_loan_booked_keep_contact(unit: Unit[LoanBooked], contacts: Contacts) -> None:
    await contacts.add(unit.event)


async def when_contact_changed_update_contact(unit: Unit[BorrowerContactChanged], contacts: Contacts) -> None:
    if not await contacts.change(unit.event):
        raise ContactNotYetKnownError(f"no contact for loan {unit.event.loan_id}")


async def when_loan_became_overdue_send_notice(unit: Unit[LoanBecameOverdue], contacts: Contacts) -> None:
    event = unit.event
    contact = await _contact(contacts, event.loan_id)
    rendered = overdue_notice(contact.locale, event.overdue.total, event.days_past_due)
    notification_id = deterministic_id("notice", Purpose.OVERDUE_NOTICE, event.loan_id, event.episode, event.business_date)
    await _send(unit, contacts, contact, notification_id, Purpose.OVERDUE_NOTICE, rendered)


async def when_plan_sent_send_written_plan(unit: Unit[PlanSentToBorrower], contacts: Contacts) -> None:
    event = unit.event
    contact = await _contact(contacts, event.loan_id)
    plan = event.plan
    rendered = written_plan(
        contact.locale, event.confirmation_code, len(plan.schedule), plan.total_payable, plan.first_due_date, plan.waived.total
    )
    notification_id = deterministic_id(
        "notice", Purpose.WRITTEN_PLAN, event.application_id, event.offer_id, event.confirmation_code
    )
    await _send(unit, contacts, contact, notification_id, Purpose.WRITTEN_PLAN, rendered)


async def when_delivered_complete_log(unit: Unit[NotificationDelivered], contacts: Contacts) -> None:
    await contacts.receipt(unit.event.notification_id, "delivered", None, unit.event.delivered_at)


async def when_failed_complete_log(unit: Unit[NotificationFailed], contacts: Contacts) -> None:
    await contacts.receipt(unit.event.notification_id, "failed", unit.event.reason, unit.event.failed_at)


async def _contact(contacts: Contacts, loan_id: uuid.UUID) -> Contact:
    contact = await contacts.get(loan_id)
    if contact is None:
        raise ContactNotYetKnownError(f"no contact for loan {loan_id}")
    return contact


def _channel(contact: Contact) -> Channel | None:
    for channel in (*contact.preferred_channels, Channel.SMS):
        if channel not in contact.opted_out_channels and _address(contact, channel):
            return channel
    return None


def _address(contact: Contact, channel: Channel) -> str | None:
    return {Channel.SMS: contact.phone, Channel.VOICE_CALL: contact.phone, Channel.EMAIL: contact.email}.get(channel)


async def _send(
    unit: Unit[Any], contacts: Contacts, contact: Contact, notification_id: uuid.UUID, purpose: Purpose, rendered: Rendered
) -> None:
    now = unit.clock.now()
    channel = _channel(contact)
    if contact.do_not_contact or channel is None:
        rule = "do_not_contact" if contact.do_not_contact else "no_channel_left"
        await contacts.log(Decision(notification_id, contact.loan_id, purpose.value, Channel.SMS, "suppressed", rule, None, now))
        return
    if not await contacts.log(
        Decision(notification_id, contact.loan_id, purpose.value, channel, "sent", None, rendered.body, now)
    ):
        return  # decided before: one message, not two
    address = _address(contact, channel)
    assert address is not None
    await unit.publish(
        NotificationRequested(
            notification_id=notification_id,
            loan_id=contact.loan_id,
            borrower_id=contact.borrower_id,
            channel=channel,
            address=address,
            purpose=purpose,
            locale=contact.locale,
            jurisdiction=contact.jurisdiction,
            body=rendered.body,
            template=rendered.template,
            expires_at=now + REQUEST_TTL,
        ),
        event_id=notification_id,
    )
