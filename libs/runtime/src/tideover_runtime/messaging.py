"""The Kafka side of a service: the broker factory, a publisher, and the dead-letter route."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from tideover_contracts.topics import DLQ_SUFFIX
from tideover_runtime.observed import observed
from tideover_runtime.settings import RuntimeSettings

DEAD_LETTERS = Counter("tideover_dead_letters_total", "Messages sent to a dead-letter topic", ["topic", "consumer"])


def build_broker(settings: RuntimeSettings, client_id: str) -> KafkaBroker:
    """A faststream broker whose producer is idempotent with acks=all (DESIGN.md §5)."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        graceful_timeout=15.0,
        # Our JSON logging, not faststream's console format; per-message lines only at DEBUG.
        logger=logging.getLogger("tideover.kafka"),
        log_level=logging.DEBUG,
        middlewares=[observed(settings.topic_prefix)],
    )


Message = tuple[str, str, bytes, dict[str, str]]  # (registry topic name, key, value, headers)

#: The outbox relay's producer settings (benchmarks measure the raw limit with the same ones).
RELAY_PRODUCER_SETTINGS: dict[str, Any] = {
    "enable_idempotence": True,
    "acks": "all",
    "linger_ms": 5,
    # Plan offers carry hundreds of schedule lines: zstd (level 3) shrinks their JSON about
    # seventeenfold in a fifth of the time lz4 takes at the level aiokafka uses (9).
    "compression_type": "zstd",
    # A batch is bounded before compression: below the broker's message.max.bytes (1 MiB), so
    # that even a batch that does not compress is accepted. A smaller bound costs dearly: at
    # 256 KiB each 142 KiB offer left in a batch and a request of its own (1,300 offers/s
    # against 3,100 at this bound, aiokafka alone on 2 cores).
    "max_batch_size": 960 * 1024,
}


class Publisher:
    """Publishes raw outbox messages to physical topics (the registry name plus the prefix)
    with its own idempotent producer (acks=all): no per-message framework overhead, so that a
    close's tens of thousands of events leave quickly."""

    def __init__(self, settings: RuntimeSettings, client_id: str) -> None:
        self._settings = settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{client_id}-outbox",
            **RELAY_PRODUCER_SETTINGS,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish_many(self, messages: list[Message]) -> None:
        """Send in order and wait until every message is acknowledged by all in-sync replicas."""
        futures = [
            await self._producer.send(
                self._settings.topic(topic),
                value,
                key=key.encode(),
                headers=[(name, text.encode()) for name, text in headers.items()],
            )
            for topic, key, value, headers in messages
        ]
        await asyncio.gather(*futures)


async def send_to_dead_letters(
    broker: KafkaBroker, record: ConsumerRecord[Any, Any], *, consumer: str, reason: str, attempts: int
) -> None:
    """Copy `record` to `<topic>.dlq` with why and where it came from; waits for the ack."""
    headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
    headers.update(
        {
            "dlq_reason": reason[:2000],
            "dlq_original_topic": record.topic,
            "dlq_original_partition": str(record.partition),
            "dlq_original_offset": str(record.offset),
            "dlq_consumer": consumer,
            "dlq_attempts": str(attempts),
        }
    )
    await broker.publish(record.value or b"", record.topic + DLQ_SUFFIX, key=record.key, headers=headers)
    DEAD_LETTERS.labels(record.topic, consumer).inc()
