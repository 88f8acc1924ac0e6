"""The simulation: a loan book published as an upstream loan system would, business days closed
on `ops.clock.v1` as the scheduler would, borrowers paying by their profiles and an agent
working the hardship cases, with every day settled before the next one starts.

A business day `d` (Monday to Friday): the payments of each calendar day since the last close
arrive (02:00 UTC that day, its value date); the day closes at
10:00 UTC (18:00 in Beijing); the clock ticks to 13:30 UTC (the morning in the US) and to
00:30 UTC the next day (08:30 in Beijing), so that notices held through quiet hours go out;
then the agent works the cases. Before the close and after each clock event the simulation
waits until every service caught up (tideover_testkit.settle). Its calls on the
services' APIs outlive a service's restart (tideover_simulator.clients). After the last day
it takes the trial balance of the book's loans (tideover_reconcile) and prints it.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked, close_event_id
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.notifications import NotificationRequested, Purpose
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.money import Money
from tideover_reconcile import text_lines, trial_balance
from tideover_runtime.lag import LagProbe
from tideover_runtime.service_keys import key_header
from tideover_runtime.settings import RuntimeSettings
from tideover_simulator.agent import Agent, Case
from tideover_simulator.book import Borrower, Keeper, Payer, loan_book
from tideover_simulator.clients import service_client
from tideover_simulator.observer import Day, Observer, Standing
from tideover_testkit import reference_gateway
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.service_keys import harness_key
from tideover_testkit.settle import settle

CENT = Decimal("0.01")
UPSTREAM = "simulated-loan-system"
SCHEDULER = "simulated-scheduler"
#: Days overdue before the agent calls a borrower who is to apply.
AGENT_CALLS_AFTER_DAYS = 5
#: Days before the first installment they will miss that a borrower who comes early calls (the
#: policy allows up to 30: DESIGN.md §4, early hardship).
EARLY_CALL_DAYS_BEFORE = 20
#: How late a borrower who misses a plan installment once pays it.
MISSES_ONCE_LATE = 12


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


Progress = Callable[[str], None]
#: Started with a business day's number (from 0) and date right after its close is published;
#: it runs alongside the rest of the day (the services' work, the clock ticks, the agent's calls,
#: the confirmations) and the day ends when it has returned. The fault test kills and restarts
#: things there.
DayHook = Callable[[int, date], Coroutine[Any, Any, None]]
#: Awaited before each request the agent, the supervisor or a borrower sends to intake.
RequestHook = Callable[[httpx.Request], Awaitable[None]]


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


def _wrapped(event: Event, producer: str, at: datetime) -> Envelope[Event]:
    """`event` in its envelope; a close with the one event id it has whoever publishes it (the
    scheduler would give the same)."""
    event_id = close_event_id(event.business_date) if isinstance(event, BusinessDayClosed) else None
    return wrap(event, producer=producer, occurred_at=at, event_id=event_id)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=UTC)


async def issue_key(database_url: str, agent_id: str, role: str) -> str:
    """An API key of `role` for `agent_id`, made by intake's own CLI as an operator makes one
    (`tideover-intake-keys create`): the simulator talks to intake through its API and CLI only."""
    command = shutil.which("tideover-intake-keys", path=str(Path(sys.executable).parent)) or "tideover-intake-keys"
    process = await asyncio.create_subprocess_exec(
        command, "create", "--agent-id", agent_id, "--role", role,
        env={**os.environ, "DATABASE_URL": database_url}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"tideover-intake-keys create failed ({process.returncode}): {err.decode().strip()}")
    return out.decode().strip()


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
        self.cases: dict[uuid.UUID, Case] = {}
        self.first_overdue: dict[uuid.UUID, date] = {}
        self.series: list[dict[str, Any]] = []
        self.published: Counter[str] = Counter()
        self.paid = Decimal(0)
        self.recovered = Decimal(0)
        self.codes: dict[uuid.UUID, str] = {}
        #: Every call on a service's API that failed and was sent again (a restarting service).
        self.failed_calls: list[str] = []

    async def run(self) -> dict[str, Any]:
        """Simulate, and return the figures the report is drawn from."""
        started = time.perf_counter()
        settings = self.settings
        first_day = self.plan.first_day or await self._first_day()
        self.book = loan_book(self.plan.seed, self.plan.loans, first_day)
        borrowers = {borrower.loan_id: borrower for borrower in self.book}
        self.progress(
            f"simulating {len(self.book)} loans over {self.plan.days} business days from {first_day} (seed {self.plan.seed})"
        )
        servers, prefix = settings.kafka_bootstrap_servers, settings.topic_prefix
        stopping = asyncio.Event()
        gateway = asyncio.create_task(reference_gateway.run(settings, 0.0, frozenset(), "simulator", stopping, self._delivered))
        # A pool, not one connection: it reconnects after the database restarts (settle retries).
        database = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
        try:
            async with (
                KafkaTestClient(servers, prefix) as kafka,
                TopicWatcher(
                    servers, SERVICE_OUTPUT_TOPICS, prefix, keys={str(loan_id).encode() for loan_id in borrowers}
                ) as watcher,
                LagProbe(servers, prefix) as probe,
                self._intake_clients() as agent,
            ):
                observer = Observer(watcher, set(borrowers))

                async def publish(*events: Event, at: datetime, producer: str = UPSTREAM) -> None:
                    for event in events:
                        self.published[event.event_type] += 1
                    await kafka.publish(*(_wrapped(event, producer, at) for event in events))

                await publish(*(borrower.loan for borrower in self.book), at=_at(first_day, 1))
                await settle(probe, database, watcher)
                previous = first_day - timedelta(days=1)
                for number, day in enumerate(business_days(first_day, self.plan.days)):
                    today = Day(day)
                    await self._pay(previous, day, observer, publish)
                    # The payments and yesterday's confirmations are taken in before the close,
                    # hours ahead (on other topics, they would race it).
                    await settle(probe, database, watcher)
                    previous = day
                    async with asyncio.TaskGroup() as alongside:
                        await publish(
                            BusinessDayClosed(business_date=day, closed_at=_at(day, 10)), at=_at(day, 10), producer=SCHEDULER
                        )
                        if self.on_day is not None:
                            alongside.create_task(self.on_day(number, day))
                        await settle(probe, database, watcher)
                        # The ticks in one go: each service takes clock events in order, one at a time.
                        ticks = (_at(day, 13, 30), _at(day + timedelta(days=1), 0, 30))
                        for tick in ticks:
                            await publish(ClockTicked(at=tick), at=tick, producer=SCHEDULER)
                        await settle(probe, database, watcher)
                        observer.catch_up(today)
                        self._note_overdue(observer, day)
                        await self._work_cases(agent, observer, day)
                        await settle(probe, database, watcher)  # the written plans reach the borrowers' phones
                        for case in self.cases.values():
                            await agent.confirm(case)
                    self._record(today, observer)
                    if number % 10 == 9 or number == self.plan.days - 1:
                        self._report_progress(day, number + 1, observer, started)
                await settle(probe, database, watcher)
                observer.catch_up(Day(day))
                notices = await self._contact_logs(list(borrowers))
                balance = (await trial_balance(settings.database_url, list(borrowers))).as_json()
                for line in text_lines(balance):
                    self.progress(line)
        finally:
            stopping.set()
            await gateway
            await database.close()
        return self._figures(first_day, observer, notices, balance, time.perf_counter() - started)

    async def _first_day(self) -> date:
        last = await last_closed_day(self.settings)
        return date(2026, 1, 5) if last is None else next(business_days(last + timedelta(days=1), 1))

    def _delivered(self, request: NotificationRequested) -> None:
        if request.purpose == Purpose.WRITTEN_PLAN:
            self.codes[request.loan_id] = request.body

    def _intake_clients(self) -> Any:
        return _IntakeClients(
            self.settings.database_url, self.services.intake, self.codes, self.failed_calls, self.on_intake_request
        )

    # Borrowers ------------------------------------------------------------------------------

    async def _pay(self, previous: date, day: date, observer: Observer, publish: Callable[..., Awaitable[None]]) -> None:
        """Publish the payments of each calendar day after `previous` up to `day`."""
        for paid_on in (previous + timedelta(days=n) for n in range(1, (day - previous).days + 1)):
            payments = await self._payments(paid_on, observer)
            if payments:
                await publish(*payments, at=_at(paid_on, 2))

    async def _payments(self, day: date, observer: Observer) -> list[RepaymentReceived]:
        payments = []
        async with self.services.query_client(self.services.overdue, self.failed_calls) as overdue:
            for borrower in self.book:
                standing = observer.standing[borrower.loan_id]
                amount = await self._due_from(borrower, standing, day, overdue)
                if amount > 0:
                    payments.append(
                        RepaymentReceived(
                            loan_id=borrower.loan_id,
                            payment_id=f"SIM-{borrower.loan_id}-{day.isoformat()}",
                            amount=Money.of(amount, "CNY"),
                            received_at=_at(day, 2),
                            value_date=day,
                        )
                    )
                    self.paid += amount
                    if standing.bucket or (standing.plan is not None and standing.plan_ended is None):
                        self.recovered += amount
        return payments

    async def _due_from(self, borrower: Borrower, standing: Standing, day: date, overdue: httpx.AsyncClient) -> Decimal:
        """What `borrower` pays on `day`, by their profile and what the services told them."""
        plan = standing.plan
        if plan is not None:
            if standing.plan_ended == "broken" or borrower.keeper == Keeper.BREAKS:
                return Decimal(0)  # neither the plan nor the loan's installments
            under_plan = Decimal(0) if standing.plan_ended == "completed" else _plan_payment(borrower.keeper, plan, day)
            return under_plan + _installments_after(borrower, plan, day)
        if borrower.payer == Payer.LATE:
            late = any(i.due_date + timedelta(days=borrower.days_late) == day for i in borrower.loan.installments)
            return await _everything_overdue(overdue, borrower.loan) if late else Decimal(0)
        return _installments_paid(borrower, day)

    # The agent --------------------------------------------------------------------------------

    def _note_overdue(self, observer: Observer, day: date) -> None:
        for loan_id, standing in observer.standing.items():
            if standing.bucket and loan_id not in self.first_overdue:
                self.first_overdue[loan_id] = day
            elif not standing.bucket:
                self.first_overdue.pop(loan_id, None)

    async def _work_cases(self, agent: Agent, observer: Observer, day: date) -> None:
        for borrower in self.book:
            since = self.first_overdue.get(borrower.loan_id)
            standing = observer.standing[borrower.loan_id]
            missed = borrower.first_missed_due if borrower.comes_early else None
            early = missed is not None and since is None and 0 < (missed - day).days <= EARLY_CALL_DAYS_BEFORE
            overdue_long_enough = since is not None and (day - since).days >= AGENT_CALLS_AFTER_DAYS
            if (
                borrower.applies
                and borrower.loan_id not in self.cases
                and (early or overdue_long_enough)
                and standing.plan is None
            ):
                self.cases[borrower.loan_id] = Case(borrower)
        for case in self.cases.values():
            if not case.finished and observer.standing[case.borrower.loan_id].plan is None:
                await agent.work(case)

    # Figures -----------------------------------------------------------------------------------

    def _record(self, today: Day, observer: Observer) -> None:
        self.series.append(
            {
                "business_date": today.business_date.isoformat(),
                "overdue_by_bucket": dict(sorted(observer.buckets().items())),
                "notices": {"sent": 0, "held": 0, "suppressed": 0},
                "applications": today.applications,
                "offers": today.offers,
                "rejections": today.rejections,
                "plans": observer.plans(),
                "recovered": str(self.recovered),
                "waived": str(today.waived),
            }
        )
        self.recovered = Decimal(0)

    def _report_progress(self, day: date, done: int, observer: Observer, started: float) -> None:
        plans = observer.plans()
        self.progress(
            f"  day {done:>3}/{self.plan.days} {day}: overdue {sum(observer.buckets().values()):>4}, "
            f"applications {len(self.cases):>3}, plans active {plans['active']:>3} completed {plans['completed']:>3} "
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

    def _figures(
        self, first_day: date, observer: Observer, notices: list[dict[str, Any]], balance: dict[str, Any], elapsed: float
    ) -> dict[str, Any]:
        closes = [_at(date.fromisoformat(entry["business_date"]), 10) for entry in self.series]
        suppressed: Counter[str] = Counter()
        for notice in notices:
            # A decision belongs to the business day whose close came last before it (or at it).
            index = bisect.bisect_right(closes, datetime.fromisoformat(notice["decided_at"])) - 1
            if self.series:
                self.series[max(index, 0)]["notices"][notice["decision"]] += 1
            if notice["decision"] == "suppressed":
                suppressed[notice["rule"] or "unspecified"] += 1
        decisions = Counter(notice["decision"] for notice in notices)
        plans = observer.plans()
        return {
            "seed": self.plan.seed,
            "loans": len(self.book),
            "days": self.plan.days,
            "first_day": first_day.isoformat(),
            "last_day": self.series[-1]["business_date"] if self.series else first_day.isoformat(),
            "elapsed_seconds": round(elapsed, 1),
            "currency": "CNY",
            "series": self.series,
            "totals": {
                "borrowers_by_profile": dict(Counter(borrower.payer.value for borrower in self.book)),
                "plan_profiles": dict(Counter(case.borrower.keeper.value for case in self.cases.values())),
                "notices_sent": decisions["sent"],
                "notices_held": decisions["held"],
                "suppressed_by_rule": dict(suppressed),
                "sent_by_purpose": dict(observer.sent_by_purpose),
                "applications": observer.counts["NegotiationRequested"],
                "offers": observer.counts["PlanOffered"],
                "rejections": observer.counts["PlanRejected"],
                "offers_by_kind": dict(observer.offers_by_kind),
                "plans_activated": observer.counts["PlanActivated"],
                "plans_completed": plans["completed"],
                "plans_broken": plans["broken"],
                "plans_active": plans["active"],
                "overdue_by_bucket": dict(sorted(observer.buckets().items())),
                "paid": str(self.paid),
                "recovered": str(sum((Decimal(entry["recovered"]) for entry in self.series), start=Decimal(0))),
                "waived": str(observer.waived),
                "waivers_reinstated": str(observer.reinstated),
                "events_published": dict(self.published),
                "service_events": dict(observer.counts),
            },
            # The ledger of the book's loans after the last day (DESIGN.md §3a; tideover-reconcile).
            "trial_balance": balance,
        }


def _installments_paid(borrower: Borrower, day: date) -> Decimal:
    """What a borrower who is not late and has no plan pays of the loan's installments falling due on `day`."""
    due_today = [i for i in borrower.loan.installments if i.due_date == day]
    if borrower.payer == Payer.PARTIAL:
        return sum(((i.total.amount / 2).quantize(CENT, ROUND_HALF_EVEN) for i in due_today), start=Decimal(0))
    if borrower.payer == Payer.STOPS:
        due_today = [i for i in due_today if i.sequence <= borrower.pays_first]
    return sum((i.total.amount for i in due_today), start=Decimal(0))


