"""A FastStream middleware on the broker of every service: each polled batch is timed
(`tideover_handle_seconds{topic}`) and its log lines carry its topic and size.

What happens to each message of the batch — parsed or dead-lettered, claimed in the inbox,
handled, retried alone — stays in tideover_runtime.consumer: it is decided per message inside
the batch's one transaction, which a middleware around the whole batch cannot see."""

from __future__ import annotations

from typing import Any

import structlog
from faststream import BaseMiddleware
from prometheus_client import Histogram

HANDLE_SECONDS = Histogram("tideover_handle_seconds", "Time to handle one polled batch of messages", ["topic"])


def observed(topic_prefix: str) -> type[BaseMiddleware]:
    """The middleware of a broker whose topics carry `topic_prefix` (not in the metric's label)."""

    class ObservedBatch(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            records = msg.raw_message if isinstance(msg.raw_message, tuple | list) else (msg.raw_message,)
            if not records:
                return await call_next(msg)
            topic_name, size = records[0].topic.removeprefix(topic_prefix), len(records)
            with (
                structlog.contextvars.bound_contextvars(topic=topic_name, batch_size=size),
                HANDLE_SECONDS.labels(topic_name).time(),
            ):
                return await call_next(msg)

    return ObservedBatch
