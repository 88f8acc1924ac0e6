"""Benchmark of notification (issue figures; `make bench` runs it).

Before each measurement the service takes in, through Kafka and not timed, a LoanBooked for
every loan (its borrower: CN, Asia/Shanghai, SMS) and a ClockTicked at 10:00 in Beijing, so
that every overdue notice may go at once: outside quiet hours, and the first SMS of the day on
its loan.

(a) Throughput: one LoanBecameOverdue (the golden example) for each of 20,000 loans, published
    as fast as possible, to the last NotificationRequested read back from
    notifications.requests.v2 (each message decided by the contact rules, rendered, logged and
    committed with its inbox row, then published by the outbox relay); one service process,
    then two in one consumer group, beside the raw limit measured in the same run: aiokafka
    consuming the same events and producing a request of the same size for each (acks=all,
    idempotent, zstd as the relay does), without our logic.
(b) Latency, open loop: overdue events at 1,000 a second for 30 s, one per loan, each sent at
    its time whether or not earlier ones have been answered; from the overdue record's Kafka
    timestamp (its publication) to its request's (the relay's publication), matched by loan.
    An event without its request 30 s after the load ended is missing, an error.
(c) Peak RSS of the service processes.

    python -m benchmarks.notification [--events 20000] [--rate 1000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from benchmarks.common import (
    count_events,
    isolated_infrastructure,
    peak_rss_mib,
    producer_like_a_relay,
    publish,
    raw_relay_limit,
    reader,
    service_logs,
    wait_for_count,
    write,
)
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import CLOCK_KEY, ClockTicked
from tideover_contracts.examples import golden_events, loan_booked
from tideover_contracts.topics import LOANS_LIFECYCLE, NOTIFICATIONS_REQUESTS, OPS_CLOCK, OVERDUE_STATUS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

SERVICE = "notification"
#: 10:00 in Beijing: outside the CN quiet hours (22:00–08:00).
DAYTIME = datetime(2026, 2, 16, 2, 0, tzinfo=UTC)
REQUEST = "NotificationRequested"
#: How long after the load an overdue event may still get its request.
GRACE_SECONDS = 30.0
#: The size of a request when none could be read back (a rendered CN overdue SMS is about this).
FALLBACK_REQUEST_BYTES = 600


def contacts(loans: list[uuid.UUID]) -> list[tuple[bytes, bytes]]:
    """A LoanBooked for each loan: the borrower's contact, as loans.lifecycle.v1 carries it."""
    now = datetime.now(UTC)
    return [
        (str(loan_id).encode(), wrap(loan_booked(loan_id=loan_id), producer="bench", occurred_at=now).to_bytes())
        for loan_id in loans
    ]


def overdue_events(loans: list[uuid.UUID]) -> list[tuple[bytes, bytes]]:
    """A LoanBecameOverdue (the golden example) for each loan, keyed by the loan as upstream keys it.

    It occurred at DAYTIME, as a close at that business time publishes it: the service's business
    clock follows the occurrence of what overdue.status.v1 carries (tideover_runtime.clock_follower),
    so an event stamped with the wall clock would be decided at the machine's hour, in quiet hours
    in Beijing from 14:00 to 24:00 UTC, and every notice held."""
    example = next(event for event in golden_events() if type(event).__name__ == "LoanBecameOverdue")
    return [
        (
            str(loan_id).encode(),
            wrap(example.model_copy(update={"loan_id": loan_id}), producer="bench", occurred_at=DAYTIME).to_bytes(),
        )
        for loan_id in loans
    ]


