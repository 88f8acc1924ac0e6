"""The whole path on the real Kafka and Postgres: create, upload, verify, submit →
NegotiationRequested; an offer arrives; the borrower chooses a waiver beyond the agent's
authority; a supervisor approves it; the written plan and code are sent; five wrong codes lock
it; sent again, the right code → PlanAccepted. With the audit log, idempotency and ETags."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from tideover_contracts.envelope import wrap
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.examples import golden_events
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import file_application, hardship_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import wait_until_ok

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def offer_for(application_id: uuid.UUID, loan_id: uuid.UUID) -> Any:
    """An offer with a plain option and a deeper waiver that needs a supervisor."""
    offer = next(event for event in golden_events() if type(event).__name__ == "PlanOffered")
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


Client = httpx.AsyncClient
Mine = Callable[[Any], bool]


async def test_from_application_to_accepted_plan(
    infrastructure: Infrastructure, intake: str, keys: dict[Role, str], kafka: KafkaTestClient, overdue_loan: Any
) -> None:
    agent = httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10)
    supervisor = httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.SUPERVISOR]}, timeout=10)
    borrower = httpx.AsyncClient(base_url=intake, timeout=10)
    topics = (NEGOTIATION_APPLICATIONS.name,)
    async with (
        agent,
        supervisor,
        borrower,
        TopicWatcher(infrastructure.bootstrap_servers, topics, infrastructure.topic_prefix) as watcher,
    ):
        loan_id = await overdue_loan()
        submitted = await file_application(agent, loan_id)
        application_id = uuid.UUID(submitted["application_id"])
        path = f"/v1/applications/{application_id}"
        ours = lambda event: event.application_id == application_id  # noqa: E731

        requested = await watcher.wait_for_event("NegotiationRequested", ours)
        assert requested.hardship.reason.value == "unemployment"
        [proof] = requested.hardship.evidence
        assert (proof.kind.value, proof.verified) == ("unemployment_proof", True)

        offer = offer_for(application_id, loan_id)
        await kafka.publish(wrap(offer, producer="plan-calculation", occurred_at=datetime.now(UTC)))
        offered = await wait_until_ok(
            f"{intake}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": keys[Role.AGENT]}
        )
        assert [option["option_id"] for option in offered.json()["offers"][0]["options"]] == [
            "arrears-3",
            "waiver-arrears-3-supervisor",
        ]
        await _choose_the_deeper_waiver_and_approve_it(agent, supervisor, watcher, path, offer, ours)
        code = await _send_and_lock_the_code(agent, watcher, path, offer, ours)
        await _send_again_and_confirm(agent, borrower, watcher, path, code, ours)
        await _every_mutation_is_audited(agent, supervisor, application_id)


async def _choose_the_deeper_waiver_and_approve_it(
    agent: Client, supervisor: Client, watcher: TopicWatcher, path: str, offer: Any, ours: Mine
) -> None:
    """The borrower chooses the deeper waiver: it waits for a supervisor, who is not the agent."""
    chosen = await agent.post(
        f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": "waiver-arrears-3-supervisor"}
    )
    assert chosen.json()["state"] == "awaiting_approval", chosen.text
    assert (await watcher.wait_for_event("PlanOptionChosen", ours)).needs_supervisor
    too_early = await agent.post(f"{path}/sending")
    assert (too_early.status_code, too_early.json()["current_state"]) == (409, "awaiting_approval")
    assert (await agent.post(f"{path}/approval", json={"approved": True, "note": "mine"})).status_code == 403
    queue = (await supervisor.get("/v1/supervisor-queue", params={"limit": 200})).json()
    assert path.rsplit("/", 1)[1] in [item["application_id"] for item in queue["items"]]
    approved = await supervisor.post(f"{path}/approval", json={"approved": True, "note": "Proven unemployment"})
    assert approved.json()["state"] == "chosen", approved.text
    assert approved.json()["approved_by"].startswith("supervisor-")


async def _send_and_lock_the_code(agent: Client, watcher: TopicWatcher, path: str, offer: Any, ours: Mine) -> str:
    """The written plan goes out with a code; five wrong tries lock it. Returns the code."""
    sent = await agent.post(f"{path}/sending")
    assert sent.json()["state"] == "sent", sent.text
    written = await watcher.wait_for_event("PlanSentToBorrower", ours)
    code: str = written.confirmation_code
    # The written plan states what the chosen option asks for (DESIGN.md §3a): its effect, the
    # offer's basis date, the regular installments that continue beside it, and its rate.
    chosen_option = offer.options[1]
    assert (written.plan.effect, written.plan.basis_business_date) == (PlanEffect.ARREARS, offer.basis_business_date)
    assert written.plan.continuing_installments == chosen_option.continuing_installments != ()
    assert written.plan.plan_rate == chosen_option.plan_rate is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for tries_left in (4, 3, 2, 1, 0):
        refused = await agent.post(f"{path}/confirmation", json={"code": wrong})
        assert (refused.status_code, refused.json()["tries_left"]) == (422, tries_left)
    locked = await agent.post(f"{path}/confirmation", json={"code": code})
    assert (locked.status_code, locked.json()["rule"]) == (422, "code_locked")
    return code


async def _send_again_and_confirm(
    agent: Client, borrower: Client, watcher: TopicWatcher, path: str, code: str, ours: Mine
) -> None:
    """Sent again: a fresh code, which the borrower enters on the confirm endpoint."""
    assert (await agent.post(f"{path}/sending")).json()["state"] == "sent"
    fresh = await watcher.wait_for_event("PlanSentToBorrower", lambda e: ours(e) and e.confirmation_code != code)
    application_id = path.rsplit("/", 1)[1]
    confirmed = await borrower.post(
        "/v1/borrower/confirmations", json={"application_id": application_id, "code": fresh.confirmation_code}
    )
    assert confirmed.json()["state"] == "accepted", confirmed.text
    accepted = await watcher.wait_for_event("PlanAccepted", ours)
    assert (accepted.option_id, accepted.confirmed_via.value) == ("waiver-arrears-3-supervisor", "borrower_confirm_endpoint")


async def _every_mutation_is_audited(agent: Client, supervisor: Client, application_id: uuid.UUID) -> None:
    """Every mutation is in the audit log, with the state before and after; agents cannot read it."""
    assert (await agent.get("/v1/audit")).status_code == 403
    entries = (await supervisor.get("/v1/audit", params={"application_id": str(application_id), "limit": 200})).json()
    actions = [(entry["action"], entry["status"]) for entry in entries["items"]]
    assert actions[:4] == [("open_application", 201), ("upload_evidence", 201), ("review_evidence", 200), ("submit", 200)]
    approval = next(entry for entry in entries["items"] if entry["action"] == "approve")
    assert (approval["before"]["state"], approval["after"]["state"]) == ("awaiting_approval", "chosen")
    assert ("send_written_plan", 409) in actions  # refused requests are audited too
    assert ("confirm_via_recorded_call", 422) in actions


async def test_idempotent_posts_and_stale_versions(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as agent:
        loan_id = await overdue_loan()
        body = hardship_application(loan_id)
        first = await agent.post("/v1/applications", json=body, headers={"Idempotency-Key": "same"})
        again = await agent.post("/v1/applications", json=body, headers={"Idempotency-Key": "same"})
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()  # one application, the first answer
        other = await agent.post("/v1/applications", json={**body, "requested_options": []}, headers={"Idempotency-Key": "same"})
        assert (other.status_code, other.json()["rule"]) == (422, "idempotency_key_reuse")

        path = f"/v1/applications/{first.json()['application_id']}"
        etag = (await agent.get(path)).headers["etag"]
        withdrawn = await agent.post(f"{path}/withdrawal", json={"reason": "Paid in full"}, headers={"If-Match": etag})
        assert withdrawn.status_code == 200, withdrawn.text
        stale = await agent.post(f"{path}/submit", headers={"If-Match": etag})
        assert (stale.status_code, stale.json()["current_version"]) == (412, withdrawn.json()["version"])
        invalid = await agent.post(f"{path}/submit", headers={"If-Match": withdrawn.headers["etag"]})
        assert (invalid.status_code, invalid.json()["current_state"]) == (409, "withdrawn")


async def test_submission_needs_verified_proof_for_unemployment(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as agent:
        application = (await agent.post("/v1/applications", json=hardship_application(await overdue_loan()))).json()
        refused = await agent.post(f"/v1/applications/{application['application_id']}/submit")
        assert (refused.status_code, refused.json()["rule"]) == (422, "proof_required")
        assert (await agent.get(f"/v1/applications/{application['application_id']}")).json()["state"] == "draft"
