"""What a use case is handed for each incoming event: the event, the clock, and the outbox port
its outgoing events are staged through (never a connection: the use case's other ports are
bound by the composition root, see tideover_runtime.subscriptions)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_runtime.clock import Clock

E = TypeVar("E", bound=Event)
#: Whether a staged event carries a secret (all of them, or which): its value is blanked once sent.
Secret = bool | Callable[[Event], bool]


class RejectEvent(Exception):  # noqa: N818 - it is an outcome, not a failure of ours
    """A well-formed event that business rules refuse (e.g. a payment for an unknown loan)."""


class Outbox(Protocol):
    """Where outgoing events are staged, in the transaction of the event that caused them
    (adapter: tideover_runtime.outbox.PostgresOutbox; fake: tideover_testkit.memory.MemoryOutbox).
    Staging an event id again is a no-op."""

    async def stage(self, envelopes: Sequence[Envelope[Any]], secret: Secret = False) -> None: ...

    async def stage_rendered(
        self,
        event_class: type[Event],
        payload_json: str,
        *,
        key: str,
        event_id: uuid.UUID,
        producer: str,
        occurred_at: datetime,
        causation: Envelope[Any],
    ) -> None:
        """Stage an event whose payload is already rendered as JSON in `event_class`'s contract."""
        ...


@dataclass
class Unit(Generic[E]):
    """One incoming event and the outbox of the transaction it is handled in."""

    envelope: Envelope[E]
    producer: str
    clock: Clock
    outbox: Outbox
    staged: list[str] = field(default_factory=list)  # the event types staged

    @property
    def event(self) -> E:
        return self.envelope.payload

    def caused_by(self, envelope: Envelope[Any]) -> Unit[Any]:
        """A unit for an earlier event (kept, now handled) in this one's transaction."""
        return Unit(envelope, self.producer, self.clock, self.outbox, self.staged)

    async def publish(
        self, event: Event, *, event_id: uuid.UUID | None = None, occurred_at: datetime | None = None, secret: bool = False
    ) -> None:
        """Stage `event`, caused by the incoming event, in this transaction (`secret`: it carries
        one, blanked in the outbox once published)."""
        envelope = wrap(
            event, producer=self.producer, occurred_at=occurred_at or self.clock.now(), event_id=event_id, causation=self.envelope
        )
        await self.outbox.stage([envelope], secret)
        self.staged.append(envelope.event_type)

    async def publish_many(self, events: list[tuple[Event, uuid.UUID]]) -> None:
        """Stage many events (each with its deterministic id) in one round trip."""
        await publish_each([(self, event, event_id) for event, event_id in events])

    async def publish_rendered(self, event_class: type[Event], payload_json: str, *, key: str, event_id: uuid.UUID) -> None:
        """Stage an event whose payload is already rendered as JSON (Outbox.stage_rendered)."""
        await self.outbox.stage_rendered(
            event_class,
            payload_json,
            key=key,
            event_id=event_id,
            producer=self.producer,
            occurred_at=self.clock.now(),
            causation=self.envelope,
        )
        self.staged.append(event_class.event_type)


async def publish_each(outgoing: list[tuple[Unit[Any], Event, uuid.UUID]], *, secret: Secret = False) -> None:
    """Stage events caused by several units of one run (each with its own causation) in one
    round trip: for batch handlers whose messages each produce a few events. `secret`: which
    carry a secret (Outbox.stage)."""
    if not outgoing:
        return
    envelopes = []
    now = outgoing[0][0].clock.now()
    for unit, event, event_id in outgoing:
        envelope = wrap(event, producer=unit.producer, occurred_at=now, event_id=event_id, causation=unit.envelope)
        unit.staged.append(envelope.event_type)
        envelopes.append(envelope)
    await outgoing[0][0].outbox.stage(envelopes, secret)
