"""Malformed and refused messages go to `loans.lifecycle.v1.dlq` with the reason; the consumer
goes on with the next message (DESIGN.md §5)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason, RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import harness_headers

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
TOPIC = "loans.lifecycle.v1"


def _loan_document(**payload_changes: Any) -> dict[str, Any]:
    document = json.loads(wrap(loan_booked(loan_id=uuid.uuid4()), producer="test", occurred_at=datetime.now(UTC)).to_bytes())
    document["payload"].update(payload_changes)
    return document


def _malformed() -> dict[str, bytes]:
    number_money = _loan_document()
    number_money["payload"]["principal"]["amount"] = 3000.0
    unknown = _loan_document()
    unknown["event_type"] = "LoanRefinanced"
    short_schedule = _loan_document()
    short_schedule["payload"]["installments"][0]["principal"]["amount"] = "999.99"
    rate = _loan_document(overdue_rate="1.5000")
    currency = _loan_document()
    currency["payload"]["principal"]["currency"] = "XXY"
    dates = _loan_document()
    installments = dates["payload"]["installments"]
    installments[1]["due_date"] = installments[0]["due_date"]
    return {
        "rate 1.5000 is outside [0, 1]": json.dumps(rate).encode(),
        "unknown currency 'XXY'": json.dumps(currency).encode(),
        "due dates must be strictly ascending": json.dumps(dates).encode(),
        "invalid JSON": b'{"event_id": "not closed',
        "not a JSON number": json.dumps(number_money).encode(),
        "unknown event type 'LoanRefinanced'": json.dumps(unknown).encode(),
        "installment principal adds up to 2999.99": json.dumps(short_schedule).encode(),
    }


async def test_malformed_messages_land_in_the_dlq_and_the_next_message_is_handled(
    infrastructure: Infrastructure, services: Callable[[str], ServiceProcess], kafka: KafkaTestClient
) -> None:
    service = services("overdue_detection")
    malformed = _malformed()
    good = loan_booked(loan_id=uuid.uuid4())
    unknown_loan_payment = RepaymentReceived(
        loan_id=uuid.uuid4(),
        payment_id=f"PAY-{uuid.uuid4()}",
        amount=Money.of("10.00", "CNY"),
        received_at=datetime.now(UTC),
        value_date=date(2026, 3, 1),
    )
    closed = loan_booked(loan_id=uuid.uuid4())
    closed_loan_payment = unknown_loan_payment.model_copy(update={"loan_id": closed.loan_id, "payment_id": f"PAY-{uuid.uuid4()}"})
    now = datetime.now(UTC)
    async with TopicWatcher(infrastructure.bootstrap_servers, [TOPIC + ".dlq"], infrastructure.topic_prefix) as dlq:
        key = str(good.loan_id).encode()
        for value in malformed.values():
            await kafka.publish_raw(TOPIC, value, key=key)
        await kafka.publish(wrap(good, producer="test", occurred_at=now))
        await kafka.publish(wrap(unknown_loan_payment, producer="test", occurred_at=now))
        await kafka.publish(
            wrap(closed, producer="test", occurred_at=now),
            wrap(
                LoanClosed(loan_id=closed.loan_id, closed_on=date(2026, 2, 1), reason=LoanClosureReason.SOLD),
                producer="test",
                occurred_at=now,
            ),
            wrap(closed_loan_payment, producer="test", occurred_at=now),
        )

        await dlq.wait_for(lambda seen: len(seen) >= len(malformed) + 2, timeout=30)
        reasons = [item.headers["dlq_reason"] for item in dlq.seen]
        for expected in malformed:
            assert any(expected in reason for reason in reasons), (expected, reasons)
        assert any(f"unknown loan {unknown_loan_payment.loan_id}" in reason for reason in reasons), reasons
        assert any(f"closed loan {closed.loan_id}" in reason for reason in reasons), reasons
        for item in dlq.seen:
            assert item.headers["dlq_original_topic"] == infrastructure.topic_prefix + TOPIC
            assert item.headers["dlq_original_offset"].isdigit()
            assert item.headers["dlq_consumer"] == "overdue-detection"
        assert {item.value for item in dlq.seen} >= set(malformed.values()), "the original bytes are kept"

    booked = await wait_until_ok(f"{service.url}/v1/loans/{good.loan_id}/overdue-status")
    assert [item["sequence"] for item in booked.json()["remaining_schedule"]] == [1, 2, 3]
    async with httpx.AsyncClient(base_url=service.url, headers=harness_headers()) as http:
        missing = await http.get(f"/v1/loans/{uuid.uuid4()}/overdue-status")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
