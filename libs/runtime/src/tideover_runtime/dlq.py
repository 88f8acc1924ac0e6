"""`tideover-dlq`: read a topic's dead letters and re-drive them once the cause is fixed.

tideover-dlq list <topic>
tideover-dlq replay <topic> [--consumer NAME] [--dry-run]

`<topic>` is the registry name (e.g. `loans.lifecycle.v1`); the command reads
`<prefix><topic>.dlq` (TIDEOVER_TOPIC_PREFIX, KAFKA_BOOTSTRAP_SERVERS, as the services do).

`replay` re-publishes each dead letter to the topic it came from with its original key, value
and headers (the `dlq_*` headers removed), with an idempotent producer (acks=all). It is
idempotent: its position in the DLQ is kept in a consumer group of its own
(`<prefix>dlq-replay.<topic>`, or `...<topic>.<consumer>` with `--consumer`) and committed only
after the batch's sends are acknowledged, so a second run starts after the last letter
replayed; a record dead-lettered by several consumers is re-driven once per run. Should a run
die between the sends and the commit, or should a letter be re-driven that a service did in
fact handle meanwhile, nothing happens twice: every service's inbox, keyed by
(consumer, event_id), acknowledges and skips a message it has already handled (DESIGN.md §5).
A letter that fails again lands in the DLQ again, as a new letter, for a later replay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tideover_contracts.topics import DLQ_SUFFIX, TOPICS
from tideover_runtime.settings import RuntimeSettings

DLQ_HEADER_PREFIX = "dlq_"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a `.dlq` topic and what its headers say about it."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, record: ConsumerRecord[Any, Any]) -> DeadLetter:
        headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
        return cls(record.partition, record.offset, record.key, record.value or b"", headers)

    @property
    def consumer(self) -> str:
        return self.headers.get("dlq_consumer", "?")

    @property
    def reason(self) -> str:
        return self.headers.get("dlq_reason", "?")

    @property
    def origin(self) -> tuple[str, str, str]:
        """Where the original record was: (topic, partition, offset)."""
        get = self.headers.get
        return get("dlq_original_topic", "?"), get("dlq_original_partition", "?"), get("dlq_original_offset", "?")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value.encode()) for name, value in self.headers.items() if not name.startswith(DLQ_HEADER_PREFIX)]

    def event_type_and_id(self) -> tuple[str, str]:
        """From the envelope when it can be read at all (a dead letter may not be JSON)."""
        try:
            document = json.loads(self.value)
        except (UnicodeDecodeError, json.JSONDecodeError):
            document = None
        if not isinstance(document, dict):
            return self.headers.get("event_type", "-"), "-"
        return str(document.get("event_type", self.headers.get("event_type", "-"))), str(document.get("event_id", "-"))

    def describe(self) -> str:
        event_type, event_id = self.event_type_and_id()
        return f"{self.partition}:{self.offset}\t{self.consumer}\t{event_type}\t{event_id}\t{self.reason}"


def registry_name(topic: str) -> str:
    name = topic.removesuffix(DLQ_SUFFIX)
    if name not in {known.name for known in TOPICS}:
        raise SystemExit(f"unknown topic {topic!r}; one of: {', '.join(known.name for known in TOPICS)}")
    return name


def replay_group(settings: RuntimeSettings, topic: str, consumer: str | None) -> str:
    group = f"{settings.topic_prefix}dlq-replay.{topic}"
    return f"{group}.{consumer}" if consumer else group


@asynccontextmanager
async def _dead_letters(settings: RuntimeSettings, topic: str, group: str | None) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer assigned every partition of the topic's DLQ (no group membership: the group,
    if any, only keeps the committed position)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        dlq = settings.topic(topic) + DLQ_SUFFIX
        partitions = await _partitions(settings, dlq)
        consumer.assign([TopicPartition(dlq, partition) for partition in sorted(partitions)])
        yield consumer
    finally:
        await consumer.stop()


async def _partitions(settings: RuntimeSettings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if description.get("error_code"):
        raise SystemExit(f"no topic {topic} on {settings.kafka_bootstrap_servers} (run tideover-topics)")
    return [int(partition["partition"]) for partition in description["partitions"]]


async def _batches(consumer: AIOKafkaConsumer) -> AsyncIterator[list[ConsumerRecord[Any, Any]]]:
    """The records up to the end offsets as they were when reading began, batch by batch."""
    ends = await consumer.end_offsets(list(consumer.assignment()))
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        polled = await consumer.getmany(timeout_ms=1000, max_records=500)
        records = [record for tp, batch in polled.items() for record in batch if record.offset < ends[tp]]
        if records:
            yield records


async def list_dead_letters(settings: RuntimeSettings, topic: str, out: Callable[[str], None] = print) -> list[DeadLetter]:
    """Print every dead letter of `topic` (partition:offset, consumer, event type, event id, reason)."""
    letters: list[DeadLetter] = []
    async with _dead_letters(settings, topic, group=None) as consumer:
        async for batch in _batches(consumer):
            letters.extend(DeadLetter.of(record) for record in batch)
    for letter in letters:
        out(letter.describe())
    out(f"{len(letters)} dead letters in {settings.topic(topic)}{DLQ_SUFFIX}")
    return letters


@dataclass
class ReplayOutcome:
    replayed: int = 0
    skipped: int = 0

    def summary(self, dry_run: bool) -> str:
        return f"{self.replayed} replayed, {self.skipped} skipped" + (" (dry run: nothing sent or committed)" if dry_run else "")


async def replay(
    settings: RuntimeSettings,
    topic: str,
    *,
    consumer_name: str | None = None,
    dry_run: bool = False,
    out: Callable[[str], None] = print,
) -> ReplayOutcome:
    """Re-drive the dead letters of `topic` not replayed before (see the module docstring)."""
    outcome = ReplayOutcome()
    seen_origins: set[tuple[str, str, str]] = set()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="tideover-dlq", enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        async with _dead_letters(settings, topic, replay_group(settings, topic, consumer_name)) as consumer:
            async for batch in _batches(consumer):
                sends = []
                for record in batch:
                    letter = DeadLetter.of(record)
                    if (consumer_name and letter.consumer != consumer_name) or letter.origin in seen_origins:
                        outcome.skipped += 1
                        continue
                    seen_origins.add(letter.origin)
                    outcome.replayed += 1
                    out(f"{'would replay' if dry_run else 'replay'} {letter.describe()}")
                    if not dry_run:
                        sends.append(await _send(producer, settings, topic, letter))
                if dry_run:
                    continue
                await asyncio.gather(*sends)
                await consumer.commit(_next_offsets(batch))
    finally:
        await producer.stop()
    out(outcome.summary(dry_run))
    return outcome


async def _send(producer: AIOKafkaProducer, settings: RuntimeSettings, topic: str, letter: DeadLetter) -> asyncio.Future[Any]:
    original_topic = letter.headers.get("dlq_original_topic") or settings.topic(topic)
    if original_topic != settings.topic(topic):
        raise ValueError(f"a letter in {topic}{DLQ_SUFFIX} says it came from {original_topic}")
    future: asyncio.Future[Any] = await producer.send(
        original_topic, letter.value, key=letter.key, headers=letter.original_headers()
    )
    return future


def _next_offsets(batch: list[ConsumerRecord[Any, Any]]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in batch:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tideover-dlq", description="List and re-drive dead letters.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print every dead letter of a topic")
    listing.add_argument("topic", help="registry name, e.g. loans.lifecycle.v1")
    replaying = commands.add_parser("replay", help="re-publish dead letters to their topic, each at most once")
    replaying.add_argument("topic", help="registry name, e.g. loans.lifecycle.v1")
    replaying.add_argument("--consumer", help="only the letters this consumer (service) dead-lettered")
    replaying.add_argument("--dry-run", action="store_true", help="print what would be replayed; send and commit nothing")
    arguments = parser.parse_args(argv)
    settings = RuntimeSettings()
    topic = registry_name(arguments.topic)
    if arguments.command == "list":
        asyncio.run(list_dead_letters(settings, topic))
    else:
        asyncio.run(replay(settings, topic, consumer_name=arguments.consumer, dry_run=arguments.dry_run))


if __name__ == "__main__":
    main()
