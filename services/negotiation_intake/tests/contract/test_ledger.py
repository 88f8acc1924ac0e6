"""The Ledger port's contract, against the fake (adapters/memory.py MemoryLedger) and the HTTP
client of overdue-detection's query API (adapters/ledger.py HttpLedger, on a mock transport
that answers as overdue-detection does): a booked loan's position, None for a loan not open,
and LedgerUnavailableError when the ledger cannot be asked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from negotiation_intake.adapters import ledger as http_ledger
from negotiation_intake.adapters.memory import MemoryLedger
from negotiation_intake.application.ports import Ledger, LedgerUnavailableError
from tideover_contracts.events.overdue import LedgerPosition
from tideover_contracts.examples import ledger_position

KEY = "svc_test-key"


class Books:
    """What the ledger holds, and a way to make it unavailable, whichever adapter asks it."""

    def __init__(self) -> None:
        self.positions: dict[uuid.UUID, LedgerPosition] = {}
        self.down = False

    def answer(self, request: httpx.Request) -> httpx.Response:
        """overdue-detection's GET /v1/loans/{id}/position."""
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        loan_id = uuid.UUID(request.url.path.split("/")[3])
        position = self.positions.get(loan_id)
        if position is None:
            return httpx.Response(404, json={"type": "about:blank", "status": 404})
        return httpx.Response(200, content=position.model_dump_json())


@pytest.fixture(params=["memory", "http"])
def ledger_and_books(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[Ledger, Callable[..., None]]:
    """The ledger, and `book(position=None, down=None)`, which changes what it holds."""
    books = Books()
    if request.param == "memory":
        memory = MemoryLedger()

        def book_memory(position: LedgerPosition | None = None, down: bool | None = None) -> None:
            if position is not None:
                memory.book(position)
            if down is not None:
                memory.unavailable = down

        return memory, book_memory
    client = httpx.AsyncClient

    def with_transport(**kwargs: Any) -> httpx.AsyncClient:
        return client(transport=httpx.MockTransport(books.answer), **kwargs)

    monkeypatch.setattr(http_ledger.httpx, "AsyncClient", with_transport)

    def book_http(position: LedgerPosition | None = None, down: bool | None = None) -> None:
        if position is not None:
            books.positions[position.loan_id] = position
        if down is not None:
            books.down = down

    return http_ledger.HttpLedger("http://overdue-detection/", KEY), book_http


async def test_a_booked_loans_position_is_answered(ledger_and_books: tuple[Ledger, Callable[..., None]]) -> None:
    ledger, book = ledger_and_books
    position = ledger_position().model_copy(update={"loan_id": uuid.uuid4()})
    book(position)
    assert await ledger.position(position.loan_id) == position


async def test_a_loan_not_open_in_the_ledger_is_none(ledger_and_books: tuple[Ledger, Callable[..., None]]) -> None:
    ledger, _ = ledger_and_books
    assert await ledger.position(uuid.uuid4()) is None


async def test_a_ledger_that_cannot_be_asked_is_unavailable(ledger_and_books: tuple[Ledger, Callable[..., None]]) -> None:
    ledger, book = ledger_and_books
    book(down=True)
    with pytest.raises(LedgerUnavailableError):
        await ledger.position(uuid.uuid4())


@pytest.mark.parametrize(("status", "content"), [(503, b"{}"), (200, b'{"loan_id": "not a position"}')])
async def test_the_http_ledger_is_unavailable_when_it_answers_otherwise(
    monkeypatch: pytest.MonkeyPatch, status: int, content: bytes
) -> None:
    client = httpx.AsyncClient
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=content)

    monkeypatch.setattr(
        http_ledger.httpx, "AsyncClient", lambda **kwargs: client(transport=httpx.MockTransport(answer), **kwargs)
    )
    loan_id = uuid.uuid4()
    with pytest.raises(LedgerUnavailableError):
        await http_ledger.HttpLedger("http://overdue-detection", KEY).position(loan_id)
    assert [request.url.path for request in seen] == [f"/v1/loans/{loan_id}/position"]
