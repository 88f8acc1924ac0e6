"""The batch forms of the contact log and the contact window on the real Kafka and Postgres
(issue 20, finding 9: the console's work queue asks for a page of loans in one request): each
loan's answer is the one it gets alone, the log narrowed to the newest entries of a decision when
asked; at most 100 loans, refused beyond with a problem naming the field; a service key granting
read_contact_log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tideover_runtime.service_keys import CallerRole
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import harness_headers

from .flow import EVENING, MORNING, at, contact_log, envelope, handled, overdue_loan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def ids(*loan_ids: uuid.UUID) -> list[tuple[str, str]]:
    return [("loan_id", str(loan_id)) for loan_id in loan_ids]


async def test_many_loans_logs_and_windows_are_each_loans_own(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient
) -> None:
    await at(private_infrastructure, client, EVENING)
    noticed = await overdue_loan(private_infrastructure, client)
    quiet = await overdue_loan(private_infrastructure, client)  # booked, never written to
    notice = envelope(noticed)
    await client.publish(notice)
    await handled(private_infrastructure, notice)
    unknown = uuid.uuid4()
    asked = ids(noticed.loan_id, unknown, quiet.loan_id, noticed.loan_id)
    async with httpx.AsyncClient(base_url=notification.url, headers=harness_headers(CallerRole.NEGOTIATION_INTAKE)) as http:
        windows = (await http.get("/v1/loans/contact-windows", params=asked)).json()
        alone = [(await http.get(f"/v1/loans/{loan.loan_id}/contact-window")).json() for loan in (noticed, quiet)]
        await at(private_infrastructure, client, MORNING)  # the held notice goes at 08:00
        sent = f"{notification.url}/v1/loans/{noticed.loan_id}/contact-log"
        await wait_until_ok(sent, accept=lambda answer: any(e["decision"] == "sent" for e in answer.json()["entries"]))
        logs = (await http.get("/v1/loans/contact-logs", params=asked)).json()["loans"]
        last_sent = (await http.get("/v1/loans/contact-logs", params=[*asked, ("decision", "sent"), ("latest", "1")])).json()
    assert datetime.fromisoformat(windows["at"]) == EVENING
    assert windows["loans"] == [{name: value for name, value in one.items() if name != "at"} for one in alone]
    assert [(w["outcome"], w["rule"], datetime.fromisoformat(w["until"])) for w in windows["loans"]] == [
        ("held", "quiet_hours", MORNING),
        ("held", "quiet_hours", MORNING),
    ]
    assert windows["unknown"] == [str(unknown)]
    log = await contact_log(notification, noticed.loan_id)
    assert [entry["decision"] for entry in log] == ["held", "sent"]
    assert logs == [
        {"loan_id": str(noticed.loan_id), "entries": log},
        {"loan_id": str(unknown), "entries": []},
        {"loan_id": str(quiet.loan_id), "entries": []},
    ]
    assert [(loan["loan_id"], loan["entries"]) for loan in last_sent["loans"]] == [
        (str(noticed.loan_id), [log[1]]),
        (str(unknown), []),
        (str(quiet.loan_id), []),
    ]


async def test_the_batches_are_bounded_and_take_a_service_key(notification: ServiceProcess) -> None:
    await wait_until_ok(f"{notification.url}/readyz")
    many = ids(*(uuid.uuid4() for _ in range(101)))
    refusals: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=notification.url) as http:
        for path in ("/v1/loans/contact-logs", "/v1/loans/contact-windows"):
            refusals[path] = [
                await http.get(path, params=many, headers=harness_headers()),
                await http.get(path, headers=harness_headers()),
                await http.get(path, params=ids(uuid.uuid4())),
            ]
            hundred = await http.get(path, params=many[:100], headers=harness_headers())
            assert hundred.status_code == 200, path
        unknown_decision = await http.get(
            "/v1/loans/contact-logs", params=[*ids(uuid.uuid4()), ("decision", "read")], headers=harness_headers()
        )
    for path, (too_many, none, anonymous) in refusals.items():
        assert (too_many.status_code, none.status_code, anonymous.status_code) == (422, 422, 401), path
        assert too_many.headers["content-type"] == "application/problem+json"
        [error] = too_many.json()["errors"]
        assert error["field"] == "query.loan_id"
        assert "at most 100" in error["message"]
    assert unknown_decision.status_code == 422
    assert unknown_decision.json()["errors"][0]["field"] == "query.decision"
