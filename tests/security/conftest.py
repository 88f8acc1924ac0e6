"""What the security tests share: all five services running as processes on the real Kafka and
Postgres, on topics and a database of the test module's own (as `private_infrastructure` and
`all_services` give one test). Not the session's shared services: those of intake's integration
tests stand in for plan-calculation and overdue-detection by publishing their events, which a
real plan-calculation or overdue-detection on the same topics would answer too; and a module's
floods of refused requests would use up the bound of what another module's intake keeps."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tideover_testkit.fixtures import Infrastructure, Servers, isolated
from tideover_testkit.processes import ServiceProcess, started_services


@pytest.fixture(scope="module")
def module_infrastructure(servers: Servers) -> Iterator[Infrastructure]:
    """Fresh topics and a fresh database for the test module."""
    with isolated(servers) as infrastructure:
        yield infrastructure


@pytest.fixture(scope="module")
def running(
    module_infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    """All five services on the module's infrastructure, by module name."""
    with started_services(module_infrastructure.service_env(), tmp_path_factory.mktemp("security")) as started:
        yield started


@pytest.fixture(scope="module")
def openapi_documents(running: dict[str, ServiceProcess]) -> dict[str, dict[str, object]]:
    """Each running service's OpenAPI document as it serves it, by module name: a route added to
    a service is in it, and so in the tests that read it."""
    documents = {}
    for name, process in running.items():
        answer = httpx.get(f"{process.url}/openapi.json", timeout=10)
        assert answer.status_code == 200, (name, answer.text)
        documents[name] = answer.json()
    return documents