async def statuses(database_url: str) -> dict[str, int]:
    """The service's messages by status (sent, held, suppressed): all should be sent."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT status, count(*) AS n FROM notification.messages GROUP BY status")
        return {row["status"]: row["n"] for row in rows}
    finally:
        await connection.close()


async def set_clock_to_daytime(infra: Infrastructure) -> None:
    """ClockTicked at 10:00 in Beijing, on every partition of ops.clock.v1 rather than only the
    one its key picks: a process's business clock moves only on the clock events it consumes,
    and of two processes in one consumer group only one owns the key's partition (the other
    would decide on 1970-01-01). Waits until the service has handled every one."""
    topic = infra.topic_prefix + OPS_CLOCK.name
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, enable_idempotence=True, acks="all")
    await producer.start()
    event_ids = []
    try:
        for partition in sorted(await producer.partitions_for(topic)):
            tick = wrap(ClockTicked(at=DAYTIME), producer="bench", occurred_at=datetime.now(UTC))
            await producer.send_and_wait(
                topic,
                tick.to_bytes(),
                key=CLOCK_KEY.encode(),
                partition=partition,
                headers=[(name, text.encode()) for name, text in tick.headers().items()],
            )
            event_ids.append(tick.event_id)
    finally:
        await producer.stop()
    await wait_for_count(
        infra.database_url,
        "SELECT count(*) FROM notification.inbox WHERE event_id = ANY($1::uuid[])",
        len(event_ids),
        event_ids,
        timeout=120,
    )


async def ready_services(infra: Infrastructure, loans: list[uuid.UUID], logs: Path, replicas: int) -> list[ServiceProcess]:
    """`replicas` service processes in one consumer group, knowing every loan's contact, at 10:00 in Beijing."""
    services: list[ServiceProcess] = []
    try:
        for _ in range(replicas):
            services.append(ServiceProcess(SERVICE, infra.service_env(), logs).start(timeout=300))
        await asyncio.sleep(3.0 if replicas > 1 else 0)  # let the groups settle their partitions
        await publish(infra, LOANS_LIFECYCLE.name, contacts(loans))
        await wait_for_count(infra.database_url, "SELECT count(*) FROM notification.contacts", len(loans))
        await set_clock_to_daytime(infra)
    except BaseException:
        for service in services:
            service.stop()
        raise
    return services


async def first_request(infra: Infrastructure) -> bytes | None:
    """One NotificationRequested as the relay published it."""
    consumer = reader(infra, NOTIFICATIONS_REQUESTS.name)
    await consumer.start()
    try:
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=1000, max_records=100)
            for records in batches.values():
                for record in records:
                    if dict(record.headers or ()).get("event_type") == REQUEST.encode():
                        value: bytes = record.value
                        return value
        return None
    finally:
        await consumer.stop()


async def throughput(
    infra: Infrastructure, loans: list[uuid.UUID], logs: Path, replicas: int
) -> tuple[float, float, bytes | None]:
    """From the first overdue event published to the last request read back; the services' peak
    RSS; one of the requests."""
    services = await ready_services(infra, loans, logs, replicas)
    try:
        events = overdue_events(loans)
        listening = asyncio.Event()
        reader = asyncio.create_task(count_events(infra, NOTIFICATIONS_REQUESTS.name, REQUEST, len(loans), listening))
        await listening.wait()
        started = time.perf_counter()
        await publish(infra, OVERDUE_STATUS.name, events)
        try:
            finished = await asyncio.wait_for(reader, timeout=max(300.0, len(loans) / 50))
        except TimeoutError:
            raise SystemExit(f"not every request came: messages {await statuses(infra.database_url)}; see {logs}") from None
        return (
            len(loans) / (finished - started),
            max(peak_rss_mib(service.pid) for service in services),
            await first_request(infra),
        )
    finally:
        for service in services:
            service.stop()


async def read_requests(infra: Infrastructure, into: list[tuple[int, bytes]], wanted: int, stop: asyncio.Event) -> None:
    """Collect (record timestamp in ms, value) of every request until `wanted` came or `stop`."""
    consumer = reader(infra, NOTIFICATIONS_REQUESTS.name)
    await consumer.start()
    try:
        while len(into) < wanted and not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
            for records in batches.values():
                into.extend(
                    (record.timestamp, record.value)
                    for record in records
                    if dict(record.headers or ()).get("event_type") == REQUEST.encode()
                )
    finally:
        await consumer.stop()


async def open_loop(
    infra: Infrastructure, events: list[tuple[bytes, bytes]], rate: float
) -> tuple[dict[str, int], list[float], float]:
    """Send `events` at `rate` a second, each at its time; returns each loan's record timestamp
    (ms), how late each send started (s) and the rate achieved.

    The timestamp is set on the record at the send, not read from the acknowledgement: aiokafka
    reports the first record's timestamp for every record of a batch."""
    topic = infra.topic_prefix + OVERDUE_STATUS.name
    producer = producer_like_a_relay(infra)
    await producer.start()
    sent: dict[str, int] = {}
    lags: list[float] = []
    pending: set[asyncio.Future[Any]] = set()
    try:
        # A full collection of this process's heap (the prepared events) pauses it for tens of
        # ms and would make the load burst: freeze the heap, keep no finished futures.
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        for n, (key, value) in enumerate(events):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            lags.append(time.perf_counter() - due)
            stamp = int(time.time() * 1000)
            future = await producer.send(topic, value, key=key, timestamp_ms=stamp)
            sent[key.decode()] = stamp
            pending.add(future)
            future.add_done_callback(pending.discard)
        elapsed = time.perf_counter() - started
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
        gc.unfreeze()
    return sent, lags, len(events) / elapsed


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(len(ordered) * share) - 1)], 1)


