"""SIGKILL mid-message must neither lose nor double a fact (DESIGN.md §5)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.examples import loan_booked
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.mark.parametrize("crash_point", ["kill-before-commit", "kill-after-commit"])
async def test_a_killed_close_is_redone_once_after_restart(
    private_infrastructure: Infrastructure, tmp_path: Path, crash_point: str
) -> None:
    infra = private_infrastructure
    service = ServiceProcess("overdue_detection", infra.service_env(), tmp_path)
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    day = BusinessDayClosed(business_date=date(2026, 2, 20), closed_at=datetime(2026, 2, 20, 15, tzinfo=UTC))
    now = datetime.now(UTC)

    service.start(extra_env={"TIDEOVER_FAULT": f"{crash_point}:BusinessDayClosed"})
    async with (
        KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka,
        TopicWatcher(infra.bootstrap_servers, ["overdue.status.v1"], infra.topic_prefix) as watcher,
    ):
        await kafka.publish(wrap(loan, producer="test", occurred_at=now))
        await wait_until_ok(f"{service.url}/v1/loans/{loan.loan_id}/overdue-status")
        await kafka.publish(wrap(day, producer="test", occurred_at=now))
        # The service consumed the close, then died by SIGKILL at the crash point.
        assert await asyncio.to_thread(service.wait_exit, 60) == -signal.SIGKILL
        if crash_point == "kill-before-commit":
            await watcher.caught_up()  # all the dead process got out is on the topic: read it all
            assert watcher.events("LoanBecameOverdue") == [], "nothing may be published from a rolled-back transaction"

        service.start()  # no fault this time: the uncommitted offset brings the close back
        try:
            overdue = await watcher.wait_for_event("LoanBecameOverdue", lambda event: event.loan_id == loan.loan_id, timeout=60)
            # Every consumer caught up (the close redelivered and handled) and the outbox sent, then
            # all of it read: a duplicate, if there were one, is in `seen`.
            await settled(infra)
            await watcher.caught_up()
        finally:
            service.stop()
    assert overdue.days_past_due == 5
    published = [item for item in watcher.seen if item.envelope and item.envelope.event_type == "LoanBecameOverdue"]
    assert len({item.envelope.event_id for item in published if item.envelope}) == 1
    assert len(published) == 1
