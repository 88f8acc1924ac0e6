"""The commands' Outbox on the request's connection: events staged in the runtime's outbox
table, in the transaction of the change that caused them."""

from __future__ import annotations

import uuid

from tideover_contracts.envelope import Event
from tideover_runtime.clock import Clock
from tideover_runtime.database import Connection
from tideover_runtime.outbox import stage_event

PRODUCER = "negotiation-intake"


class PostgresCommandOutbox:
    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    async def __call__(self, event: Event, *, event_id: uuid.UUID | None = None, secret: bool = False) -> None:
        await stage_event(
            self._connection, event, producer=PRODUCER, occurred_at=self._clock.now(), event_id=event_id, secret=secret
        )
