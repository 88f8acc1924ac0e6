"""What every benchmark shares: isolated infrastructure, a service process, figures on disk.

A benchmark prints its figures and a line per step, nothing else: importing this module sends
the benchmark process's own logging (aiokafka's retries, warnings) to
`var/bench/logs/<benchmark>/bench.log`, and `service_logs()` is where its service processes
write theirs; where that is is printed once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tideover_runtime.messaging import RELAY_PRODUCER_SETTINGS
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.topics_admin import create_topics, delete_topics
from tideover_testkit import infra
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "var" / "bench"


def _benchmark_name() -> str | None:
    """`tracking` when run as `python -m benchmarks.tracking`; None when imported otherwise."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    module = spec.name if spec is not None else ""
    return module.removeprefix("benchmarks.") if module.startswith("benchmarks.") else None


NAME = _benchmark_name() or "benchmark"
LOGS = RESULTS / "logs" / NAME


def _log_to_file() -> None:
    """The benchmark process's logging (libraries' included) to LOGS/bench.log, not the console."""
    LOGS.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(LOGS / "bench.log", mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    # structlog (the simulator's in-process gateway, the test kit) through the same file.
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "event"]),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
    )


if _benchmark_name() is not None:
    _log_to_file()
_told_logs: set[Path] = set()


