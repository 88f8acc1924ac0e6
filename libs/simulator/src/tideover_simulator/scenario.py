"""What to simulate (`Plan`), where the services answer (`Services`), the hooks a test can run
alongside, and the calendar of a simulated business day."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Literal

import httpx

from tideover_runtime.service_keys import key_header
from tideover_runtime.settings import RuntimeSettings
from tideover_simulator.clients import service_client
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.service_keys import harness_key


@dataclass(frozen=True)
class Services:
    """Where the running services answer, and the operator's service key their query APIs take
    (TIDEOVER_SERVICE_KEY; tideover-service-keys)."""

    overdue: str = "http://127.0.0.1:8101"
    notification: str = "http://127.0.0.1:8102"
    intake: str = "http://127.0.0.1:8103"
    key: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, running: Mapping[str, Any]) -> Services:
        """Where service processes by module name answer (`ServiceProcess.url`), started by the
        test harness: asked with its operator key."""
        return cls(
            overdue=running["overdue_detection"].url,
            notification=running["notification"].url,
            intake=running["negotiation_intake"].url,
            key=harness_key(),
        )

    def query_client(self, base_url: str, failed: list[str]) -> httpx.AsyncClient:
        """A client on a query API, sending the key."""
        return service_client(base_url, failed, key_header(self.key))


@dataclass(frozen=True)
class Plan:
    """What to simulate."""

    seed: int = 7
    loans: int = 2000
    days: int = 150
    #: The first business day; by default the day after the last one closed on the clock topic.
    first_day: date | None = None
    #: Of the borrowers who ask for help, the share who do it on their own page rather than
    #: through the agent (a draw per loan from the seed: tideover_simulator.caseload).
    page_share: float = 0.3
    #: How a day is known to be settled: "notified" (tideover_simulator.settling) or "polled"
    #: (the old way, kept so that a test can show both give the same figures).
    settle: Literal["notified", "polled"] = "notified"

    def __post_init__(self) -> None:
        if not 0 <= self.page_share <= 1:
            raise ValueError(f"page_share is a share of the borrowers, from 0 to 1: {self.page_share}")
        if self.settle not in ("notified", "polled"):
            raise ValueError(f"settle is 'notified' or 'polled': {self.settle}")


Progress = Callable[[str], None]
#: Started with a business day's number (from 0) and date right after its close is published;
#: it runs alongside the rest of the day (the services' work, the clock ticks, the agent's calls,
#: the confirmations) and the day ends when it has returned. The fault test kills and restarts
#: things there.
DayHook = Callable[[int, date], Coroutine[Any, Any, None]]


async def last_closed_day(settings: RuntimeSettings) -> date | None:
    """The last business day on `ops.clock.v1`: a new book starts after it (closed days are
    never reopened, and the services' clocks only move forward)."""
    async with TopicWatcher(settings.kafka_bootstrap_servers, ["ops.clock.v1"], settings.topic_prefix) as clock:
        await asyncio.sleep(2.0)
        days = [event.business_date for event in clock.events("BusinessDayClosed")]
    return max(days, default=None)


def business_days(first: date, count: int) -> Iterator[date]:
    """`count` business days from `first` on: every calendar day, as the scheduler closes them by
    default (internet lenders collect seven days a week)."""
    return (first + timedelta(days=offset) for offset in range(count))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` UTC on `day`."""
    return datetime.combine(day, clock_time(hour, minute), tzinfo=UTC)
