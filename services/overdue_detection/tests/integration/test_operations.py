"""What operators see of a running service: health, readiness and Prometheus metrics."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.examples import loan_booked
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess, wait_until_ok

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_health_readiness_and_metrics(services: Callable[[str], ServiceProcess], kafka: KafkaTestClient) -> None:
    service = services("overdue_detection")
    loan = loan_booked(loan_id=uuid.uuid4())
    await kafka.publish(wrap(loan, producer="test", occurred_at=datetime.now(UTC)))
    await wait_until_ok(f"{service.url}/v1/loans/{loan.loan_id}/overdue-status")
    async with httpx.AsyncClient(base_url=service.url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"postgres": True, "kafka": True}}
    # Counted after the commit that made the loan visible: wait for it.
    counted = lambda r: any('event_type="LoanBooked"' in l and 'outcome="handled"' in l for l in r.text.splitlines())  # noqa: E731, E741
    metrics = (await wait_until_ok(f"{service.url}/metrics", accept=counted)).text
    handled = [
        line for line in metrics.splitlines() if line.startswith("tideover_messages_total{") and 'event_type="LoanBooked"' in line
    ]
    assert handled, metrics[:2000]
    assert any('outcome="handled"' in line and float(line.rsplit(" ", 1)[1]) >= 1 for line in handled)
    assert "tideover_handle_seconds_bucket" in metrics
