"""Runs one service: migrations, pool, broker, subscribers, outbox relay, chores and HTTP in one loop.

Each service's bootstrap (its composition root) builds a `ServiceDefinition` and calls
`run_service`; nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request

from tideover_runtime.clock import Clock, build_clock
from tideover_runtime.consumer import attach
from tideover_runtime.database import create_pool, migrate
from tideover_runtime.http import build_http_app
from tideover_runtime.lag import Consumer, watch_own_lag
from tideover_runtime.logging import configure_logging
from tideover_runtime.messaging import Publisher, build_broker
from tideover_runtime.readiness import database_ready, kafka_ready
from tideover_runtime.relay import OutboxRelay
from tideover_runtime.retention import Retention
from tideover_runtime.service_auth import BODY_LIMIT_BYTES, guard
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.subscriptions import Subscriptions

log = structlog.get_logger(__name__)
#: The collector's thresholds for a running service (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


@dataclass
class Resources:
    """What a service's routes and handlers may use once the service has started."""

    settings: RuntimeSettings
    pool: asyncpg.Pool
    clock: Clock
    producer: str


async def resources_of(request: Request) -> Resources:
    """A route's dependency: the service's resources (set on the app by `query_api`)."""
    resources: Callable[[], Resources] = request.app.state.resources
    return resources()


#: What a route declares to use the service's pool and clock (no parameter of the API).
ServiceResources = Annotated[Resources, Depends(resources_of)]
Routes = Callable[[FastAPI, Callable[[], Resources]], None]


def query_api(router: APIRouter, *, body_limit_bytes: int = BODY_LIMIT_BYTES, **state: Any) -> Routes:
    """A query service's HTTP API: `router`'s routes (module-level, each with its `requires`)
    behind the service-key door (service_auth.guard); `state` is configuration its routes read
    from `request.app.state` (e.g. the policy's rules)."""

    def add(app: FastAPI, resources: Callable[[], Resources]) -> None:
        app.state.resources = resources
        for name, value in state.items():
            setattr(app.state, name, value)
        guard(app, lambda: resources().pool, body_limit_bytes=body_limit_bytes)
        app.include_router(router)

    return add


@dataclass(frozen=True)
class Chore:
    """Work a service does by itself every `every_seconds`, from its start (e.g. retention)."""

    name: str
    every_seconds: float
    run: Callable[[Resources], Awaitable[object]]


async def run_periodically(chore: Chore, resources: Resources) -> None:
    """Run `chore` now and every `every_seconds` until cancelled. A failed run is logged and
    tried again at the next: housekeeping is never a reason for the service to stop."""
    while True:
        try:
            await chore.run(resources)
        except Exception as error:
            log.warning("chore failed; tried again at its next run", chore=chore.name, error=repr(error))
        await asyncio.sleep(chore.every_seconds)


def runtime_chores(settings: RuntimeSettings) -> list[Chore]:
    """What every service does by itself: delete expired inbox and outbox rows (retention)."""
    retention = Retention.of(settings)
    return [Chore("retention", settings.retention_every_seconds, lambda resources: retention.sweep(resources.pool))]


@dataclass
class ServiceDefinition:
    name: str  # e.g. "overdue-detection": consumer group, producer name, client id
    schema: str  # its Postgres schema
    migrations: Path
    subscriptions: Subscriptions[Any]
    routes: Routes | None = None
    clock: Clock | None = None
    #: Events the outbox relay publishes at a time, where the service's events are too large
    #: for the setting's default (TIDEOVER_OUTBOX_BATCH_SIZE).
    outbox_batch_size: int | None = None
    #: The service's own periodic work, besides the runtime's (`runtime_chores`).
    chores: Sequence[Chore] = ()


class _Running:
    """What runs beside the HTTP server (consumers, outbox relay, lag watch, chores), started
    and stopped by the app's lifespan; the server is told to exit if the relay dies."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: RuntimeSettings,
        broker: Any,
        resources: Resources,
        consumers: Callable[[], dict[str, Consumer | None]],
    ) -> None:
        self._definition, self._settings, self._broker, self._resources = definition, settings, broker, resources
        #: Each topic's Kafka consumer once started (consumer.attach), for the lag gauge.
        self._consumers = consumers
        self.server: uvicorn.Server | None = None
        self.failed: BaseException | None = None
        self.relay_task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        settings, pool = self._settings, self._resources.pool
        publisher = Publisher(settings, client_id=self._definition.name)
        relay = OutboxRelay(
            pool,
            publisher,
            batch_size=self._definition.outbox_batch_size or settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        )
        try:
            await self._broker.start()
            await publisher.start()
        except BaseException as error:
            self.failed = error  # uvicorn only logs a failed startup: run_service raises it
            raise
        self.relay_task = relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        relay_task.add_done_callback(self._relay_ended)
        tasks = [
            asyncio.create_task(watch_own_lag(self._consumers, settings.lag_interval_seconds), name="consumer-lag"),
            *(
                asyncio.create_task(run_periodically(chore, self._resources), name=chore.name)
                for chore in [*runtime_chores(settings), *self._definition.chores]
            ),
        ]
        log.info("service started", schema=self._definition.schema, http_port=settings.http_port)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            relay.stop()
            await asyncio.gather(relay_task, *tasks, return_exceptions=True)
            await publisher.stop()
            await self._broker.stop()

    def _relay_ended(self, task: asyncio.Task[None]) -> None:
        # A service whose relay died would consume and commit but never publish: better to exit,
        # and be restarted, than to look healthy.
        if not task.cancelled() and self.server is not None and not self.server.should_exit:
            log.error("outbox relay stopped; the service exits", error=repr(task.exception()))
            self.server.should_exit = True


async def run_service(definition: ServiceDefinition, settings: RuntimeSettings | None = None) -> None:
    settings = settings or RuntimeSettings()
    configure_logging(definition.name, settings.log_level)
    await migrate(settings.database_url, definition.schema, definition.migrations)
    pool = await create_pool(settings.database_url, definition.schema, settings.pool_min_size, settings.pool_max_size)
    clock = definition.clock or await build_clock(settings.clock, pool)
    broker = build_broker(settings, client_id=definition.name)
    consumers = attach(
        definition.subscriptions, consumer=definition.name, broker=broker, pool=pool, clock=clock, settings=settings
    )
    resources = Resources(settings, pool, clock, definition.name)
    running = _Running(definition, settings, broker, resources, consumers)
    app = build_http_app(
        definition.name,
        {"postgres": lambda: database_ready(pool), "kafka": lambda: kafka_ready(broker)},
        lifespan=running.lifespan,
    )
    if definition.routes:
        definition.routes(app, lambda: resources)
    running.server = server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None, lifespan="on")
    )
    # Everything made so far (modules, templates, the pool) lives as long as the process: keep it
    # out of the collector's way, and collect the young generation less often. A polled batch of
    # parsed events stays alive through its transaction; with the defaults, collections took a
    # third of a busy service's CPU (measured on notification).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    # uvicorn catches SIGTERM and SIGINT while serving, runs the lifespan's shutdown, then
    # restores the handlers it found and raises the signal again: with Python's defaults that
    # kills the process (exit -15) after a clean stop. Ours do nothing, so the service exits 0.
    for handled in (signal.SIGTERM, signal.SIGINT):
        signal.signal(handled, lambda *_: None)
    try:
        await server.serve()
    finally:
        await pool.close()
        log.info("service stopped")
    if running.failed is not None:
        raise running.failed
    relay_task = running.relay_task
    if relay_task is not None and not relay_task.cancelled() and relay_task.exception() is not None:
        raise SystemExit(1)
