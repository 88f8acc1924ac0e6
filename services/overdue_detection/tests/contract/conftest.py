"""The loan book port's contract suites run on the fake (adapters/memory.py) and on Postgres
(adapters/loan_book.py), through one `book` fixture."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.adapters.memory import MemoryLoanBook
from overdue_detection.domain.ledger import ChargePolicy
from overdue_detection.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import Envelope, parse_message
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import OVERDUE_STATUS
from tideover_runtime.clock import record_business_day
from tideover_runtime.database import Connection
from tideover_testkit.contract import Adapter
from tideover_testkit.memory import MemoryOutbox

#: The examples' loan: 3,000.00 over three installments of 1,000.00 + 45.00, due on the 15th.
BOOKED_ON = date(2026, 1, 15)
POLICY = ChargePolicy(Decimal("0.0720"), Decimal("0.0360"), None)


@dataclass
class Book:
    """The port under test, and how to arrange and read what is not the port's to say."""

    port: LoanBook | MemoryLoanBook
    connection: Connection | None
    outbox: MemoryOutbox | None

    async def close(self, day: date) -> None:
        """The runtime records a business day closed before the close is handled."""
        event = BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
        if isinstance(self.port, MemoryLoanBook):
            await self.port.record_business_day(event)
        else:
            assert self.connection is not None
            await record_business_day(self.connection, event)

    async def book(self, policy: ChargePolicy = POLICY, **fields: Any) -> LoanBooked:
        loan = loan_booked(loan_id=uuid.uuid4(), **{"booked_on": BOOKED_ON, **fields})
        await self.port.add_many([(loan, policy)])
        return loan

    async def status_events(self) -> list[Envelope[Any]]:
        if self.outbox is not None:
            return list(self.outbox.staged.values())
        assert self.connection is not None
        rows = await self.connection.fetch("SELECT value FROM outbox WHERE topic = 'overdue.status.v1' ORDER BY id")
        return [parse_message(bytes(row["value"]), OVERDUE_STATUS.event_classes()) for row in rows]


@pytest.fixture
async def book(adapter: Adapter) -> AsyncIterator[Book]:
    if adapter.memory:
        outbox = MemoryOutbox()
        yield Book(MemoryLoanBook(outbox), None, outbox)
    else:
        async with adapter.postgres(MIGRATIONS, "loan_book") as connection:
            yield Book(LoanBook(connection), connection, None)
