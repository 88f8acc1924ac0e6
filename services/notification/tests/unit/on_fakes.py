"""The use cases on the fakes, for the unit tests named *_on_fakes: the in-memory store
(adapters/memory.py), the real renderer (adapters/templates.py, pure Python), a business clock
and a memory outbox, as the runtime would hand them to a use case."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from notification.adapters.memory import MemoryNotificationStore
from notification.adapters.templates import render
from notification.application import handlers
from notification.application.links import BorrowerLinks
from notification.application.ports import Notifying
from notification.domain.messages import StoredMessage
from tideover_contracts.common import Channel
from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import ClockTicked
from tideover_contracts.events.notifications import NotificationRequested
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_runtime.clock import BusinessClock
from tideover_runtime.unit import Unit
from tideover_testkit.memory import MemoryOutbox

EventT = TypeVar("EventT", bound=Event)

EVENING = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
MORNING = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Beijing: the quiet hours end
MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def golden(kind: type[EventT], **changes: Any) -> EventT:
    """The contracts' example of `kind`, with `changes`."""
    event = next(event for event in golden_events() if type(event) is kind)
    return event.model_copy(update=changes)


class World:
    """One notification service on fakes: a use case is handed its events as units made here."""

    def __init__(self, at: datetime = MIDDAY) -> None:
        self.store = MemoryNotificationStore()
        self.notifying = Notifying(self.store, render, links=BorrowerLinks.for_development())
        self.clock = BusinessClock(at)
        self.outbox = MemoryOutbox()

    def unit(self, event: EventT, *, caused_by: Envelope[Any] | None = None, event_id: uuid.UUID | None = None) -> Unit[EventT]:
        """`event` as the runtime hands it over, from an upstream producer (caused by `caused_by`)."""
        envelope = wrap(event, producer="upstream", occurred_at=self.clock.now(), event_id=event_id, causation=caused_by)
        return Unit(envelope, "notification", self.clock, self.outbox)

    async def one(self, use_case: Callable[[Unit[Any], Notifying], Awaitable[None]], event: Event, **unit: Any) -> Unit[Any]:
        handled = self.unit(event, **unit)
        await use_case(handled, self.notifying)
        return handled

    async def many(self, use_case: Callable[[list[Unit[Any]], Notifying], Awaitable[None]], *events: Event) -> None:
        await use_case([self.unit(event) for event in events], self.notifying)

    async def book(self, loan_id: uuid.UUID | None = None, **contact: Any) -> uuid.UUID:
        """A loan booked for a borrower with `contact` (the example borrower's otherwise)."""
        loan_id = loan_id or uuid.uuid4()
        booked = loan_booked(loan_id=loan_id).model_copy(update={"borrower": borrower().model_copy(update=contact)})
        await self.one(handlers.when_loan_booked_keep_contact, booked)
        return loan_id

    async def tick(self, at: datetime) -> None:
        """Time passes to `at` (the runtime moves the clock, then hands the use case the event)."""
        self.clock.tick(at)
        await self.one(handlers.when_time_passes_release_held, ClockTicked(at=at))

    def requests(self, loan_id: uuid.UUID) -> list[NotificationRequested]:
        """The requests (notifications.requests.v3) staged for the loan, in order."""
        requests = self.outbox.events(NotificationRequested)
        return [r for r in requests if type(r) is NotificationRequested and r.loan_id == loan_id]  # not the v2 and v1 copies

    def channels(self, loan_id: uuid.UUID) -> list[Channel]:
        return [request.channel for request in self.requests(loan_id)]

    def log(self, loan_id: uuid.UUID) -> list[tuple[str, str, str | None]]:
        """The loan's contact log: (channel, decision, rule), in order."""
        return [
            (row.channel, row.entry.decision, row.entry.rule) for row in self.store.contact_log if row.entry.loan_id == loan_id
        ]

    def messages(self, loan_id: uuid.UUID) -> list[StoredMessage]:
        return [row.read() for row in self.store.messages.values() if row.message.loan_id == loan_id]

    def message(self, loan_id: uuid.UUID) -> StoredMessage:
        [message] = self.messages(loan_id)
        return message
