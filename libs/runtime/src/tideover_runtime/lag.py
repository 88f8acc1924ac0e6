"""Consumer lag: how far each live consumer group of ours is behind the end of its topic.

Group ids are `<topic prefix><consumer>.<topic>` (tideover_runtime.consumer.attach), with a
per-process suffix on `ops.clock.v1` under the business clock; only groups with members count
(a stopped process's clock group stays behind forever and means nothing).

`LagProbe` measures it from outside (settling a test run, the simulator). A running service
reports its own lag as the gauge `tideover_consumer_lag{topic}` on /metrics from its consumers'
own positions (`watch_own_lag`, every TIDEOVER_LAG_INTERVAL_SECONDS): for each partition it is
assigned, the end of the partition (asked by the consumer itself) less the offset it committed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from tideover_contracts.topics import TOPICS

log = structlog.get_logger(__name__)

#: How long a per-process group with no sibling must stay empty to count as gone for good
#: (members rejoin a restarted broker within seconds).
DEPARTED_AFTER_SECONDS = 60.0

CONSUMER_LAG = Gauge(
    "tideover_consumer_lag", "Messages this process has not yet committed, summed over the partitions it is assigned", ["topic"]
)


def topic_of_group(group: str, prefix: str) -> str | None:
    """The registry topic a group of ours consumes, or None for a group that is not ours."""
    if not group.startswith(prefix):
        return None
    _, _, rest = group[len(prefix) :].partition(".")
    return next((topic.name for topic in TOPICS if rest == topic.name or rest.startswith(topic.name + ".")), None)


class LagProbe:
    """Asks the broker for committed and end offsets (`async with LagProbe(...) as probe`)."""

    def __init__(self, bootstrap_servers: str, prefix: str = "") -> None:
        self._prefix = prefix
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        self._ends = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
        self._partitions: dict[str, list[TopicPartition]] = {}
        self._dead: set[str] = set()
        self._alive_seen: set[str] = set()
        self._empty_since: dict[str, float] = {}

    async def __aenter__(self) -> LagProbe:
        await self._admin.start()
        await self._ends.start()
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self._ends.stop()
        await self._admin.close()

    async def _alive(self, group: str) -> bool:
        """Whether the group has members, asked once per group and probe (one group at a time:
        the broker closes the connection on a DescribeGroups of many groups from aiokafka
        0.14). A group that emptied never comes back: each process's clock group has a name of
        its own; one that had members is taken to keep them while the probe lasts."""
        if group in self._alive_seen:
            return True
        (response,) = await self._admin.describe_consumer_groups([group])
        if response.groups[0][2] in ("Empty", "Dead"):
            self._dead.add(group)
            return False
        self._alive_seen.add(group)
        return True

    async def lag(self) -> dict[str, int]:
        """Messages not yet committed, per live consumer group under the prefix."""
        ours = {
            group: topic
            for group, *_ in await self._admin.list_consumer_groups()
            if (topic := topic_of_group(group, self._prefix))
        }
        if not ours:
            return {}
        live = [group for group in sorted(ours) if group not in self._dead and await self._alive(group)]
        missing = sorted({self._prefix + ours[group] for group in live} - set(self._partitions))
        if missing:
            for described in await self._admin.describe_topics(missing):
                name = described["topic"]
                self._partitions[name] = [TopicPartition(name, p["partition"]) for p in described["partitions"]]
        wanted = {group: self._partitions.get(self._prefix + ours[group], []) for group in live}
        end = await self._ends.end_offsets(sorted({tp for partitions in wanted.values() for tp in partitions}))
        offsets = await asyncio.gather(
            *(self._admin.list_consumer_group_offsets(group, partitions=partitions) for group, partitions in wanted.items())
        )
        behind = {
            group: sum(
                end[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0) for tp in partitions
            )
            for (group, partitions), committed in zip(wanted.items(), offsets, strict=True)
        }
        return await self._without_departed(behind, ours)

    async def _without_departed(self, behind: dict[str, int], ours: dict[str, str]) -> dict[str, int]:
        """Without the lagging per-process groups (clock groups) whose process is gone: one
        killed leaves its group behind, empty once the broker timed the member out and never
        joined again. Gone means empty while a sibling group (the same consumer's, of the
        process that replaced it) has members, or empty for DEPARTED_AFTER_SECONDS: after a
        broker restart every group is empty until its members rejoin. A service's shared group
        stays counted: a restarted process rejoins it."""
        now = time.monotonic()
        for group, lag in list(behind.items()):
            shared = self._prefix + group[len(self._prefix) :].partition(".")[0] + "." + ours[group]
            if not lag or group == shared:
                continue
            if await self._has_members(group):
                self._empty_since.pop(group, None)
                continue
            since = self._empty_since.setdefault(group, now)
            siblings = [other for other in behind if other != group and other.startswith(shared + ".")]
            if now - since >= DEPARTED_AFTER_SECONDS or any([await self._has_members(other) for other in siblings]):
                self._dead.add(group)
                self._alive_seen.discard(group)
                del behind[group]
        return behind

    async def _has_members(self, group: str) -> bool:
        (response,) = await self._admin.describe_consumer_groups([group])
        return response.groups[0][2] not in ("Empty", "Dead")


class Consumer(Protocol):
    """What the gauge reads of a subscriber's Kafka consumer (aiokafka's AIOKafkaConsumer)."""

    def assignment(self) -> set[TopicPartition]: ...
    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def committed(self, partition: TopicPartition) -> int | None: ...


async def own_lag(consumers: dict[str, Consumer | None]) -> dict[str, int]:
    """Per registry topic, the messages this process's consumers were handed partitions of and
    have not committed (`consumers`: by topic; None while a subscriber has not started)."""
    lag: dict[str, int] = {}
    for topic, consumer in consumers.items():
        if consumer is None:
            continue
        assigned = sorted(consumer.assignment())
        # The ends asked of the broker by the consumer itself: what its last fetch saw of a
        # partition goes stale while a handler holds the batch (no fetch for a buffered partition).
        ends = await consumer.end_offsets(assigned) if assigned else {}
        behind = 0
        for partition in assigned:
            behind += max(0, ends[partition] - (await consumer.committed(partition) or 0))
        lag[topic] = lag.get(topic, 0) + behind
    return lag


async def watch_own_lag(consumers: Callable[[], dict[str, Consumer | None]], interval: float) -> None:
    """Set `tideover_consumer_lag` every `interval` seconds until cancelled. A failed
    measurement (the broker away) is logged and the gauge keeps its last values: lag is a
    symptom to watch, never a reason for the service to stop."""
    while True:
        try:
            async with asyncio.timeout(max(interval, 5.0)):
                for topic, behind in (await own_lag(consumers())).items():
                    CONSUMER_LAG.labels(topic).set(behind)
        except Exception as error:  # any failure: retried at the next interval
            log.warning("consumer lag not measured", error=repr(error))
        await asyncio.sleep(interval)
