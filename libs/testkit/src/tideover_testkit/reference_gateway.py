"""The REFERENCE gateway: a stand-in for the SMS, push, e-mail and voice providers, for demos and
tests only. It takes NotificationRequested from `notifications.requests.v3`, "delivers" it (to
nobody) and answers on `notifications.receipts.v1` with NotificationDelivered or, at a
configurable rate or for configured channels, NotificationFailed. A real gateway does the same
with a provider behind it.

    python -m tideover_testkit.reference_gateway

Settings (environment): KAFKA_BOOTSTRAP_SERVERS and TIDEOVER_TOPIC_PREFIX as every service;
TIDEOVER_GATEWAY_FAILURE_RATE (0.0–1.0, default 0), TIDEOVER_GATEWAY_FAILING_CHANNELS (e.g.
"sms,voice_call": every request on them fails), TIDEOVER_GATEWAY_SEED. Whether a request fails
is a function of its id and the seed, so a redelivered request gets the same answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tideover_contracts.envelope import MalformedMessageError, deterministic_id, parse_message, wrap
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested
from tideover_contracts.topics import NOTIFICATIONS_RECEIPTS, NOTIFICATIONS_REQUESTS
from tideover_runtime.logging import configure_logging
from tideover_runtime.settings import RuntimeSettings

NAME = "reference-gateway"
log = structlog.get_logger(__name__)


def fails(request: NotificationRequested, rate: float, failing_channels: frozenset[str], seed: str) -> bool:
    if request.channel.value in failing_channels:
        return True
    draw = int.from_bytes(hashlib.sha256(f"{seed}|{request.notification_id}|{request.channel}".encode()).digest()[:8])
    return draw / 2**64 < rate


def receipt(request: NotificationRequested, failed: bool, now: datetime) -> NotificationDelivered | NotificationFailed:
    if failed:
        return NotificationFailed(
            notification_id=request.notification_id,
            loan_id=request.loan_id,
            channel=request.channel,
            gateway=NAME,
            reason=f"{request.channel.value} provider refused the message (reference gateway failure)",
            retryable=False,
            failed_at=now,
        )
    return NotificationDelivered(
        notification_id=request.notification_id, loan_id=request.loan_id, channel=request.channel, gateway=NAME, delivered_at=now
    )


async def run(
    settings: RuntimeSettings,
    rate: float,
    failing_channels: frozenset[str],
    seed: str,
    stopping: asyncio.Event,
    delivered: Callable[[NotificationRequested], None] | None = None,
) -> None:
    """Answer every request until `stopping` is set; `delivered` sees each message delivered
    (the borrower's phone: the simulator reads plan codes from it)."""
    consumer = AIOKafkaConsumer(
        settings.topic(NOTIFICATIONS_REQUESTS.name),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{settings.topic_prefix}{NAME}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    log.info("reference gateway started", failure_rate=rate, failing_channels=sorted(failing_channels))
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            sent = []
            for records in batches.values():
                for record in records:
                    try:
                        envelope = parse_message(record.value or b"", NOTIFICATIONS_REQUESTS.event_classes())
                    except MalformedMessageError as error:
                        log.warning("not a notification request", error=str(error))
                        continue
                    request = envelope.payload
                    assert isinstance(request, NotificationRequested)
                    answer = receipt(request, fails(request, rate, failing_channels, seed), datetime.now(UTC))
                    if delivered is not None and isinstance(answer, NotificationDelivered):
                        delivered(request)
                    reply = wrap(
                        answer,
                        producer=NAME,
                        occurred_at=datetime.now(UTC),
                        event_id=deterministic_id(answer.event_type, request.notification_id, request.channel.value),
                        causation=envelope,
                    )
                    sent.append(
                        await producer.send(
                            settings.topic(NOTIFICATIONS_RECEIPTS.name),
                            reply.to_bytes(),
                            key=str(request.loan_id).encode(),
                            headers=[(key, value.encode()) for key, value in reply.headers().items()],
                        )
                    )
                    log.debug("receipt", notification_id=str(request.notification_id), receipt=answer.event_type)
            if batches:
                await asyncio.gather(*sent)  # every receipt acknowledged before the requests are committed
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    settings = RuntimeSettings()
    configure_logging(NAME, settings.log_level)
    rate = float(os.environ.get("TIDEOVER_GATEWAY_FAILURE_RATE", "0"))
    failing = frozenset(c for c in os.environ.get("TIDEOVER_GATEWAY_FAILING_CHANNELS", "").split(",") if c)
    asyncio.run(_until_signalled(settings, rate, failing, os.environ.get("TIDEOVER_GATEWAY_SEED", "tideover")))


async def _until_signalled(settings: RuntimeSettings, rate: float, failing: frozenset[str], seed: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await run(settings, rate, failing, seed, stopping)


if __name__ == "__main__":
    main()
