"""The intake service running on the session's Kafka and Postgres, keys for every role, and
overdue loans it knows."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.examples import golden_events
from tideover_runtime.testing.fixtures import Infrastructure
from tideover_runtime.testing.kafka import KafkaTestClient
from tideover_runtime.testing.processes import ServiceProcess, wait_until_ok


@pytest.fixture(scope="session")
def intake(services: Callable[[str], ServiceProcess]) -> str:
    """The base URL of the running intake service."""
    return services("negotiation_intake").url


@pytest.fixture
async def keys(infrastructure: Infrastructure, intake: str) -> dict[Role, str]:
    return {role: await issue_key(infrastructure.database_url, f"{role.value}-{uuid.uuid4().hex[:6]}", role) for role in Role}


def golden(event_type: str) -> Any:
    return next(event for event in golden_events() if type(event).__name__ == event_type)


OverdueLoan = Callable[[], Awaitable[uuid.UUID]]


@pytest.fixture
def overdue_loan(kafka: KafkaTestClient, intake: str, keys: dict[Role, str]) -> OverdueLoan:
    """Makes a new loan overdue, as overdue-detection announces it; returns once intake knows it."""

    async def make() -> uuid.UUID:
        loan_id = uuid.uuid4()
        event = golden("LoanBecameOverdue").model_copy(update={"loan_id": loan_id})
        await kafka.publish(wrap(event, producer="test", occurred_at=datetime.now(UTC)))
        await wait_until_ok(f"{intake}/v1/loans/{loan_id}", headers={"X-API-Key": keys[Role.AGENT]})
        return loan_id

    return make
