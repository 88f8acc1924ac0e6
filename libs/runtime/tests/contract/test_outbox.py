"""The outbox port's contract, against the fake (tideover_testkit.memory.MemoryOutbox) and the
Postgres adapter (tideover_runtime.outbox.PostgresOutbox): what a use case stages is what is
kept, once per event id, rendered events included."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tideover_contracts.envelope import Envelope, parse_message, wrap
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.topics import LOANS_LIFECYCLE
from tideover_runtime.database import Connection
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Outbox
from tideover_testkit.contract import Adapter
from tideover_testkit.memory import MemoryOutbox

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Staged:
    """Reads back what an outbox kept, whichever adapter it is."""

    def __init__(self, outbox: Outbox, connection: Connection | None) -> None:
        self.outbox = outbox
        self._connection = connection

    async def envelopes(self) -> list[Envelope[Any]]:
        if isinstance(self.outbox, MemoryOutbox):
            return list(self.outbox.staged.values())
        assert self._connection is not None
        rows = await self._connection.fetch("SELECT value FROM outbox ORDER BY id")
        return [parse_message(bytes(row["value"]), LOANS_LIFECYCLE.event_classes()) for row in rows]

    async def secret_ids(self) -> set[uuid.UUID]:
        if isinstance(self.outbox, MemoryOutbox):
            return self.outbox.secret
        assert self._connection is not None
        return {row["event_id"] for row in await self._connection.fetch("SELECT event_id FROM outbox WHERE secret")}


@pytest.fixture
async def staged(adapter: Adapter, tmp_path: Path) -> AsyncIterator[Staged]:
    if adapter.memory:
        yield Staged(MemoryOutbox(), None)
    else:
        async with adapter.postgres(tmp_path, "outbox") as connection:  # the runtime's tables only
            yield Staged(PostgresOutbox(connection), connection)


def _payment(loan_id: uuid.UUID) -> RepaymentReceived:
    return RepaymentReceived(
        payment_id=f"p-{uuid.uuid4().hex[:8]}",
        loan_id=loan_id,
        amount=Money(amount=Decimal("10.00"), currency="CNY"),
        value_date=AT.date(),
        received_at=AT,
    )


async def test_staged_events_are_kept_in_order_once_per_event_id(staged: Staged) -> None:
    booked = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=AT)
    paid = wrap(_payment(booked.payload.loan_id), producer="test", occurred_at=AT, causation=booked)
    await staged.outbox.stage([booked, paid])
    await staged.outbox.stage([paid])  # the same event id again: a no-op
    assert [(e.event_id, e.event_type) for e in await staged.envelopes()] == [
        (booked.event_id, "LoanBooked"),
        (paid.event_id, "RepaymentReceived"),
    ]
    assert (await staged.envelopes())[1].causation_id == booked.event_id


async def test_secret_says_which_events_carry_one(staged: Staged) -> None:
    booked = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=AT)
    paid = wrap(_payment(booked.payload.loan_id), producer="test", occurred_at=AT)
    await staged.outbox.stage([booked, paid], secret=lambda event: isinstance(event, RepaymentReceived))
    assert await staged.secret_ids() == {paid.event_id}


async def test_a_rendered_event_is_kept_as_its_contract_reads_it(staged: Staged) -> None:
    cause = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=AT)
    payment = _payment(cause.payload.loan_id)
    event_id = uuid.uuid4()
    for _ in range(2):
        await staged.outbox.stage_rendered(
            RepaymentReceived,
            payment.model_dump_json(),
            key=str(payment.loan_id),
            event_id=event_id,
            producer="overdue-detection",
            occurred_at=AT,
            causation=cause,
        )
    [envelope] = await staged.envelopes()
    assert envelope.event_id == event_id
    assert envelope.payload == payment
    assert (envelope.producer, envelope.correlation_id, envelope.causation_id) == (
        "overdue-detection",
        cause.correlation_id,
        cause.event_id,
    )
