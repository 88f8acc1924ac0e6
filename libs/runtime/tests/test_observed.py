"""The broker's middleware times each polled batch under its unprefixed topic and puts the topic
and the batch's size in the log context of what handles it (FastStream's TestKafkaBroker: no
server)."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaBroker, TestKafkaBroker

from tideover_runtime.observed import HANDLE_SECONDS, observed


def _count(topic: str) -> float:
    for metric in HANDLE_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels.get("topic") == topic:
                return sample.value
    return 0.0


async def test_a_batch_is_timed_under_its_topic_and_logged_with_it() -> None:
    broker = KafkaBroker(middlewares=[observed("t1234.")])
    seen: list[dict[str, Any]] = []

    @broker.subscriber("t1234.loans.lifecycle.v1", batch=True)
    async def handle(body: list[bytes]) -> None:
        seen.append(structlog.contextvars.get_contextvars())

    before = _count("loans.lifecycle.v1")
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(b"one", b"two", topic="t1234.loans.lifecycle.v1")
    assert _count("loans.lifecycle.v1") == before + 1
    assert seen == [{"topic": "loans.lifecycle.v1", "batch_size": 2}]