def progress(text: str) -> None:
    """A step of the benchmark, on the console (e.g. `overdue: close of 1,000,000 loans…`)."""
    print(f"{NAME}: {text}", flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


def _tell_logs(directory: Path) -> None:
    """Say once where the logs of the run are."""
    if directory in _told_logs:
        return
    _told_logs.add(directory)
    if directory == LOGS:
        progress(f"logs in {_shown(LOGS)}/ (each service's <module>.log, this process's bench.log)")
    else:
        progress(f"logs: each service's in {_shown(directory)}/, this process's in {_shown(LOGS)}/bench.log")


def service_logs() -> Path:
    """Where the benchmark's service processes write their logs: LOGS, emptied of the last
    run's service logs (ServiceProcess appends)."""
    for old in LOGS.glob("*.log"):
        if old.name != "bench.log":
            old.unlink(missing_ok=True)
    _tell_logs(LOGS)
    return LOGS


def _servers() -> tuple[str, str]:
    """Kafka and Postgres, found once (the test kit may start them, saying so) and remembered."""
    servers, admin = infra.kafka_bootstrap_servers(), infra.database_url()
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", servers)
    os.environ.setdefault("DATABASE_URL", admin)
    return servers, admin


@asynccontextmanager
async def isolated_infrastructure() -> AsyncIterator[Infrastructure]:
    """A fresh topic prefix (6 partitions a topic) and scratch database on the test servers."""
    servers, admin = _servers()
    scratch = infra.create_scratch_database(admin)
    prefix = f"bench{time.time_ns()}."
    settings = RuntimeSettings(KAFKA_BOOTSTRAP_SERVERS=servers, topic_prefix=prefix)
    await create_topics(settings)
    try:
        yield Infrastructure(servers, scratch, prefix)
    finally:
        infra.drop_database(admin, scratch)
        await delete_topics(settings)


async def publish(infra: Infrastructure, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """Send (key, value) messages to `topic` as an upstream system would, and wait for every ack."""
    progress(f"publishing {len(messages):,} message{'s' if len(messages) > 1 else ''} to {topic}…")
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, enable_idempotence=True, acks="all", linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send(infra.topic_prefix + topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def count_events(infra: Infrastructure, topic: str, event_type: str, wanted: int, started: asyncio.Event) -> float:
    """Read `topic` until `wanted` events of the type arrived; returns when the last did."""
    consumer = reader(infra, topic)
    await consumer.start()
    started.set()
    seen = 0
    try:
        while seen < wanted:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                seen += sum(1 for r in records if (dict(r.headers or ()).get("event_type") or b"").decode() == event_type)
        return time.perf_counter()
    finally:
        await consumer.stop()


@asynccontextmanager
async def replicas(module: str, infra: Infrastructure, logs: Path, count: int) -> AsyncIterator[list[ServiceProcess]]:
    """`count` processes of a service in one consumer group (as DESIGN.md §6 scales out), their
    partitions settled; stopped on the way out."""
    services: list[ServiceProcess] = []
    _tell_logs(logs)
    progress(f"starting {count} {module} process{'es' if count > 1 else ''}…")
    try:
        for _ in range(count):
            services.append(ServiceProcess(module, infra.service_env(), logs).start(timeout=300))
        await asyncio.sleep(3.0 if count > 1 else 0)  # let the group settle its partitions
        yield services
    finally:
        for service in services:
            service.stop()


def per_processes(figure: str, count: int) -> str:
    """A figure's name for a run with `count` processes, e.g. ingest_per_second_2_processes."""
    return f"{figure}_{count}_process{'es' if count > 1 else ''}"


async def wait_for_count(database_url: str, query: str, wanted: int, *args: object, timeout: float = 600) -> None:
    """Until `query` (a count) reaches `wanted`: e.g. until a service has taken in a stream."""
    connection = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(timeout):
            while await connection.fetchval(query, *args) < wanted:
                await asyncio.sleep(0.1)
    finally:
        await connection.close()


def reader(infra: Infrastructure, topic: str, *, group: bool = False) -> AIOKafkaConsumer:
    """A consumer of `topic` from its start: without a group (reads everything, commits
    nothing), or in a fresh group of its own (commits as it goes, as a service does)."""
    return AIOKafkaConsumer(
        infra.topic_prefix + topic,
        bootstrap_servers=infra.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"raw-{uuid.uuid4()}" if group else None,
        enable_auto_commit=False,
    )


async def raw_limit(infra: Infrastructure, topic: str, messages: int) -> float:
    """aiokafka consuming `messages` of `topic` and COPYing them into a scratch table: the limit
    of the machine for a consumer, with no logic of ours, in messages a second."""
    progress(f"raw limit: aiokafka consuming {messages:,} messages of {topic} and COPYing them…")
    connection = await asyncpg.connect(infra.database_url)
    await connection.execute("CREATE TABLE raw_ingest (key bytea, value bytea)")
    consumer = reader(infra, topic, group=True)
    await consumer.start()
    started = time.perf_counter()
    copied = 0
    try:
        while copied < messages:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            records = [(r.key, r.value) for batch in batches.values() for r in batch]
            if records:
                await connection.copy_records_to_table("raw_ingest", records=records)
                await consumer.commit()
                copied += len(records)
        return messages / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await connection.close()


def producer_like_a_relay(infra: Infrastructure, **options: Any) -> AIOKafkaProducer:
    """Producer settings of the outbox relay (tideover_runtime.messaging.Publisher)."""
    return AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, **(RELAY_PRODUCER_SETTINGS | options))


async def raw_relay_limit(infra: Infrastructure, source: str, count: int, target: str, value: bytes) -> float:
    """aiokafka alone, the raw limit beside a service's throughput: consume `count` messages of
    `source` and produce `value` (a message of the size the service produces) to `target` for
    each, acknowledged by all replicas, as the outbox relay does; batches of a service's size."""
    progress(f"raw limit: aiokafka consuming {count:,} messages of {source} and producing one each to {target}…")
    consumer = reader(infra, source, group=True)
    producer = producer_like_a_relay(infra)
    await consumer.start()
    await producer.start()
    started = time.perf_counter()
    produced = 0
    try:
        while produced < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            records = [record for batch in batches.values() for record in batch]
            sent = [await producer.send(infra.topic_prefix + target, value, key=record.key) for record in records]
            await asyncio.gather(*sent)
            await consumer.commit()
            produced += len(records)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, Any]:
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write(name: str, figures: dict[str, Any], params: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {"name": name, "figures": figures, "params": params, "machine": machine()}
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    if "service_logs" in params:
        _tell_logs(Path(params["service_logs"]))
    width = max(len(key) for key in figures)
    print(f"\n{name}")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
