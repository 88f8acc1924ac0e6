"""Subscribers that handle each message exactly once (DESIGN.md §5).

For every message: parse it (malformed → DLQ at once); skip it if this consumer's inbox has
its event id (kept longer than Kafka keeps the topic: tideover_runtime.retention); else run
the handler, which changes state and stages outgoing events, and commit state, inbox row and
outbox rows in one transaction. Only then is the Kafka offset committed. A handler that keeps
failing goes to the DLQ after bounded tries; while the database or the broker is unreachable
the message is retried, never dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter as Metric

from tideover_contracts.envelope import Envelope, Event, MalformedMessageError, parse_message
from tideover_runtime import clock_follower, inbox
from tideover_runtime.clock import Clock
from tideover_runtime.database import UNAVAILABLE as DATABASE_UNAVAILABLE
from tideover_runtime.database import Connection
from tideover_runtime.lag import Consumer
from tideover_runtime.messaging import send_to_dead_letters
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.subscriptions import BatchHandler, Subscription, Subscriptions
from tideover_runtime.unit import RejectEvent, Unit

log = structlog.get_logger(__name__)

#: Called at each point of a message's handling (`kill-before-commit`: handled, before the
#: database commit; `kill-after-commit`: after it, before the Kafka offset commit) with the event
#: type. Empty in a service; the reliability tests' launcher (tideover_testkit.faults) adds a
#: crash here, so that no test code ships in the product.
checkpoints: list[Callable[[str, str], None]] = []


def _checkpoint(point: str, event_type: str) -> None:
    for check in checkpoints:
        check(point, event_type)


HANDLED = Metric("tideover_messages_total", "Messages consumed, by outcome", ["topic", "event_type", "outcome"])


class MessageProcessor:
    """Handles one record of one subscription with the guarantees described above."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        consumer: str,
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        clock: Clock,
        settings: RuntimeSettings,
    ) -> None:
        self._subscription = subscription
        self._consumer = consumer
        self._pool = pool
        self._broker = broker
        self._clock = clock
        self._settings = settings
        self._event_classes = subscription.topic.event_classes()

    async def _accept(
        self, record: ConsumerRecord[Any, Any], outcomes: Counter[tuple[str, str]]
    ) -> tuple[Envelope[Event], BatchHandler] | None:
        """Parse a record; malformed ones go to the DLQ, ones nobody here handles are skipped
        (counted in `outcomes`)."""
        try:
            envelope = parse_message(record.value or b"", self._event_classes)
        except MalformedMessageError as error:
            await self._dead_letter(record, str(error), attempts=0, event_type="malformed")
            return None
        handler = self._subscription.handlers.get(envelope.event_type)
        if handler is None:
            outcomes[envelope.event_type, "ignored"] += 1
            return None
        return envelope, handler

    def _count(self, outcomes: Counter[tuple[str, str]]) -> None:
        """The messages counter, moved once per (event type, outcome) of a batch."""
        for (event_type, outcome), count in outcomes.items():
            HANDLED.labels(self._subscription.topic.name, event_type, outcome).inc(count)

    async def process_batch(self, records: tuple[ConsumerRecord[Any, Any], ...]) -> None:
        """A polled batch in one transaction: one inbox claim, one commit, one offset commit.
        If any message fails, the batch is rolled back and each message is handled on its own,
        with its retries and its dead letter, so that one bad message costs only itself."""
        ignored: Counter[tuple[str, str]] = Counter()
        accepted = [(record, item) for record in records if (item := await self._accept(record, ignored)) is not None]
        self._count(ignored)
        if not accepted:
            return
        try:
            handled = await self._handle_batch([item for _, item in accepted])
        except DATABASE_UNAVAILABLE:
            raise
        except Exception as error:
            log.info("batch failed; handling its messages one by one", error=repr(error), size=len(accepted))
            for record, (envelope, handler) in accepted:
                with _log_context(envelope):
                    await self._handle_with_retries(record, envelope, handler)
            return
        self._count(Counter((envelope.event_type, outcome) for envelope, outcome in handled))
        for envelope, _ in handled:
            clock_follower.advance(self._clock, envelope)

    async def _handle_batch(self, accepted: list[tuple[Envelope[Event], BatchHandler]]) -> list[tuple[Envelope[Event], str]]:
        outcomes: list[tuple[Envelope[Event], str]] = []
        async with self._pool.acquire() as connection:
            async with connection.transaction():
                claimed = await inbox.claim(connection, self._consumer, [envelope for envelope, _ in accepted])
                fresh: list[tuple[Envelope[Event], BatchHandler]] = []
                for envelope, handler in accepted:
                    if envelope.event_id in claimed:
                        claimed.discard(envelope.event_id)  # the same message twice in one batch counts once
                        fresh.append((envelope, handler))
                        outcomes.append((envelope, "handled"))
                    else:
                        outcomes.append((envelope, "duplicate"))
                for run in inbox.runs_by_type(fresh):
                    await self._run(connection, run)
            if checkpoints:
                for envelope, _ in outcomes:
                    _checkpoint("kill-after-commit", envelope.event_type)
        return outcomes

    async def _run(self, connection: Connection, group: list[tuple[Envelope[Event], BatchHandler]]) -> list[Unit[Event]]:
        """Run a handler on consecutive messages of one type, in the caller's transaction."""
        outbox = PostgresOutbox(connection)
        units: list[Unit[Event]] = [Unit(envelope, self._consumer, self._clock, outbox) for envelope, _ in group]
        for envelope, _ in group:
            # A clock event is handled at its own instant: what it causes happens then, not at the
            # previous one. (Were the transaction rolled back, the event comes again: the clock
            # only moves forward.)
            await clock_follower.record(connection, self._clock, envelope)
        with _log_context(group[0][0]) if len(group) == 1 else nullcontext():
            await group[0][1](units, connection)
        if checkpoints:
            for envelope, _ in group:
                _checkpoint("kill-before-commit", envelope.event_type)
        return units

    async def _handle_with_retries(
        self, record: ConsumerRecord[Any, Any], envelope: Envelope[Event], handler: BatchHandler
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = await self._handle_once(envelope, handler)
            except RejectEvent as error:
                await self._dead_letter(record, f"rejected: {error}", attempts=attempt, event_type=envelope.event_type)
                return
            except DATABASE_UNAVAILABLE as error:
                # Not the message's fault: keep it (the subscriber rewinds) until we recover.
                log.warning("infrastructure unavailable; will retry the message", error=repr(error))
                await asyncio.sleep(min(5.0, self._settings.retry_backoff_seconds * 2**attempt))
                raise
            except Exception as error:
                if attempt >= self._settings.handler_attempts:
                    log.exception("handler kept failing; dead-lettering", attempts=attempt)
                    await self._dead_letter(
                        record, f"{type(error).__name__}: {error}", attempts=attempt, event_type=envelope.event_type
                    )
                    return
                log.warning("handler failed; retrying", attempt=attempt, error=repr(error))
                await asyncio.sleep(self._settings.retry_backoff_seconds * attempt)
                continue
            HANDLED.labels(self._subscription.topic.name, envelope.event_type, outcome).inc()
            return

    async def _handle_once(self, envelope: Envelope[Event], handler: BatchHandler) -> str:
        async with self._pool.acquire() as connection:
            async with connection.transaction():
                if not await inbox.claim(connection, self._consumer, [envelope]):
                    log.info("duplicate skipped")
                    return "duplicate"
                [unit] = await self._run(connection, [(envelope, handler)])
            _checkpoint("kill-after-commit", envelope.event_type)
        clock_follower.advance(self._clock, envelope)
        log.info("handled", staged=unit.staged)
        return "handled"

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str, *, attempts: int, event_type: str) -> None:
        log.warning("dead-lettered", reason=reason, topic=record.topic, partition=record.partition, offset=record.offset)
        await send_to_dead_letters(self._broker, record, consumer=self._consumer, reason=reason, attempts=attempts)
        HANDLED.labels(self._subscription.topic.name, event_type, "dead_lettered").inc()


