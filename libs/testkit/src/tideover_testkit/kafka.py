"""Publish events as an upstream system would, and watch topics as a gateway would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tideover_contracts.envelope import Envelope, Event, parse_message
from tideover_contracts.topics import ALL_EVENT_TYPES, topic_named, topic_of


class KafkaTestClient:
    """A producer for raw and typed messages on prefixed topics."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str = "") -> None:
        self.bootstrap_servers = bootstrap_servers
        self.prefix = topic_prefix
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all")

    async def __aenter__(self) -> KafkaTestClient:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def publish(self, *envelopes: Envelope[Any]) -> None:
        for envelope in envelopes:
            await self._producer.send_and_wait(
                self.prefix + topic_of(envelope.payload).name,
                envelope.to_bytes(),
                key=envelope.payload.partition_key().encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )

    async def publish_raw(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        await self._producer.send_and_wait(self.prefix + topic, value, key=key)


@dataclass
class Seen:
    topic: str
    value: bytes
    headers: dict[str, str]
    envelope: Envelope[Event] | None

    def json(self) -> Any:
        return json.loads(self.value)


class TopicWatcher:
    """Reads topics from the beginning in the background and waits for what a test expects."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Iterable[str],
        topic_prefix: str = "",
        keys: set[bytes] | None = None,
        fetch_max_wait_ms: int = 500,
    ) -> None:
        """`keys`: read only the messages with one of these keys (e.g. a set of loan ids), so
        that a long history of other loans costs no parsing. `fetch_max_wait_ms`: how long a
        fetch may wait for new messages; aiokafka sends no other fetch meanwhile, so a message on
        a partition left out of that fetch may wait as long (the simulator, waiting on the
        watcher after each step of a day, asks for less)."""
        self._names = [topic_prefix + topic for topic in topics]
        self._keys = keys
        self._prefix = topic_prefix
        self._consumer = AIOKafkaConsumer(
            *self._names,
            bootstrap_servers=bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
            fetch_max_wait_ms=fetch_max_wait_ms,
        )
        self.seen: list[Seen] = []
        self._next_offsets: dict[TopicPartition, int] = {}
        self._arrived = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicWatcher:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        async for record in self._consumer:
            if self._keys is not None and record.key not in self._keys:
                self._next_offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                continue
            topic = record.topic.removeprefix(self._prefix)
            known = topic_named(topic)
            try:
                classes = known.event_classes() if known else ALL_EVENT_TYPES
                envelope: Envelope[Event] | None = parse_message(record.value or b"", classes)
            except ValueError:
                envelope = None
            headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
            async with self._arrived:
                self.seen.append(Seen(topic, record.value or b"", headers, envelope))
                self._next_offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
                self._arrived.notify_all()

    async def caught_up(self, timeout: float = 60.0) -> None:
        """Until everything published so far on the watched topics is in `seen`."""
        async with asyncio.timeout(timeout):
            while True:
                assigned = self._consumer.assignment()
                ends = await self._consumer.end_offsets(list(assigned)) if assigned else {}
                if assigned and all(self._next_offsets.get(tp, 0) >= end for tp, end in ends.items()):
                    return
                await asyncio.sleep(0.05)

    def events(self, event_type: str, where: Callable[[Any], bool] = lambda _: True) -> list[Any]:
        return [
            item.envelope.payload
            for item in self.seen
            if item.envelope is not None and item.envelope.event_type == event_type and where(item.envelope.payload)
        ]

    async def wait_for(self, predicate: Callable[[list[Seen]], Any], timeout: float = 30.0, what: str = "") -> Any:
        """Wait until `predicate(seen)` is truthy and return its value."""
        async with asyncio.timeout(timeout):
            async with self._arrived:
                while not (result := predicate(self.seen)):
                    await self._arrived.wait()
                return result

    async def wait_for_event(self, event_type: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 30.0) -> Any:
        try:
            matches = await self.wait_for(lambda _: self.events(event_type, where), timeout)
        except TimeoutError:
            seen = [item.envelope.event_type if item.envelope else item.topic for item in self.seen]
            raise AssertionError(f"no {event_type} within {timeout} s; seen: {seen}") from None
        return matches[0]
