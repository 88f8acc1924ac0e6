"""What the borrower's page is offered (GET /v1/loans/{id}/contact-choices, issue 21), on the real
Kafka and Postgres: behind the service key (none: 401; unknown loan: 404); the legal window and its
half hours, the channels on file masked; a ContactPreferencesChosen read from intake's topic kept
and answered, an older one read after it changing nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import ContactPreferencesChosen
from tideover_contracts.examples import borrower, golden_events
from tideover_runtime.service_keys import CallerRole
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import harness_headers

from .flow import MIDDAY, at, envelope, handled, overdue_loan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
# `notification` and `client`: conftest.py


async def choices(notification: ServiceProcess, loan_id: uuid.UUID) -> httpx.Response:
    headers = harness_headers(CallerRole.NEGOTIATION_INTAKE)
    async with httpx.AsyncClient(base_url=notification.url, headers=headers, timeout=10) as http:
        return await http.get(f"/v1/loans/{loan_id}/contact-choices")


def chosen(loan_id: uuid.UUID, borrower_id: str, minutes: int, **changes: Any) -> ContactPreferencesChosen:
    example = next(event for event in golden_events() if isinstance(event, ContactPreferencesChosen))
    update = {
        "loan_id": loan_id,
        "borrower_id": borrower_id,
        "change_id": uuid.uuid4(),
        "chosen_at": MIDDAY + timedelta(minutes=minutes),
    }
    return example.model_copy(update={**update, **changes})


async def test_the_page_is_offered_the_legal_window_and_the_choice_notification_keeps(
    private_infrastructure: Infrastructure, notification: ServiceProcess, client: KafkaTestClient
) -> None:
    infra = private_infrastructure
    await at(infra, client, MIDDAY)
    overdue = await overdue_loan(infra, client)
    first = await choices(notification, overdue.loan_id)
    assert first.status_code == 200, first.text
    offered = first.json()
    assert (offered["quiet_hours"], offered["slots"][0], offered["slots"][-1]) == (
        {"from": "22:00", "until": "08:00"},
        "08:00",
        "21:30",
    )
    assert offered["on_file"][0]["channel"] == "sms"
    assert offered["on_file"][0]["address"].endswith(borrower().phone[-4:])
    assert borrower().phone not in first.text
    assert (offered["chosen"], offered["code_reaches"], offered["do_not_contact"]) == (None, True, False)

    newer = chosen(
        overdue.loan_id,
        borrower().borrower_id,
        5,
        preferred_channels=(Channel.VOICE_CALL, Channel.SMS),
        opted_out_channels=(),
    )
    older = chosen(overdue.loan_id, borrower().borrower_id, 1)
    for event in (newer, older):
        sent = envelope(event)
        await client.publish(sent)
        await handled(infra, sent)

    kept = (await choices(notification, overdue.loan_id)).json()["chosen"]
    assert (kept["preferred_channels"], kept["opted_out_channels"], kept["preferred_hours"]) == (
        ["voice_call", "sms"],
        [],
        {"start": "09:00", "end": "12:30"},
    )
    unknown = await choices(notification, uuid.uuid4())
    async with httpx.AsyncClient(base_url=notification.url) as anonymous:
        refused = await anonymous.get(f"/v1/loans/{overdue.loan_id}/contact-choices")
    assert (unknown.status_code, refused.status_code) == (404, 401)
