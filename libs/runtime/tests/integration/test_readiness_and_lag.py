"""/readyz while a dependency is away and after it is back, and the consumer-lag gauge, on a
real service process over the real Kafka and Postgres.

The Postgres outage goes through a TCP proxy in front of the shared server (the server itself is
never touched): closing the proxy refuses and cuts connections, holding it swallows them. Kafka
cannot be cut that way (a client reaches the broker at the address it advertises, not through
the proxy): the service runs on a broker of the test's own, which the test stops and starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from faststream.kafka import KafkaBroker
from prometheus_client.parser import text_string_to_metric_families

from tideover_contracts.envelope import wrap
from tideover_contracts.examples import loan_booked
from tideover_runtime.readiness import kafka_ready
from tideover_testkit import infra, processes
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.private_servers import PrivateKafka
from tideover_testkit.processes import ServiceProcess, free_port
from tideover_testkit.tcp_proxy import TcpProxy, postgres_proxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SCHEMA = "runtime_probe_service"


@pytest.fixture
def probe_service(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    """The probe service, not yet started; its logs go to tmp_path."""
    process = processes.probe_service(
        "runtime-probe-service",
        SCHEMA,
        {**private_infrastructure.service_env(), "TIDEOVER_LAG_INTERVAL_SECONDS": "0.3"},
        tmp_path,
    )
    yield process
    process.stop()


@pytest.fixture
async def postgres(private_infrastructure: Infrastructure) -> AsyncIterator[tuple[TcpProxy, str]]:
    async with postgres_proxy(private_infrastructure.database_url) as proxy_and_url:
        yield proxy_and_url


async def _readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, bool], float]:
    started = time.monotonic()
    response = await client.get("/readyz")
    return response.status_code, response.json()["checks"], time.monotonic() - started


async def _until_ready(client: httpx.AsyncClient, status: int, within: float) -> dict[str, bool]:
    async with asyncio.timeout(within):
        while True:
            answered, checks, seconds = await _readyz(client)
            assert seconds < 3.5, f"/readyz took {seconds:.1f} s"
            if answered == status:
                return checks
            await asyncio.sleep(0.2)


async def test_readyz_fails_while_postgres_is_away_and_recovers_by_itself(
    probe_service: ServiceProcess, postgres: tuple[TcpProxy, str]
) -> None:
    postgres_proxy, database_url = postgres
    await asyncio.to_thread(probe_service.start, {"DATABASE_URL": database_url})
    async with httpx.AsyncClient(base_url=probe_service.url, timeout=10) as client:
        assert await _until_ready(client, 200, within=5) == {"postgres": True, "kafka": True}

        await postgres_proxy.cut()  # connections dropped, new ones refused
        assert await _until_ready(client, 503, within=5) == {"postgres": False, "kafka": True}
        await asyncio.sleep(1.0)
        assert (await _readyz(client))[:2] == (503, {"postgres": False, "kafka": True})

        await postgres_proxy.hang()  # accepted, never answered: /readyz still answers in time
        status, checks, seconds = await _readyz(client)
        assert (status, checks) == (503, {"postgres": False, "kafka": True})
        assert seconds < 3.5

        await postgres_proxy.restore()
        assert await _until_ready(client, 200, within=15) == {"postgres": True, "kafka": True}
        assert (await client.get("/healthz")).status_code == 200


async def test_readyz_fails_while_kafka_is_away_and_recovers_by_itself(
    private_infrastructure: Infrastructure, probe_service: ServiceProcess, tmp_path: Path
) -> None:
    kafka = PrivateKafka(tmp_path / "kafka")
    try:
        await asyncio.to_thread(kafka.start)
        await asyncio.to_thread(infra.create_topics, kafka.bootstrap_servers, private_infrastructure.topic_prefix)
        await asyncio.to_thread(probe_service.start, {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers})
        async with httpx.AsyncClient(base_url=probe_service.url, timeout=10) as client:
            assert await _until_ready(client, 200, within=15) == {"postgres": True, "kafka": True}

            await asyncio.to_thread(kafka.stop)
            assert await _until_ready(client, 503, within=10) == {"postgres": True, "kafka": False}

            await asyncio.to_thread(kafka.start)
            assert await _until_ready(client, 200, within=60) == {"postgres": True, "kafka": True}
            assert probe_service.running
    finally:
        await asyncio.to_thread(kafka.stop)


async def test_kafka_check_answers_false_in_time_when_the_broker_is_unreachable(
    private_infrastructure: Infrastructure,
) -> None:
    reachable = KafkaBroker(private_infrastructure.bootstrap_servers)
    await reachable.start()
    try:
        assert await kafka_ready(reachable) is True
    finally:
        await reachable.stop()

    unreachable = KafkaBroker(f"127.0.0.1:{free_port()}")  # nothing listens there
    with contextlib.suppress(Exception):
        await unreachable.start()
    started = time.monotonic()
    assert await kafka_ready(unreachable) is False
    assert time.monotonic() - started < 3.0
    await unreachable.stop()


def _lag(metrics: str) -> dict[str, float]:
    return {
        sample.labels["topic"]: sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "tideover_consumer_lag"
        for sample in family.samples
    }


async def _until_lag(client: httpx.AsyncClient, expected: float, within: float = 20.0) -> None:
    seen: dict[str, float] = {}
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while seen.get("loans.lifecycle.v1") != expected:
                await asyncio.sleep(0.2)
                seen = _lag((await client.get("/metrics")).text)
    assert seen.get("loans.lifecycle.v1") == expected, f"lag {seen}, expected {expected}"


async def test_lag_gauge_counts_messages_waiting_and_returns_to_zero_once_handled(
    private_infrastructure: Infrastructure, probe_service: ServiceProcess
) -> None:
    await asyncio.to_thread(probe_service.start)
    waiting = 5
    async with (
        httpx.AsyncClient(base_url=probe_service.url, timeout=10) as client,
        KafkaTestClient(private_infrastructure.bootstrap_servers, private_infrastructure.topic_prefix) as kafka,
    ):
        await _until_lag(client, 0.0)  # the group joined and nothing is waiting
        blocker = await asyncpg.connect(private_infrastructure.database_url)
        try:
            # The service cannot commit while its inbox is locked: what arrives stays uncommitted.
            locked = blocker.transaction()
            await locked.start()
            await blocker.execute(f"LOCK TABLE {SCHEMA}.inbox IN ACCESS EXCLUSIVE MODE")
            now = datetime.now(UTC)
            await kafka.publish(
                *(wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=now) for _ in range(waiting))
            )
            await _until_lag(client, float(waiting))
            await asyncio.sleep(1.0)  # and it stays there while nothing can be handled
            assert _lag((await client.get("/metrics")).text)["loans.lifecycle.v1"] == waiting
            await locked.rollback()
            await _until_lag(client, 0.0)
            assert await blocker.fetchval(f"SELECT count(*) FROM {SCHEMA}.inbox") == waiting
        finally:
            await blocker.close()