def _plan_payment(keeper: Keeper, plan: PlanActivated, day: date) -> Decimal:
    """What of a plan's months the borrower pays on `day`, as their plan profile says: each
    month's total on its due date; the first month's total MISSES_ONCE_LATE days late (missed
    after the grace, paid before the plan breaks); or nothing at all."""
    if keeper == Keeper.BREAKS:
        return Decimal(0)
    first, *rest = plan.months()  # each month as the written plan states it (DESIGN.md §3a)
    if keeper == Keeper.MISSES_ONCE and first.line.due_date + timedelta(days=MISSES_ONCE_LATE) == day:
        return first.total.amount
    on_time = rest if keeper == Keeper.MISSES_ONCE else [first, *rest]
    return sum((month.total.amount for month in on_time if month.line.due_date == day), start=Decimal(0))


def _installments_after(borrower: Borrower, plan: PlanActivated, day: date) -> Decimal:
    """The loan's regular installments due on `day` after the plan's last month, which a borrower
    who did not break the plan keeps up with (on time); those the plan re-dated, replaced or
    asked for in its months are not paid again."""
    last = plan.schedule[-1].due_date
    taken = {*plan.replaced_installments, *(c.sequence for c in plan.continuing_installments)}
    due = (i for i in borrower.loan.installments if i.due_date == day and i.due_date > last and i.sequence not in taken)
    return sum((i.total.amount for i in due), start=Decimal(0))


