"""overdue-detection's query API answers only a caller whose service key grants read_ledger
(issue 17, H1): no key, or an unknown or revoked one, is a 401; a key of a role without the
right a 403; negotiation-intake's and an operator's keys read the status and the position.
Health and metrics stay open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.examples import loan_booked
from tideover_runtime.service_keys import CallerRole, key_header
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import guard_test_keys, harness_headers

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

REFUSED_OR_ANSWERED = {"none": 401, "unknown": 401, "revoked": 401, "lacking": 403, "allowed": 200}


@pytest.fixture
def overdue(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess("overdue_detection", private_infrastructure.service_env(), tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


async def test_the_status_and_the_position_take_a_key_granting_read_ledger(
    private_infrastructure: Infrastructure, overdue: ServiceProcess
) -> None:
    infra = private_infrastructure
    loan = loan_booked(loan_id=uuid.uuid4())
    closed = BusinessDayClosed(business_date=date(2026, 1, 20), closed_at=datetime(2026, 1, 20, 10, tzinfo=UTC))
    async with KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka:
        await kafka.publish(wrap(loan, producer="test", occurred_at=datetime.now(UTC)))
        await wait_until_ok(f"{overdue.url}/v1/loans/{loan.loan_id}/overdue-status")
        await kafka.publish(wrap(closed, producer="test", occurred_at=closed.closed_at))
        await wait_until_ok(f"{overdue.url}/v1/loans/{loan.loan_id}/position")

    keys = await guard_test_keys(infra.database_url, "overdue-detection", CallerRole.OPERATOR, "retired-role")
    async with httpx.AsyncClient(base_url=overdue.url, timeout=10) as http:
        for path in (f"/v1/loans/{loan.loan_id}/overdue-status", f"/v1/loans/{loan.loan_id}/position"):
            answers = {name: await http.get(path, headers=key_header(key)) for name, key in keys.items()}
            assert {name: answer.status_code for name, answer in answers.items()} == REFUSED_OR_ANSWERED, path
            assert answers["none"].headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
            assert answers["revoked"].json()["title"] == "Unknown or revoked service key"
            assert answers["lacking"].headers["content-type"] == "application/problem+json"
            assert answers["allowed"].json()["loan_id"] == str(loan.loan_id)
            by_intake = await http.get(path, headers=harness_headers(CallerRole.NEGOTIATION_INTAKE))
            assert by_intake.json() == answers["allowed"].json()
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await http.get(path)).status_code == 200, path
