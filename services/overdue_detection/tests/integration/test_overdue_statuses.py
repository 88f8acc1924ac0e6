"""GET /v1/loans/overdue-statuses on the real Postgres and Kafka (issue 20, finding 9): many
loans' overdue status in one request, each loan's figures those its own overdue-status answers
(the loan page's), the order asked, unknown ids named; at most 100 ids, refused beyond with a
problem naming the field; a service key granting read_ledger, as every route of the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_runtime.service_keys import CallerRole, key_header
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import guard_test_keys, harness_headers
from tideover_testkit.settle import taken_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

CLOSED = date(2026, 2, 18)  # three days after the first installment fell due
BATCH = "/v1/loans/overdue-statuses"


@pytest.fixture
def overdue(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess("overdue_detection", private_infrastructure.service_env(), tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


async def book_and_close(infra: Infrastructure, overdue: ServiceProcess) -> tuple[uuid.UUID, uuid.UUID]:
    """Two loans booked on 15 Jan; the second pays its first installment when due; 18 Feb closed."""
    late, paid = loan_booked(loan_id=uuid.uuid4()), loan_booked(loan_id=uuid.uuid4())
    payment = RepaymentReceived(
        loan_id=paid.loan_id,
        payment_id=f"P-{uuid.uuid4()}",
        amount=Money.of("1045.00", "CNY"),
        value_date=date(2026, 2, 15),
        received_at=datetime(2026, 2, 15, 9, tzinfo=UTC),
    )
    closed = BusinessDayClosed(business_date=CLOSED, closed_at=datetime(2026, 2, 18, 10, tzinfo=UTC))
    async with KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka:
        for event in (late, paid, payment):
            envelope = wrap(event, producer="test", occurred_at=datetime.now(UTC))
            await kafka.publish(envelope)
            await taken_in(infra, "overdue_detection", envelope.event_id)
        await kafka.publish(wrap(closed, producer="test", occurred_at=closed.closed_at))
        await wait_until_ok(f"{overdue.url}/v1/loans/{late.loan_id}/position")
    return late.loan_id, paid.loan_id


def without_schedule_and_payments(status: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in status.items() if name not in ("remaining_schedule", "last_payments")}


async def test_many_loans_are_answered_at_once_with_each_loans_own_figures(
    private_infrastructure: Infrastructure, overdue: ServiceProcess
) -> None:
    late, paid = await book_and_close(private_infrastructure, overdue)
    unknown = uuid.uuid4()
    async with httpx.AsyncClient(base_url=overdue.url, headers=harness_headers(CallerRole.NEGOTIATION_INTAKE)) as http:
        answer = await http.get(BATCH, params=[("loan_id", str(i)) for i in (paid, unknown, late, paid)])
        singles = [(await http.get(f"/v1/loans/{loan_id}/overdue-status")).json() for loan_id in (paid, late)]
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == CLOSED.isoformat()
    assert body["unknown"] == [str(unknown)]
    assert body["loans"] == [without_schedule_and_payments(single) for single in singles]
    owed = body["loans"][1]
    assert (owed["loan_id"], owed["overdue"], owed["days_past_due"], owed["oldest_overdue_due_date"]) == (
        str(late),
        True,
        3,
        "2026-02-15",
    )
    assert {part: money["amount"] for part, money in owed["overdue_amounts"].items()} == {
        "principal": "1000.00",
        "interest": "45.00",
        "fee": "0.00",
        "penalty": "0.31",
    }
    assert (body["loans"][0]["overdue"], body["loans"][0]["days_past_due"]) == (False, 0)


#: What is refused, the field the problem names and what it says of it.
REFUSED = [
    ([str(uuid.uuid4()) for _ in range(101)], "query.loan_id", "at most 100"),
    ([], "query.loan_id", "Field required"),
    ([str(uuid.uuid4()), "not-a-loan"], "query.loan_id.1", "valid UUID"),
]


async def test_the_batch_is_bounded_and_takes_a_key_granting_read_ledger(
    private_infrastructure: Infrastructure, overdue: ServiceProcess
) -> None:
    await wait_until_ok(f"{overdue.url}/readyz")
    keys = await guard_test_keys(private_infrastructure.database_url, "overdue-detection", CallerRole.OPERATOR, "retired-role")
    async with httpx.AsyncClient(base_url=overdue.url) as http:
        for ids, field, why in REFUSED:
            refused = await http.get(BATCH, params=[("loan_id", loan_id) for loan_id in ids], headers=harness_headers())
            assert refused.status_code == 422, why
            assert refused.headers["content-type"] == "application/problem+json"
            [error] = refused.json()["errors"]
            assert error["field"] == field
            assert why in error["message"]
        hundred = await http.get(BATCH, params=[("loan_id", str(uuid.uuid4())) for _ in range(100)], headers=harness_headers())
        answers = {
            name: await http.get(BATCH, params={"loan_id": str(uuid.uuid4())}, headers=key_header(key))
            for name, key in keys.items()
        }
    assert (hundred.status_code, len(hundred.json()["unknown"])) == (200, 100)
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "none": 401,
        "unknown": 401,
        "revoked": 401,
        "lacking": 403,
        "allowed": 200,
    }
    assert answers["allowed"].json()["loans"] == []
