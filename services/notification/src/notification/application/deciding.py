"""How a message is made and decided: stored under the business key of its fact, then decided by
the contact rules (domain/contact_rules.py) at an instant, and, when it is sent, rendered in the
borrower's language and staged as a request for the gateways (application/handlers.py calls
these for each fact and each clock event). A message that needs one carries the borrower's link,
signed as it is rendered (application/links.py); the contact log keeps it, and a one-time code,
masked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from notification.application.codes import code_expiry, forget_expired, is_forgotten, live_code
from notification.application.links import MissingLinksError, SignedLink, carries_link
from notification.application.message_facts import facts_for, purpose_of
from notification.application.ports import LedgerStatus, LogEntry, Notifying, StatusChange
from notification.application.waiting import Known, cured_by_closure, known_after_locking
from notification.domain.contact_rules import WEEK, Borrower, Decision, History, Message, Outcome, Sent, decide
from notification.domain.masking import masked
from notification.domain.messages import Contact, PagePreferences, StoredMessage
from notification.domain.statuses import MessageStatus
from tideover_contracts.common import Channel
from tideover_contracts.envelope import Event, deterministic_id
from tideover_contracts.events import notifications_v1, notifications_v2
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.notifications import NotificationRequested, Purpose
from tideover_runtime.unit import Unit, publish_each

#: How long a gateway may still deliver a request before it is stale.
REQUEST_TTL = timedelta(hours=12)

#: The business key of a fact, which makes its message's id.
Key = tuple[object, ...]


class ContactNotYetKnownError(Exception):
    """The loan's LoanBooked has not reached us yet; retried, then dead-lettered for replay."""


class ForgottenCodeError(RuntimeError):
    """A written plan whose code was forgotten came to be rendered: the contact rules suppress it
    (code_expired) before, so this is a fault, never a message with a masked code."""


async def consider(notifying: Notifying, items: list[tuple[Unit[Any], Key]]) -> None:
    """A new message about each unit's event, decided now, or stored to wait for a fact from
    another topic (application/waiting.py); a key seen before (in this run or earlier) is the
    same message, so a redelivered or repeated fact makes one message."""
    if not items:
        return
    messages = []
    for unit, key in items:
        purpose = purpose_of(unit.event)
        message = StoredMessage(
            notification_id=deterministic_id("notice", purpose.value, *key),
            loan_id=unit.event.loan_id,
            purpose=purpose,
            source=forget_expired(unit.event, unit.clock.now()),  # a code read after it expired is not kept
            created_at=unit.clock.now(),
            status=MessageStatus.HELD,
            failed_channels=frozenset(),
            channel=None,
        )
        messages.append((unit, message))
    known = await known_after_locking(notifying.store, [message for _, message in messages])
    messages = [(unit, replace(m, status=MessageStatus.WAITING) if known.waits(m) else m) for unit, m in messages]
    new = await notifying.store.add_messages([message for _, message in messages])
    fresh: dict[uuid.UUID, tuple[Unit[Any], StoredMessage]] = {}
    for unit, message in messages:
        if message.notification_id in new and message.status != MessageStatus.WAITING:
            fresh.setdefault(message.notification_id, (unit, message))
    await decide_messages(notifying, list(fresh.values()), items[0][0].clock.now())


async def decide_waiting(notifying: Notifying, units: list[Unit[Any]]) -> None:
    """Decide the messages of the units' loans that waited and no longer need to; the unit of
    the fact that completed them causes their requests. The caller holds the loans' locks."""
    by_loan = {unit.event.loan_id: unit for unit in units}
    waiting = await notifying.store.waiting(by_loan.keys())
    known = await Known.of(notifying.store, waiting)
    ready = [(by_loan[message.loan_id], message) for message in waiting if not known.waits(message)]
    await decide_messages(notifying, ready, units[0].clock.now())


@dataclass
class _Run:
    """Deciding a run of messages at `now`: what it comes to is stored, logged and published at once."""

    notifying: Notifying
    now: datetime
    known: Known
    changes: list[StatusChange] = field(default_factory=list)
    entries: list[LogEntry] = field(default_factory=list)
    outgoing: list[tuple[Unit[Any], Event, uuid.UUID]] = field(default_factory=list)

    def record(self, unit: Unit[Any], message: StoredMessage, contact: Contact, decision: Decision) -> Sent | None:
        """Add what `decision` does to `message`; the message as sent, if it is."""
        entry = LogEntry(
            message.notification_id,
            message.loan_id,
            message.purpose,
            decision.channel,
            decision.outcome.value,
            decision.rule,
            decision.until,
            None,
            None,
            None,
            self.now,
        )
        if decision.outcome is not Outcome.SEND:
            status = MessageStatus.HELD if decision.outcome is Outcome.HOLD else MessageStatus.SUPPRESSED
            change = StatusChange(message.notification_id, status, hold_until=decision.until, channel=decision.channel)
            self.changes.append(change)
            self.entries.append(entry)
            return None
        channel = decision.channel
        assert channel is not None
        request, link = _request(self.notifying, message, contact, channel, self.now, self.known.ledger_after(message))
        self.changes.append(StatusChange(message.notification_id, MessageStatus.SENT, channel=channel, sent_at=self.now))
        secrets = (live_code(message.source), link.token if link else None)  # the log says one was sent, not which
        self.entries.append(
            replace(
                entry, template=request.template, subject=masked(request.subject, *secrets), body=masked(request.body, *secrets)
            )
        )
        # The v2 and v1 copies keep the event ids they always had; a gateway reads one of the topics.
        ids = (message.notification_id, channel.value)
        self.outgoing.append((unit, request, deterministic_id("NotificationRequested.v3", *ids)))
        if (v2 := notifications_v2.downgraded(request)) is not None:  # for gateways still on notifications.requests.v2
            self.outgoing.append((unit, v2, deterministic_id("NotificationRequested.v2", *ids)))
        if (v1 := notifications_v1.downgraded(request)) is not None:  # for gateways still on notifications.requests.v1
            self.outgoing.append((unit, v1, deterministic_id(NotificationRequested.event_type, *ids)))
        return Sent(channel, self.now, message.purpose)


