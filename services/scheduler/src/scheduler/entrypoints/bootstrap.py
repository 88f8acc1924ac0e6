"""Composition root of the scheduler, the sixth process (DESIGN.md §6): it owns `ops.clock.v1`
in production. Every few seconds the replica holding the lock (adapters/leadership.py) closes
each date due at the lender's cut-off and ticks (application/keeping_time.py); what it closes is
published through the outbox like any service's events. It serves /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import structlog
from prometheus_client import Counter, Gauge

from scheduler.adapters.clock_book import PostgresClockBook
from scheduler.adapters.leadership import Leadership
from scheduler.application.keeping_time import take_turn
from scheduler.entrypoints.settings import FileClock, SchedulerSettings
from tideover_runtime.clock import Clock, SystemClock
from tideover_runtime.service import Chore, Resources, ServiceDefinition, run_service
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.subscriptions import Subscriptions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel
SCHEMA = "scheduler"

log = structlog.get_logger(__name__)

LEADS = Gauge("tideover_scheduler_leads", "1 while this replica holds the scheduler's lock")
PAUSED = Gauge("tideover_scheduler_paused", "1 while the clock is paused (tideover-clock pause)")
LAST_CLOSED = Gauge("tideover_scheduler_last_closed_date_seconds", "The last date closed by this replica, as a Unix time")
CLOSES = Counter("tideover_scheduler_closes", "Dates closed by this replica")
TICKS = Counter("tideover_scheduler_ticks", "Clock ticks published by this replica")


def clock_of(settings: SchedulerSettings, runtime: RuntimeSettings) -> Clock:
    if settings.now_file is None:
        return SystemClock()
    if not runtime.development:
        raise SystemExit("TIDEOVER_SCHEDULER_NOW_FILE is for tests: it needs TIDEOVER_ENV=development")
    return FileClock(settings.now_file)


def keeping_time(settings: SchedulerSettings, runtime: RuntimeSettings, clock: Clock) -> Chore:
    """The scheduler's turn, every TIDEOVER_SCHEDULER_POLL_SECONDS: lead or wait; leading, close
    what is due and tick, in one transaction on the lock's connection."""
    leadership = Leadership(runtime.database_url, SCHEMA)
    calendar = settings.close_calendar()

    async def turn(_: Resources) -> None:
        connection = await leadership.connection()
        LEADS.set(1 if connection is not None else 0)
        if connection is None:
            return
        try:
            async with connection.transaction():
                done = await take_turn(
                    PostgresClockBook(connection), calendar, clock.now(), settings.tick_every, settings.first_date
                )
        except BaseException:
            await leadership.let_go()  # whatever failed, another replica (or the next turn) starts afresh
            LEADS.set(0)
            raise
        PAUSED.set(1 if done.paused else 0)
        if done.closed:
            CLOSES.inc(len(done.closed))
            last = done.closed[-1]
            LAST_CLOSED.set(datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp())
            log.info("business days closed", dates=[str(day) for day in done.closed])
        if done.ticked is not None:
            TICKS.inc()

    return Chore("keep-time", settings.poll_seconds, turn)


def definition() -> ServiceDefinition:
    settings, runtime = SchedulerSettings(), RuntimeSettings()
    clock = clock_of(settings, runtime)
    return ServiceDefinition(
        name="scheduler",
        schema=SCHEMA,
        migrations=MIGRATIONS,
        subscriptions=Subscriptions(),
        clock=clock,
        chores=[keeping_time(settings, runtime, clock)],
    )


def main() -> None:
    asyncio.run(run_service(definition()))
