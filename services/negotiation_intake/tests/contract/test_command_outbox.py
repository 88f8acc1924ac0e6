"""The commands' Outbox port's contract, against the fake (adapters/memory.py RecordingOutbox)
and the Postgres adapter (adapters/outbox.py): what a command stages is kept in order, once per
event id, its secret marked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from negotiation_intake.adapters.memory import RecordingOutbox
from negotiation_intake.adapters.outbox import PRODUCER, PostgresCommandOutbox
from negotiation_intake.application.ports import Outbox
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import Event, parse_message
from tideover_contracts.events.negotiation import NegotiationWithdrawn
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS
from tideover_runtime.clock import BusinessClock
from tideover_runtime.database import Connection
from tideover_testkit.contract import Adapter

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class Kept:
    outbox: Outbox
    connection: Connection | None

    async def events(self) -> list[tuple[Event, bool]]:
        """What was staged, in order, and whether it is secret."""
        if isinstance(self.outbox, RecordingOutbox):
            return [(item.event, item.secret) for item in self.outbox.staged]
        assert self.connection is not None
        rows = await self.connection.fetch("SELECT value, secret FROM outbox ORDER BY id")
        found = []
        for row in rows:
            envelope = parse_message(bytes(row["value"]), NEGOTIATION_APPLICATIONS.event_classes())
            assert (envelope.producer, envelope.occurred_at) == (PRODUCER, AT)
            found.append((envelope.payload, row["secret"]))
        return found


@pytest.fixture
async def kept(adapter: Adapter) -> AsyncIterator[Kept]:
    if adapter.memory:
        yield Kept(RecordingOutbox(), None)
    else:
        async with adapter.postgres(MIGRATIONS, "intake_outbox") as connection:
            yield Kept(PostgresCommandOutbox(connection, BusinessClock(AT)), connection)


def _withdrawn(reason: str) -> NegotiationWithdrawn:
    return NegotiationWithdrawn(application_id=uuid.uuid4(), loan_id=uuid.uuid4(), reason=reason, withdrawn_at=AT)


async def test_staged_events_are_kept_in_order(kept: Kept) -> None:
    first, second = _withdrawn("first"), _withdrawn("second")
    await kept.outbox(first)
    await kept.outbox(second, secret=True)
    assert await kept.events() == [(first, False), (second, True)]


async def test_an_event_id_staged_again_is_a_no_op(kept: Kept) -> None:
    event_id = uuid.uuid4()
    first = _withdrawn("first")
    await kept.outbox(first, event_id=event_id)
    await kept.outbox(_withdrawn("again"), event_id=event_id)
    assert await kept.events() == [(first, False)]
