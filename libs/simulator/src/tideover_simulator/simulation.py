"""The simulation: a loan book published as an upstream loan system would, business days closed
on `ops.clock.v1` as the scheduler would, borrowers paying by their profiles and an agent
working the hardship cases, with every day settled before the next one starts.

A business day `d` (Monday to Friday): the payments of each calendar day since the last close
arrive (02:00 UTC that day, its value date); the day closes at
10:00 UTC (18:00 in Beijing); the clock ticks to 13:30 UTC (the morning in the US) and to
00:30 UTC the next day (08:30 in Beijing), so that notices held through quiet hours go out;
then the agent works the cases and the borrowers who ask for help on their own page take their
steps there (tideover_simulator.page_borrower), entering the codes the day's texts bring them.
Before the close and after each clock event the simulation waits until every service caught up,
told so by the consumer groups' commits and the outboxes' notifications
(tideover_simulator.settling). Its calls on the services' APIs outlive a service's restart
(tideover_simulator.clients). After the last day it takes the trial balance of the book's loans
(tideover_reconcile) and prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_contracts.events.loans import RepaymentReceived
from tideover_reconcile import text_lines, trial_balance
from tideover_runtime.lag import LagProbe
from tideover_runtime.settings import RuntimeSettings
from tideover_simulator.agent import Agent
from tideover_simulator.book import Borrower, loan_book
from tideover_simulator.caseload import Caseload
from tideover_simulator.intake_clients import IntakeClients, RequestHook
from tideover_simulator.observer import Day, Observer
from tideover_simulator.page_borrower import PageBorrower
from tideover_simulator.payments import payments_on
from tideover_simulator.phones import Phones
from tideover_simulator.scenario import DayHook, Plan, Progress, Services, at, business_days, last_closed_day
from tideover_simulator.settling import Settling
from tideover_simulator.tally import Tally
from tideover_testkit import reference_gateway
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher

__all__ = ["Plan", "Services", "Simulation"]

UPSTREAM = "simulated-loan-system"
SCHEDULER = "simulated-scheduler"
#: The watcher is waited on after each step of a day: a message it has not fetched yet waits at
#: most this long (TopicWatcher); polling keeps the old wait, so as to stay the old way.
WATCHER_FETCH_WAIT_MS = {"notified": 20, "polled": 500}


@dataclass(frozen=True)
class _Wires:
    """The run's connections: it publishes on the topics, and waits until the services caught up."""

    kafka: KafkaTestClient
    settling: Settling
    published: Counter[str]

    async def publish(self, *events: Event, at: datetime, producer: str = UPSTREAM) -> None:
        for event in events:
            self.published[event.event_type] += 1
        await self.kafka.publish(*(_wrapped(event, producer, at) for event in events))

    async def settle(self) -> None:
        await self.settling.settle()


def _wrapped(event: Event, producer: str, at: datetime) -> Envelope[Event]:
    """`event` in its envelope; a close with the one event id it has whoever publishes it (the
    scheduler would give the same)."""
    event_id = close_event_id(event.business_date) if isinstance(event, BusinessDayClosed) else None
    return wrap(event, producer=producer, occurred_at=at, event_id=event_id)