async def latency(infra: Infrastructure, logs: Path, rate: float, seconds: float) -> tuple[dict[str, object], float]:
    """The open-loop run on a fresh service: its figures and the service's peak RSS."""
    loans = [uuid.uuid4() for _ in range(round(rate * seconds))]
    [service] = await ready_services(infra, loans, logs, 1)
    try:
        events = overdue_events(loans)
        requests: list[tuple[int, bytes]] = []
        stop = asyncio.Event()
        reader = asyncio.create_task(read_requests(infra, requests, len(loans), stop))
        await asyncio.sleep(1.0)  # the reader has joined before the first event goes
        sent, lags, achieved = await open_loop(infra, events, rate)
        try:
            await asyncio.wait_for(asyncio.shield(reader), timeout=GRACE_SECONDS)
        except TimeoutError:
            stop.set()
            await reader
        rss = peak_rss_mib(service.pid)
        messages = await statuses(infra.database_url)
    finally:
        service.stop()
    latencies: dict[str, float] = {}
    for stamp, value in requests:
        loan = json.loads(value)["payload"]["loan_id"]
        if loan in sent and loan not in latencies:
            latencies[loan] = float(stamp - sent[loan])
    missing = len(sent) - len(latencies)
    if missing:
        print(f"latency: {missing} overdue events without a request; messages {messages}; see {logs}")
    figures: dict[str, object] = {
        "latency_p50_ms": percentile(list(latencies.values()), 0.50),
        "latency_p99_ms": percentile(list(latencies.values()), 0.99),
        "latency_max_ms": percentile(list(latencies.values()), 1.0),
        "latency_rate_per_second": round(achieved, 1),
        "latency_matched": len(latencies),
        "latency_missing": missing,
        "latency_send_lag_p99_ms": percentile([lag * 1000 for lag in lags], 0.99),
    }
    return figures, rss


async def raw_limit(infra: Infrastructure, events: list[tuple[bytes, bytes]], request: bytes) -> float:
    """aiokafka alone: consume the overdue events and produce a request of the same size for each."""
    await publish(infra, OVERDUE_STATUS.name, events)
    return await raw_relay_limit(infra, OVERDUE_STATUS.name, len(events), NOTIFICATIONS_REQUESTS.name, request)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000, help="overdue events (one per loan) in the throughput runs")
    parser.add_argument("--rate", type=float, default=1000, help="overdue events sent a second in the latency run")
    parser.add_argument("--seconds", type=float, default=30, help="length of the latency run")
    arguments = parser.parse_args()
    logs = service_logs()
    rates: dict[int, float] = {}
    rss: list[float] = []
    request: bytes | None = None
    for replicas in (1, 2):
        async with isolated_infrastructure() as infra:
            rate, peak, sample = await throughput(infra, [uuid.uuid4() for _ in range(arguments.events)], logs, replicas)
        rates[replicas], request = rate, request or sample
        rss.append(peak)
    async with isolated_infrastructure() as infra:
        latency_figures, peak = await latency(infra, logs, arguments.rate, arguments.seconds)
    rss.append(peak)
    async with isolated_infrastructure() as infra:
        events = overdue_events([uuid.uuid4() for _ in range(arguments.events)])
        raw = await raw_limit(infra, events, request or b"x" * FALLBACK_REQUEST_BYTES)
    figures: dict[str, object] = {
        "overdue_to_request_per_second_1_process": round(rates[1]),
        "overdue_to_request_per_second_2_processes": round(rates[2]),
        "raw_limit_per_second": round(raw),
        "ratio_to_raw_1_process": round(rates[1] / raw, 3),
        "ratio_to_raw_2_processes": round(rates[2] / raw, 3),
        **latency_figures,
        "request_bytes": len(request) if request else None,
        "service_peak_rss_mib": round(max(rss), 1),
        "targets": "≥ 2,000 overdue events/s to NotificationRequested; at 1,000/s p99 ≤ 500 ms",
    }
    write(
        "notification",
        figures,
        {
            "events": arguments.events,
            "latency_events": round(arguments.rate * arguments.seconds),
            "rate": arguments.rate,
            "seconds": arguments.seconds,
            "grace_seconds": GRACE_SECONDS,
            "service_logs": str(logs),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
