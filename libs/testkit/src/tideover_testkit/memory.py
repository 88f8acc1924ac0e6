"""In-memory fakes of the runtime's ports, for unit tests of use cases (no server).

`MemoryOutbox` is the fake of tideover_runtime.unit.Outbox: it keeps what a use case staged, by
event id (staging an id again is a no-op, as in the Postgres outbox), and parses every event
rendered as JSON with its contract, so a unit test also checks the rendering. The contract
suite libs/runtime/tests/contract/test_outbox.py runs the same assertions against it and against
tideover_runtime.outbox.PostgresOutbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from tideover_contracts.envelope import Envelope, Event, parse_message, wrap
from tideover_contracts.topics import topic_of
from tideover_runtime.clock import BusinessClock
from tideover_runtime.outbox import rendered_value
from tideover_runtime.unit import Secret, Unit

E = TypeVar("E", bound=Event)


class MemoryOutbox:
    def __init__(self) -> None:
        self.staged: dict[uuid.UUID, Envelope[Any]] = {}
        self.secret: set[uuid.UUID] = set()

    async def stage(self, envelopes: Sequence[Envelope[Any]], secret: Secret = False) -> None:
        for envelope in envelopes:
            if envelope.event_id in self.staged:
                continue
            self.staged[envelope.event_id] = envelope
            if secret(envelope.payload) if callable(secret) else secret:
                self.secret.add(envelope.event_id)

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
        if event_id in self.staged:
            return
        value = rendered_value(
            event_class, payload_json, event_id=event_id, producer=producer, occurred_at=occurred_at, causation=causation
        )
        envelope = parse_message(value, topic_of(event_class).event_classes())  # the bytes the real outbox would send
        if envelope.payload.partition_key() != key:
            raise AssertionError(
                f"{event_class.event_type} staged with key {key}, its contract says {envelope.payload.partition_key()}"
            )
        self.staged[event_id] = envelope

    def events(self, event_class: type[E]) -> list[E]:
        """The payloads staged of `event_class`, in the order they were staged."""
        return [envelope.payload for envelope in self.staged.values() if isinstance(envelope.payload, event_class)]

    def types(self) -> list[str]:
        return [envelope.event_type for envelope in self.staged.values()]


def unit_of(
    event: E, *, producer: str, outbox: MemoryOutbox | None = None, clock: BusinessClock | None = None, at: datetime | None = None
) -> Unit[E]:
    """A unit for `event` as the runtime would hand it to a use case: wrapped in an envelope
    from an upstream producer, at `at` (the clock's instant when not given)."""
    clock = clock or BusinessClock()
    occurred_at = at or clock.now()
    return Unit(wrap(event, producer="test", occurred_at=occurred_at), producer, clock, outbox or MemoryOutbox())
