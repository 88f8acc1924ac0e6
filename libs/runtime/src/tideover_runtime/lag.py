"""Consumer lag: how far each live consumer group of ours is behind the end of its topic.

Group ids are `<topic prefix><consumer>.<topic>` (tideover_runtime.consumer.attach), with a
per-process suffix on `ops.clock.v1` under the business clock; only groups with members count
(a stopped process's clock group stays behind forever and means nothing).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tideover_contracts.topics import TOPICS


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
        return {
            group: sum(
                end[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0) for tp in partitions
            )
            for (group, partitions), committed in zip(wanted.items(), offsets, strict=True)
        }
