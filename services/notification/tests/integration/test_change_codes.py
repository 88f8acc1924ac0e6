"""A borrower's change code (BorrowerCodeRequested from intake's page, issue 21) on the real Kafka
and Postgres: sent at once by SMS to the phone on file, even in quiet hours, on
notifications.requests.v3 only (purpose change_code, which v1 and v2 do not know); masked in the
contact log, and blanked in the outbox once published."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from tideover_contracts.events.negotiation import BorrowerCodeRequested
from tideover_contracts.examples import borrower, golden_events, loan_booked
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS, NOTIFICATIONS_REQUESTS_V1, NOTIFICATIONS_REQUESTS_V2
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess

from .flow import EVENING, at, envelope, handled, quiet
from .test_written_plan_codes import contact_log

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
# `notification` and `client`: conftest.py

CODE = "730164"


@pytest.fixture
async def every_version(private_infrastructure: Infrastructure) -> AsyncIterator[TopicWatcher]:
    topics = (NOTIFICATIONS_REQUESTS.name, NOTIFICATIONS_REQUESTS_V2.name, NOTIFICATIONS_REQUESTS_V1.name)
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watching:
        yield watching


def code_requested(loan_id: uuid.UUID, borrower_id: str) -> BorrowerCodeRequested:
    example = next(event for event in golden_events() if isinstance(event, BorrowerCodeRequested))
    return example.model_copy(
        update={
            "request_id": uuid.uuid4(),
            "loan_id": loan_id,
            "borrower_id": borrower_id,
            "confirmation_code": CODE,
            "requested_at": EVENING,
            "code_expires_at": EVENING + timedelta(minutes=10),
        }
    )


async def booked(infrastructure: Infrastructure, client: KafkaTestClient) -> Any:
    event = envelope(loan_booked(loan_id=uuid.uuid4()).model_copy(update={"borrower": borrower()}), EVENING)
    await client.publish(event)
    await handled(infrastructure, event)
    return event.payload


async def requested(infrastructure: Infrastructure, client: KafkaTestClient, loan: Any) -> None:
    event = envelope(code_requested(loan.loan_id, loan.borrower.borrower_id), EVENING)
    await client.publish(event)
    await handled(infrastructure, event)


async def test_a_change_code_goes_out_at_once_on_v3_only_and_is_masked_in_the_contact_log(
    private_infrastructure: Infrastructure,
    notification: ServiceProcess,
    client: KafkaTestClient,
    every_version: TopicWatcher,
) -> None:
    infra = private_infrastructure
    await at(infra, client, EVENING)  # 23:30 in Beijing: quiet hours, which a code asked for now ignores
    loan = await booked(infra, client)

    await requested(infra, client, loan)
    await quiet(infra, every_version)

    sent = [(item.topic, item.envelope) for item in every_version.seen if item.envelope]
    codes = [(topic, e) for topic, e in sent if e.payload.loan_id == loan.loan_id and e.payload.purpose == "change_code"]
    [(topic, request)] = codes
    assert topic.endswith(NOTIFICATIONS_REQUESTS.name)
    assert (request.schema_version, request.payload.channel) == (3, "sms")
    assert request.payload.address == loan.borrower.phone
    assert CODE in request.payload.body
    log = await contact_log(notification, loan.loan_id)
    change_entries = [entry for entry in log if entry.get("purpose") == "change_code"]
    assert [(e["channel"], e["decision"]) for e in change_entries] == [("sms", "sent")]
    assert CODE not in str(log)
    database = await asyncpg.connect(infra.database_url, server_settings={"search_path": "notification"})
    try:  # published, so blanked (DESIGN.md §5): no table of notification's holds the code in its outbox
        in_clear = await database.fetchval("SELECT count(*) FROM outbox WHERE convert_from(value, 'UTF8') LIKE $1", f"%{CODE}%")
        staged = await database.fetchval("SELECT count(*) FROM outbox WHERE secret AND key = $1", str(loan.loan_id))
    finally:
        await database.close()
    assert in_clear == 0
    assert staged >= 1
