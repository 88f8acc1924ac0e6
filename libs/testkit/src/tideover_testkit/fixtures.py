"""pytest fixtures for integration and end-to-end tests (loaded by the root conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tideover_runtime.service_keys import CallerRole
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit import infra
from tideover_testkit.contract import ADAPTERS, Adapter
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess, started_services
from tideover_testkit.service_keys import harness_key


@dataclass(frozen=True)
class Infrastructure:
    """Where this test session's Kafka topics and Postgres database are."""

    bootstrap_servers: str
    database_url: str
    topic_prefix: str

    def settings(self) -> RuntimeSettings:
        """The runtime settings of a client of these servers (a test, the simulator)."""
        return RuntimeSettings(
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap_servers, DATABASE_URL=self.database_url, topic_prefix=self.topic_prefix
        )

    def service_env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            "TIDEOVER_TOPIC_PREFIX": self.topic_prefix,
            "TIDEOVER_CLOCK": "business",
            "TIDEOVER_RETRY_BACKOFF_SECONDS": "0.05",
            "TIDEOVER_OUTBOX_POLL_SECONDS": "0.5",
            # What negotiation-intake sends to the query APIs it asks (registered by create_scratch_database).
            "TIDEOVER_SERVICE_KEY": harness_key(CallerRole.NEGOTIATION_INTAKE),
            "TIDEOVER_ENV": "development",
        }


@dataclass(frozen=True)
class Servers:
    bootstrap_servers: str
    admin_database_url: str


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    try:
        yield Servers(infra.kafka_bootstrap_servers(), infra.database_url())
    finally:
        infra.stop_containers()


@contextmanager
def isolated(servers: Servers) -> Iterator[Infrastructure]:
    """Fresh topics (a unique prefix) and a fresh database on the shared servers, removed after."""
    scratch = infra.create_scratch_database(servers.admin_database_url)
    prefix = f"t{uuid.uuid4().hex[:8]}."
    infra.create_topics(servers.bootstrap_servers, prefix)
    try:
        yield Infrastructure(servers.bootstrap_servers, scratch, prefix)
    finally:
        infra.drop_database(servers.admin_database_url, scratch)
        infra.delete_topics(servers.bootstrap_servers, prefix)


@pytest.fixture(scope="session")
def infrastructure(servers: Servers) -> Iterator[Infrastructure]:
    """Shared by the tests of a session that run services once (`services`)."""
    with isolated(servers) as fresh:
        yield fresh


@pytest.fixture
def private_infrastructure(servers: Servers) -> Iterator[Infrastructure]:
    """For a test that kills or restarts services: nobody else sees its topics or rows."""
    with isolated(servers) as fresh:
        yield fresh


@pytest.fixture
def all_services(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    """All five services as processes on this test's own topics and database, by module name."""
    with started_services(private_infrastructure.service_env(), tmp_path) as started:
        yield started


@pytest.fixture(scope="session")
def service_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def services(infrastructure: Infrastructure, service_logs: Path) -> Iterator[Callable[[str], ServiceProcess]]:
    """Start a service by module name once per session (`services("overdue_detection")`)."""
    running: dict[str, ServiceProcess] = {}

    def start(module: str) -> ServiceProcess:
        if module not in running:
            running[module] = ServiceProcess(module, infrastructure.service_env(), service_logs).start()
        return running[module]

    try:
        yield start
    finally:
        for process in running.values():
            process.stop()


@pytest.fixture
async def kafka(infrastructure: Infrastructure) -> AsyncIterator[KafkaTestClient]:
    async with KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as client:
        yield client


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    """A port contract suite's test runs twice: on the fake, and on Postgres (tideover_testkit.contract)."""
    if request.param == "memory":
        return Adapter(None)
    return Adapter(request.getfixturevalue("infrastructure").database_url)
