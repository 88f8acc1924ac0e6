"""The intake service running on the session's Kafka and Postgres, keys for every role, and
overdue loans it knows."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.examples import golden_events
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok


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


def offer_with_a_deeper_waiver(application_id: uuid.UUID, loan_id: uuid.UUID) -> Any:
    """An offer with a plain option (`arrears-3`) and a deeper waiver that needs a supervisor."""
    offer = golden("PlanOffered")
    plain = offer.options[0]
    deeper = plain.model_copy(
        update={
            "option_id": "waiver-arrears-3-supervisor",
            "kind": OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS,
            "needs_supervisor": True,
        }
    )
    return offer.model_copy(
        update={
            "offer_id": uuid.uuid4(),
            "application_id": application_id,
            "loan_id": loan_id,
            "options": (plain, deeper),
            "valid_until": datetime.now(UTC) + timedelta(days=7),
        }
    )


#: Files an application with the key given, and returns it and the offer it got, once offered.
OfferedApplication = Callable[[str], Awaitable[tuple[uuid.UUID, Any]]]


@pytest.fixture
def offered_application(kafka: KafkaTestClient, intake: str, overdue_loan: OverdueLoan) -> OfferedApplication:
    async def make(key: str) -> tuple[uuid.UUID, Any]:
        loan_id = await overdue_loan()
        async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": key}, timeout=10) as http:
            application_id = uuid.UUID((await file_application(http, loan_id))["application_id"])
        offer = offer_with_a_deeper_waiver(application_id, loan_id)
        await kafka.publish(wrap(offer, producer="plan-calculation", occurred_at=datetime.now(UTC)))
        await wait_until_ok(
            f"{intake}/v1/applications/{application_id}",
            accept=lambda r: r.json()["state"] == "offered",
            headers={"X-API-Key": key},
        )
        return application_id, offer

    return make


@dataclass(frozen=True)
class SentPlan:
    """A written plan sent to the borrower: its application, the code in it and the event's id."""

    application_id: uuid.UUID
    code: str
    event_id: uuid.UUID


async def send_written_plan(infrastructure: Infrastructure, http: httpx.AsyncClient, application_id: uuid.UUID) -> SentPlan:
    """POST …/sending with the agent's client `http`, and the code the PlanSentToBorrower carried."""

    def sendings(watcher: TopicWatcher) -> list[Any]:
        envelopes: list[Any] = [item.envelope for item in watcher.seen if item.envelope]
        return [e for e in envelopes if e.event_type == "PlanSentToBorrower" and e.payload.application_id == application_id]

    topics = [NEGOTIATION_APPLICATIONS.name]
    async with TopicWatcher(infrastructure.bootstrap_servers, topics, infrastructure.topic_prefix) as watcher:
        await watcher.caught_up()
        before = len(sendings(watcher))
        sent = await http.post(f"/v1/applications/{application_id}/sending")
        assert sent.json()["state"] == "sent", sent.text
        await watcher.wait_for(lambda _: len(sendings(watcher)) > before)
        latest = sendings(watcher)[-1]
    return SentPlan(application_id, latest.payload.confirmation_code, latest.event_id)


#: An application the agent filed and chose the plain option of; its written plan sent.
PlanSent = Callable[[], Awaitable[SentPlan]]


@pytest.fixture
def plan_sent(
    infrastructure: Infrastructure, intake: str, keys: dict[Role, str], offered_application: OfferedApplication
) -> PlanSent:
    async def make() -> SentPlan:
        application_id, offer = await offered_application(keys[Role.AGENT])
        async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as http:
            chosen = await http.post(
                f"/v1/applications/{application_id}/choice", json={"offer_id": str(offer.offer_id), "option_id": "arrears-3"}
            )
            assert chosen.json()["state"] == "chosen", chosen.text
            return await send_written_plan(infrastructure, http, application_id)

    return make


@pytest.fixture
def send_again(infrastructure: Infrastructure, intake: str, keys: dict[Role, str]) -> Callable[[uuid.UUID], Awaitable[SentPlan]]:
    """The agent sends the written plan of an application again (a fresh code)."""

    async def again(application_id: uuid.UUID) -> SentPlan:
        async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as http:
            return await send_written_plan(infrastructure, http, application_id)

    return again
