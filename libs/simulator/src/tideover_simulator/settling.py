"""When a day's work is done: every consumer group of ours (and the simulator's reference
gateway) committed up to the end of its topics, every outbox row sent, and the watcher read it all.

`Settling.settle` learns it from notifications rather than by sleeping and asking again: each
commit of one of our consumer groups is a record on Kafka's `__consumer_offsets` topic (read
from its end), and each outbox row a handler stages is a NOTIFY on `tideover_outbox` when its
transaction commits (tideover_runtime.outbox). It checks the whole state once at the start and
again only when one of those arrives (or, as a fallback for what sends none, such as a relay
marking its rows sent, FALLBACK_SECONDS after the last check), and a check is exact on its own:

1. the end offsets of every topic of the registry (under the prefix): `before`;
2. no live group behind (tideover_runtime.lag.LagProbe), the gateway's group included;
3. no outbox row unsent;
4. the end offsets again, equal to `before`.

No message was produced between 1 and 4, and every message up to `before` was handled with its
database transaction committed by 2; the rows those transactions staged were all sent by 3,
hence are among `before`'s messages: nothing is left to do, nor will anything be produced.
This holds for the groups and topics there are when the run starts (the simulator starts every
service and creates every topic first): a group that never joined is not counted, and the topics'
partitions are read once.
The polling way (tideover_testkit.settle: nothing in flight twice in a row, 50 ms apart) stays
selectable (`Plan.settle = "polled"`) so that a test can compare the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from types import TracebackType
from typing import Literal

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from asyncpg.pool import PoolConnectionProxy

from tideover_contracts.topics import NOTIFICATIONS_REQUESTS, TOPICS
from tideover_runtime.lag import LagProbe, topic_of_group
from tideover_runtime.outbox import NOTIFY_CHANNEL
from tideover_testkit import reference_gateway
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.settle import UNREACHABLE, settle, unsent

SettleMode = Literal["notified", "polled"]

#: How long to wait for a notification before checking anyway: a relay marks its rows sent
#: after publishing them, and that commit notifies nobody.
FALLBACK_SECONDS = 0.05
COMMITS = "__consumer_offsets"


class Settling:
    """`async with Settling(...) as settling: await settling.settle()`."""

    def __init__(
        self,
        mode: SettleMode,
        bootstrap_servers: str,
        prefix: str,
        probe: LagProbe,
        database: asyncpg.Pool,
        watcher: TopicWatcher,
        timeout: float = 300.0,
    ) -> None:
        self.mode = mode
        self._prefix = prefix
        self._probe, self._database, self._watcher = probe, database, watcher
        self._timeout = timeout
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        self._ends = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
        self._commits = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
        self._gateway = prefix + reference_gateway.NAME
        self._changed = asyncio.Event()
        self._partitions: list[TopicPartition] = []
        self._listener: PoolConnectionProxy | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Settling:
        if self.mode == "notified":
            await self._admin.start()
            await self._ends.start()
            await self._commits.start()
            partitions = [TopicPartition(COMMITS, p) for p in await self._commits_partitions()]
            self._commits.assign(partitions)
            await self._commits.seek_to_end(*partitions)
            self._reader = asyncio.create_task(self._read_commits())
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._unlisten()
        if self.mode == "notified":
            await self._commits.stop()
            await self._ends.stop()
            await self._admin.close()

    async def settle(self) -> float:
        """Until the work in flight is done and the watcher read it all; returns the seconds it took."""
        started = asyncio.get_running_loop().time()
        if self.mode == "polled":
            await settle(self._probe, self._database, self._watcher, self._timeout)
        else:
            async with asyncio.timeout(self._timeout):
                await self._until_quiet()
        return asyncio.get_running_loop().time() - started

    async def _until_quiet(self) -> None:
        while True:
            self._changed.clear()
            await self._listen()
            try:
                quiet = await self._quiet()
            except UNREACHABLE:
                quiet = False
                await asyncio.sleep(0.5)
            if quiet:
                await self._watcher_read()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), FALLBACK_SECONDS)

    async def _quiet(self) -> bool:
        """Whether nothing is in flight (steps 1 to 4 above)."""
        before = await self._end_offsets()
        if sum((await self._probe.lag()).values()) or await self._gateway_behind(before):
            return False
        if await unsent(self._database):
            return False
        return await self._end_offsets() == before

    async def _watcher_read(self) -> None:
        """Until the watcher read what its topics held (the observer reads the day from it)."""
        while True:
            try:
                await self._watcher.caught_up()
            except UNREACHABLE:
                await asyncio.sleep(0.5)
            else:
                return

    async def _end_offsets(self) -> dict[TopicPartition, int]:
        """The end of every partition of the registry's topics (under the prefix)."""
        if not self._partitions:
            topics = [self._prefix + topic.name for topic in TOPICS]
            described = await self._admin.describe_topics(topics)
            self._partitions = [
                TopicPartition(topic["topic"], partition["partition"]) for topic in described for partition in topic["partitions"]
            ]
        ends: dict[TopicPartition, int] = await self._ends.end_offsets(self._partitions)
        return ends

    async def _gateway_behind(self, ends: dict[TopicPartition, int]) -> int:
        """Requests the reference gateway has not answered and committed (its group is not a
        service's: LagProbe leaves it out). The change codes reach the phones through it."""
        requests = self._prefix + NOTIFICATIONS_REQUESTS.name
        partitions = [tp for tp in ends if tp.topic == requests]
        committed = await self._admin.list_consumer_group_offsets(self._gateway, partitions=partitions)
        return sum(ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0) for tp in partitions)

    async def _commits_partitions(self) -> set[int]:
        await self._commits._client.force_metadata_update()
        partitions = self._commits._client.cluster.partitions_for_topic(COMMITS)
        if not partitions:
            raise RuntimeError(f"no partitions of {COMMITS}: cannot learn of consumer groups' commits")
        return set(partitions)

    async def _read_commits(self) -> None:
        """Wake the settle at each offset commit of one of our groups (a key of version 0 or 1 is
        an offset commit: version, group, topic, partition; version 2 is a group's metadata)."""
        async for record in self._commits:
            key = record.key or b""
            if len(key) >= 4 and struct.unpack_from(">h", key)[0] in (0, 1):
                (length,) = struct.unpack_from(">h", key, 2)
                group = key[4 : 4 + length].decode(errors="replace")
                if group == self._gateway or topic_of_group(group, self._prefix):
                    self._changed.set()

    async def _listen(self) -> None:
        """LISTEN on the outbox channel (again, after the database restarted)."""
        if self._listening():
            return
        await self._unlisten()
        try:
            listener = await self._database.acquire()
            await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except UNREACHABLE:
            return  # the fallback checks until it can listen
        self._listener = listener

    def _listening(self) -> bool:
        try:
            return self._listener is not None and not self._listener.is_closed()
        except asyncpg.InterfaceError:
            return False  # the pool took the connection back: the database restarted

    def _on_notify(self, *_: object) -> None:
        self._changed.set()

    async def _unlisten(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            with contextlib.suppress(Exception):
                await self._database.release(listener)
