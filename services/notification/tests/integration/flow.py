"""What the contact-flow tests (test_contact_flow*.py) publish and read: notification on the real
Kafka and Postgres, with its own topics, database and business clock."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx

from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import ClockTicked
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import CureReason
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_contracts.money import Money
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import harness_headers
from tideover_testkit.settle import settled, taken_in

EVENING = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
MORNING = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
MIDDAY = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def envelope(event: Any, occurred_at: datetime | None = None) -> Envelope[Any]:
    """`event` stamped now, or at `occurred_at`: an event on a business-time topic moves the
    service's clock to its stamp, so a test that sets the time of day stamps its events with it."""
    return wrap(event, producer="test", occurred_at=occurred_at or datetime.now(UTC))


async def handled(infrastructure: Infrastructure, *envelopes: Envelope[Any]) -> None:
    """Wait until notification has taken these events in (their inbox rows are committed)."""
    await taken_in(infrastructure, "notification", *(envelope.event_id for envelope in envelopes))


async def quiet(infrastructure: Infrastructure, watcher: TopicWatcher) -> None:
    """Until notification has consumed everything and sent its outbox, and the watcher read it
    all: then a message, were there one, would have been seen."""
    await settled(infrastructure)
    await watcher.caught_up()


async def at(infrastructure: Infrastructure, kafka: KafkaTestClient, instant: datetime) -> None:
    tick = envelope(ClockTicked(at=instant))
    await kafka.publish(tick)
    await handled(infrastructure, tick)


async def overdue_loan(
    infrastructure: Infrastructure, kafka: KafkaTestClient, stamped_at: datetime | None = None, **contact: Any
) -> Any:
    loan_id = uuid.uuid4()
    booked_event = loan_booked(loan_id=loan_id).model_copy(update={"borrower": borrower().model_copy(update=contact)})
    booked = envelope(booked_event, stamped_at)
    await kafka.publish(booked)
    await handled(infrastructure, booked)
    overdue = next(event for event in golden_events() if type(event).__name__ == "LoanBecameOverdue")
    return overdue.model_copy(update={"loan_id": loan_id, "business_date": date(2031, 3, 3)})


async def contact_log(service: ServiceProcess, loan_id: uuid.UUID) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=service.url, headers=harness_headers()) as http:
        entries: list[dict[str, Any]] = (await http.get(f"/v1/loans/{loan_id}/contact-log")).json()["entries"]
        return entries


#: The borrower's page as the service signs its links without TIDEOVER_BORROWER_PAGE_URL (the harness sets none).
PAGE = "http://127.0.0.1:8103/b/"


def link_token(body: str) -> str:
    """The token of the one borrower's link `body` carries (notification's application/links.py)."""
    [token] = re.findall(re.escape(PAGE) + r"([A-Za-z0-9_-]{40})(?=\s|$)", body)
    return token


def golden(event_type: str, **changes: Any) -> Any:
    return next(event for event in golden_events() if type(event).__name__ == event_type).model_copy(update=changes)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


async def publish_in_turn(infrastructure: Infrastructure, kafka: KafkaTestClient, *envelopes: Envelope[Any]) -> None:
    """Each event taken in before the next is published: the order the service reads them in."""
    for each in envelopes:
        await kafka.publish(each)
        await handled(infrastructure, each)


def closure_of(overdue: Any, reason: LoanClosureReason) -> Envelope[Any]:
    return envelope(LoanClosed(loan_id=overdue.loan_id, closed_on=date(2031, 3, 3), reason=reason))


def cure_by_closure_of(overdue: Any) -> Envelope[Any]:
    """What overdue-detection publishes when a loan in an overdue episode closes."""
    cure = golden("LoanCured", loan_id=overdue.loan_id, business_date=date(2031, 3, 3), reason=CureReason.LOAN_CLOSED)
    return wrap(cure, producer="overdue-detection", occurred_at=MIDDAY)  # business time, like the clock's