async def decide_messages(notifying: Notifying, items: list[tuple[Unit[Any], StoredMessage]], now: datetime) -> None:
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
    chosen = await store.page_preferences(loans)
    run = _Run(notifying, now, await Known.of(store, [message for _, message in items]))
    for unit, message in items:
        contact, history = contacts[message.loan_id], histories[message.loan_id]
        borrower = borrower_of(contact, chosen.get(message.loan_id))
        decision = _decision(notifying, message, contact, borrower, history, now, message.loan_id in plans, run.known.closures)
        if (sent := run.record(unit, message, contact, decision)) is not None:
            histories[message.loan_id] = replace(history, sent=(*history.sent, sent))
    await store.set_statuses(run.changes)
    await store.log(run.entries)
    await publish_each(run.outgoing, secret=carries_a_secret)


def _decision(
    notifying: Notifying,
    message: StoredMessage,
    contact: Contact,
    borrower: Borrower,
    history: History,
    now: datetime,
    plan_active: bool,
    closures: dict[uuid.UUID, LoanClosureReason],
) -> Decision:
    return decide(
        Message(
            message.purpose,
            message.created_at,
            message.failed_channels,
            cured_by_closure=cured_by_closure(message),
            code_expires_at=code_expiry(message),
        ),
        borrower,
        history,
        now,
        plan_active=plan_active,
        profile=notifying.profiles[contact.jurisdiction],
        closed=closures.get(message.loan_id),
    )


def carries_a_secret(event: Event) -> bool:
    """A written plan's request and a change code's carry the borrower's one-time code in their
    text, and a request that carries the borrower's link (application/links.py) its token: their
    outbox rows are blanked once published (DESIGN.md §5: secrets are not kept in clear after
    they are sent)."""
    if not isinstance(event, NotificationRequested):
        return False
    purpose = Purpose(event.purpose.value)  # an older copy's purpose is its version's enum
    return purpose in (Purpose.WRITTEN_PLAN, Purpose.CHANGE_CODE) or carries_link(purpose, event.channel)


def _request(
    notifying: Notifying, message: StoredMessage, contact: Contact, channel: Channel, now: datetime, ledger: LedgerStatus | None
) -> tuple[NotificationRequested, SignedLink | None]:
    """The request for `message` on `channel`, and the borrower's link it carries, signed now for
    the borrower on file (application/links.py). A broken plan's message states the ledger's days
    past due and overdue total after the break (`ledger`). Never a written plan whose code was
    forgotten (ForgottenCodeError)."""
    if is_forgotten(message.source):
        raise ForgottenCodeError(f"message {message.notification_id}: its one-time code was forgotten")
    address = contact.address(channel)
    assert address is not None
    _, facts = facts_for(message.source, ledger=ledger, terms=notifying.plan_terms)
    link = _link(notifying, message, contact, channel)
    if link is not None:
        facts = {**facts, **link.facts()}
    language = contact.written_in
    rendered = notifying.render(message.purpose, channel, language, contact.jurisdiction, contact.time_zone, facts)
    request = NotificationRequested(
        notification_id=message.notification_id,
        loan_id=message.loan_id,
        borrower_id=contact.borrower_id,
        channel=channel,
        address=address,
        purpose=message.purpose,
        locale=contact.locale,
        language=language,
        jurisdiction=contact.jurisdiction,
        subject=rendered.subject,
        body=rendered.body,
        template=rendered.template,
        expires_at=now + REQUEST_TTL,
    )
    return request, link


def _link(notifying: Notifying, message: StoredMessage, contact: Contact, channel: Channel) -> SignedLink | None:
    if not carries_link(message.purpose, channel):
        return None
    if notifying.links is None:
        raise MissingLinksError(f"message {message.notification_id} carries the borrower's link: no link secret to sign it")
    return notifying.links.for_message(message, contact.borrower_id, channel)


def borrower_of(contact: Contact, chosen: PagePreferences | None = None) -> Borrower:
    """The channels in the borrower's order of preference that reach them — the order they chose
    on their page first, then upstream's — SMS last as a fallback; with what they chose on their
    page beside what upstream stated (the contact rules apply it: domain/contact_rules.py)."""
    wanted = dict.fromkeys((*(chosen.preferred_channels if chosen else ()), *contact.preferred_channels, Channel.SMS))
    return Borrower(
        time_zone=contact.time_zone,
        jurisdiction=contact.jurisdiction,
        channels=tuple(channel for channel in wanted if contact.address(channel)),
        opted_out=frozenset(contact.opted_out_channels),
        do_not_contact=contact.do_not_contact,
        page_opted_out=frozenset(chosen.opted_out_channels) if chosen else frozenset(),
        preferred_hours=chosen.hours if chosen else None,
    )