class Simulation:
    def __init__(
        self,
        settings: RuntimeSettings,
        services: Services,
        plan: Plan,
        progress: Progress = print,
        on_day: DayHook | None = None,
        on_intake_request: RequestHook | None = None,
    ) -> None:
        self.settings = settings
        self.on_day, self.on_intake_request = on_day, on_intake_request
        self.services = services
        self.plan = plan
        self.progress = progress
        self.book: list[Borrower] = []
        self.caseload = Caseload(seed=plan.seed, page_share=plan.page_share)
        self.tally = Tally()
        #: What the borrowers' phones received from the reference gateway.
        self.phones = Phones()
        #: Every call on a service's API that failed and was sent again (a restarting service).
        self.failed_calls: list[str] = []

    async def run(self) -> dict[str, Any]:
        """Simulate, and return the figures the report is drawn from."""
        started = time.perf_counter()
        settings = self.settings
        first_day = self.plan.first_day or await self._first_day()
        self.book = loan_book(self.plan.seed, self.plan.loans, first_day)
        self.progress(
            f"simulating {len(self.book)} loans over {self.plan.days} business days from {first_day} (seed {self.plan.seed})"
        )
        stopping = asyncio.Event()
        delivered = self.phones.deliver
        gateway = asyncio.create_task(reference_gateway.run(settings, 0.0, frozenset(), "simulator", stopping, delivered))
        # A pool, not one connection: it reconnects after the database restarts (settle retries);
        # one of its connections listens for the outboxes' notifications.
        database = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=3)
        try:
            observer, notices, balance = await self._simulate(first_day, database, started)
        finally:
            stopping.set()
            await gateway
            await database.close()
        elapsed = time.perf_counter() - started
        return self.tally.figures(self.plan, self.book, self.caseload.cases, first_day, observer, notices, balance, elapsed)

    async def _simulate(
        self, first_day: date, database: asyncpg.Pool, started: float
    ) -> tuple[Observer, list[dict[str, Any]], dict[str, Any]]:
        """Publish the book, run its business days, then read the contact logs and the trial balance."""
        settings = self.settings
        borrowers = {borrower.loan_id: borrower for borrower in self.book}
        servers, prefix = settings.kafka_bootstrap_servers, settings.topic_prefix
        async with (
            KafkaTestClient(servers, prefix) as kafka,
            TopicWatcher(
                servers,
                SERVICE_OUTPUT_TOPICS,
                prefix,
                keys={str(loan_id).encode() for loan_id in borrowers},
                fetch_max_wait_ms=WATCHER_FETCH_WAIT_MS[self.plan.settle],
            ) as watcher,
            LagProbe(servers, prefix) as probe,
            Settling(self.plan.settle, servers, prefix, probe, database, watcher) as settling,
            self._intake_clients() as agent,
            contextlib.aclosing(self._page_borrower()) as page,
        ):
            observer = Observer(watcher, set(borrowers))
            wires = _Wires(kafka, settling, self.tally.published)
            await wires.publish(*(borrower.loan for borrower in self.book), at=at(first_day, 1))
            await wires.settle()
            previous = first_day - timedelta(days=1)
            for number, day in enumerate(business_days(first_day, self.plan.days)):
                await self._business_day(number, previous, day, wires, observer, agent, page)
                previous = day
                if number % 10 == 9 or number == self.plan.days - 1:
                    self._report_progress(day, number + 1, observer, started)
            await wires.settle()
            observer.catch_up(Day(day))
            notices = await self._contact_logs(list(borrowers))
            balance = (await trial_balance(settings.database_url, list(borrowers))).as_json()
            for line in text_lines(balance):
                self.progress(line)
        return observer, notices, balance

    async def _business_day(
        self, number: int, previous: date, day: date, wires: _Wires, observer: Observer, agent: Agent, page: PageBorrower
    ) -> None:
        """The payments since `previous`, the close of `day` (with the day hook alongside), the
        clock ticks, the agent's calls and the page borrowers' steps, the change codes they
        asked for, and the borrowers' confirmations."""
        today = Day(day)
        await self._pay(previous, day, observer, wires)
        # The payments and yesterday's confirmations are taken in before the close,
        # hours ahead (on other topics, they would race it).
        await wires.settle()
        async with asyncio.TaskGroup() as alongside:
            await wires.publish(BusinessDayClosed(business_date=day, closed_at=at(day, 10)), at=at(day, 10), producer=SCHEDULER)
            if self.on_day is not None:
                alongside.create_task(self.on_day(number, day))
            await wires.settle()
            # The ticks in one go: each service takes clock events in order, one at a time.
            ticks = (at(day, 13, 30), at(day + timedelta(days=1), 0, 30))
            for tick in ticks:
                await wires.publish(ClockTicked(at=tick), at=tick, producer=SCHEDULER)
            await wires.settle()
            observer.catch_up(today)
            self.caseload.note_overdue(observer, day)
            await self.caseload.work(self.book, agent, page, observer, day)
            await wires.settle()  # the written plans and the change codes reach the borrowers' phones
            if page.waiting:
                for case in self.caseload.cases.values():
                    await page.enter_code(case)
                await wires.settle()  # the written plans of the options chosen on the page
            for case in self.caseload.cases.values():
                await (page.confirm(case) if case.on_page else agent.confirm(case))
        self.tally.record(today, observer)

    async def _first_day(self) -> date:
        last = await last_closed_day(self.settings)
        return date(2026, 1, 5) if last is None else next(business_days(last + timedelta(days=1), 1))

    def _page_borrower(self) -> PageBorrower:
        return PageBorrower(self.services.intake, self.phones, self.failed_calls, self.tally.page_steps)

    def _intake_clients(self) -> IntakeClients:
        return IntakeClients(
            self.settings.database_url, self.services.intake, self.phones, self.failed_calls, self.on_intake_request
        )

    # Borrowers ------------------------------------------------------------------------------

    async def _pay(self, previous: date, day: date, observer: Observer, wires: _Wires) -> None:
        """Publish the payments of each calendar day after `previous` up to `day`."""
        for paid_on in (previous + timedelta(days=n) for n in range(1, (day - previous).days + 1)):
            payments = await self._payments(paid_on, observer)
            if payments:
                await wires.publish(*payments, at=at(paid_on, 2))

    async def _payments(self, day: date, observer: Observer) -> list[RepaymentReceived]:
        async with self.services.query_client(self.services.overdue, self.failed_calls) as overdue:
            return await payments_on(day, self.book, observer, overdue, self.tally)

    # Progress and the services' records -----------------------------------------------------------

    def _report_progress(self, day: date, done: int, observer: Observer, started: float) -> None:
        plans = observer.plans()
        self.progress(
            f"  day {done:>3}/{self.plan.days} {day}: overdue {sum(observer.buckets().values()):>4}, "
            f"applications {len(self.caseload.cases):>3}, plans active {plans['active']:>3} completed {plans['completed']:>3} "
            f"broken {plans['broken']:>3}, {time.perf_counter() - started:5.0f} s"
        )

    async def _contact_logs(self, loan_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        """Every decision notification made about our loans (its own record, per loan)."""
        async with self.services.query_client(self.services.notification, self.failed_calls) as http:
            entries = []
            for loan_id in loan_ids:
                response = await http.get(f"/v1/loans/{loan_id}/contact-log")
                response.raise_for_status()
                entries.extend(response.json()["entries"])
        return entries