def _log_context(envelope: Envelope[Event]) -> Any:
    return structlog.contextvars.bound_contextvars(
        correlation_id=envelope.correlation_id,
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        loan_id=str(getattr(envelope.payload, "loan_id", "")) or None,
    )


async def _raw_body(message: Any) -> Any:
    """Hand the handler the undecoded bytes: parsing (and its failures) is ours."""
    return message.body


def attach(
    subscriptions: Subscriptions[Any],
    *,
    consumer: str,
    broker: KafkaBroker,
    pool: asyncpg.Pool,
    clock: Clock,
    settings: RuntimeSettings,
) -> Callable[[], dict[str, Consumer | None]]:
    """Register one faststream subscriber per topic. Offsets are committed only after the
    handler returned, i.e. after the database commit (NACK_ON_ERROR rewinds on a raise).
    Returns what reads each topic's Kafka consumer once started (the lag gauge, lag.py).

    A service on the business clock follows `ops.clock.v1` even where no use case needs it."""
    clock_follower.subscribe(subscriptions, clock)
    subscribers: dict[str, Any] = {}
    for subscription in subscriptions:
        processor = MessageProcessor(subscription, consumer=consumer, pool=pool, broker=broker, clock=clock, settings=settings)
        group = f"{settings.topic_prefix}{consumer}.{subscription.topic.name}" + clock_follower.group_suffix(
            subscription.topic, clock
        )
        subscriber = broker.subscriber(
            settings.topic(subscription.topic.name),
            # One group per (service, topic): a subscriber joining never rebalances the others.
            # The topic prefix namespaces it too, so test runs and benchmarks never share a group.
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_body,
            max_poll_interval_ms=300_000,
            batch=True,
            max_records=settings.batch_size,
            batch_timeout_ms=50,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
        )
        subscriber(_consume_with(processor))
        subscribers[subscription.topic.name] = subscriber
    return lambda: {topic: subscriber.consumer for topic, subscriber in subscribers.items()}


def _consume_with(processor: MessageProcessor) -> Callable[..., Awaitable[None]]:
    async def consume(body: list[bytes], message: KafkaMessage) -> None:
        await processor.process_batch(message.raw_message)  # type: ignore[arg-type]

    return consume
