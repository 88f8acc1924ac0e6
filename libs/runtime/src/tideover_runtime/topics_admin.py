"""`tideover-topics`: create every registry topic and its DLQ, then prove a round trip.

tideover-topics [--partitions 6] [--replication-factor 1] [--probe]

On a production cluster, give a replication factor of 3 (and the brokers' min.insync.replicas 2)
so that a broker lost loses no event.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from tideover_contracts.topics import DEFAULT_PARTITIONS, TOPICS
from tideover_runtime.settings import RuntimeSettings

PROBE_TOPIC = "ops.probe.v1"


async def create_topics(
    settings: RuntimeSettings, partitions: int = DEFAULT_PARTITIONS, replication_factor: int = 1
) -> list[str]:
    """Create missing topics (and their `.dlq`); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [settings.topic(name) for topic in TOPICS for name in (topic.name, topic.dlq)]
        missing = [name for name in wanted if name not in existing]
        if missing:
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(name, partitions, replication_factor) for name in missing])
        return missing
    finally:
        await admin.close()


async def delete_topics(settings: RuntimeSettings) -> None:
    """Delete the topics under the settings' prefix (a test's or benchmark's scratch topics:
    thousands of leftover partitions exhaust a small broker's heap)."""
    if not settings.topic_prefix:
        raise ValueError("refusing to delete the unprefixed (production) topics")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        ours = [name for name in await admin.list_topics() if name.startswith(settings.topic_prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


async def probe(settings: RuntimeSettings, timeout: float = 60.0) -> None:
    """Produce with the idempotent producer and consume it back: the broker really works."""
    topic = settings.topic(PROBE_TOPIC)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, marker)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                if record.value == marker:
                    return
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="tideover-topics")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS)
    parser.add_argument(
        "--replication-factor", type=int, default=1, help="copies of each partition: 1 on one broker, 3 in production"
    )
    parser.add_argument("--probe", action="store_true", help="also produce and consume a probe message")
    arguments = parser.parse_args()
    settings = RuntimeSettings()
    created = asyncio.run(create_topics(settings, arguments.partitions, arguments.replication_factor))
    print(f"topics: {len(created)} created, all {2 * len(TOPICS)} present on {settings.kafka_bootstrap_servers}")
    if arguments.probe:
        asyncio.run(probe(settings))
        print("kafka: produced and consumed a probe message")