async def _everything_overdue(overdue: httpx.AsyncClient, loan: LoanBooked) -> Decimal:
    """What the overdue-status API says is overdue, rounded up to the yuan and one more: the
    penalty of the day of payment is not in yesterday's figure (the rest is credit)."""
    response = await overdue.get(f"/v1/loans/{loan.loan_id}/overdue-status")
    response.raise_for_status()
    status = response.json()
    if not status["overdue"]:
        return Decimal(0)
    total = sum((Decimal(part["amount"]) for part in status["overdue_amounts"].values()), start=Decimal(0))
    return total.quantize(Decimal(1), ROUND_CEILING) + 1


class _IntakeClients:
    """The agent's, the supervisor's and the borrower's clients on the intake API (keys issued on
    the intake database as `tideover-intake-keys create` does)."""

    def __init__(
        self, database_url: str, intake: str, codes: dict[uuid.UUID, str], failed: list[str], hook: RequestHook | None
    ) -> None:
        self._database_url, self._intake, self._codes = database_url, intake, codes
        self._failed, self._hook = failed, hook
        self._clients: list[httpx.AsyncClient] = []

    async def __aenter__(self) -> Agent:
        agent_key = await issue_key(self._database_url, "sim-agent", "agent")
        supervisor_key = await issue_key(self._database_url, "sim-supervisor", "supervisor")
        self._clients = [
            service_client(self._intake, self._failed, headers)
            for headers in ({"X-API-Key": agent_key}, {"X-API-Key": supervisor_key}, {})
        ]
        if self._hook is not None:
            for client in self._clients:
                client.event_hooks["request"].append(self._hook)
        agent, supervisor, borrower = self._clients
        return Agent(agent, supervisor, borrower, self._codes)

    async def __aexit__(self, *_: object) -> None:
        for client in self._clients:
            await client.aclose()
