"""`tideover-dlq list` and `replay --dry-run` against the real broker, on letters placed by hand."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from tideover_contracts.envelope import wrap
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import LOANS_LIFECYCLE
from tideover_runtime.dlq import list_dead_letters, replay
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import TopicWatcher

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
TOPIC = LOANS_LIFECYCLE.name


def _dlq_headers(prefix: str, consumer: str, offset: int, reason: str) -> list[tuple[str, bytes]]:
    headers = {
        "event_type": "LoanBooked",
        "dlq_reason": reason,
        "dlq_original_topic": prefix + TOPIC,
        "dlq_original_partition": "0",
        "dlq_original_offset": str(offset),
        "dlq_consumer": consumer,
        "dlq_attempts": "1",
    }
    return [(name, value.encode()) for name, value in headers.items()]


async def test_list_and_dry_run_show_the_letters_and_change_nothing(private_infrastructure: Infrastructure) -> None:
    infra = private_infrastructure
    settings = RuntimeSettings(KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, topic_prefix=infra.topic_prefix)
    envelope = wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=datetime.now(UTC))
    key = str(envelope.payload.loan_id).encode()
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, acks="all")
    await producer.start()
    try:
        dlq = infra.topic_prefix + LOANS_LIFECYCLE.dlq
        # One record dead-lettered by two consumers, and a record that is not even JSON.
        await producer.send_and_wait(
            dlq, envelope.to_bytes(), key=key, headers=_dlq_headers(infra.topic_prefix, "notification", 7, "rejected: x")
        )
        await producer.send_and_wait(
            dlq, envelope.to_bytes(), key=key, headers=_dlq_headers(infra.topic_prefix, "overdue-detection", 7, "rejected: y")
        )
        await producer.send_and_wait(
            dlq, b"not json", key=key, headers=_dlq_headers(infra.topic_prefix, "overdue-detection", 8, "invalid JSON: z")
        )
    finally:
        await producer.stop()

    lines: list[str] = []
    letters = await list_dead_letters(settings, TOPIC, out=lines.append)
    assert [letter.consumer for letter in letters] == ["notification", "overdue-detection", "overdue-detection"]
    assert f"notification\tLoanBooked\t{envelope.event_id}\trejected: x" in lines[0]
    assert lines[2].endswith("overdue-detection\tLoanBooked\t-\tinvalid JSON: z"), lines[2]
    assert lines[-1] == f"3 dead letters in {dlq}"

    async with TopicWatcher(infra.bootstrap_servers, [TOPIC], infra.topic_prefix) as original:
        planned: list[str] = []
        outcome = await replay(settings, TOPIC, consumer_name="overdue-detection", dry_run=True, out=planned.append)
        assert (outcome.replayed, outcome.skipped) == (2, 1)
        assert planned[-1] == "2 replayed, 1 skipped (dry run: nothing sent or committed)"
        assert all(line.startswith("would replay ") for line in planned[:-1])
        again = await replay(settings, TOPIC, dry_run=True, out=lambda _: None)
        assert (again.replayed, again.skipped) == (2, 1), "the same origin twice is re-driven once; nothing was committed"
        await original.caught_up()
        assert original.seen == [], "a dry run sends nothing"

    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers, "TIDEOVER_TOPIC_PREFIX": infra.topic_prefix}
    script = subprocess.run(  # noqa: ASYNC221 - the console script, once, as an operator runs it
        [sys.executable, "-m", "tideover_runtime.dlq", "list", TOPIC + ".dlq"],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert script.returncode == 0, script.stderr
    assert script.stdout.splitlines()[-1] == f"3 dead letters in {dlq}"
