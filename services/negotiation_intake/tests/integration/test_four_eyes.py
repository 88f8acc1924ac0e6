"""Maker-checker on the real service (issue 17, H2): the supervisor who opened the application
or chose the option beyond an agent's authority may not approve it (403 `four_eyes`, audited,
nothing changed); another supervisor may."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DEEPER = "waiver-arrears-3-supervisor"


async def supervisor_key(infrastructure: Infrastructure, name: str) -> str:
    return await issue_key(infrastructure.database_url, f"{name}-{uuid.uuid4().hex[:6]}", Role.SUPERVISOR)


async def _refused_then_approved_by_another(
    intake: str, application_id: uuid.UUID, maker: str, checker: str, auditor: str
) -> dict[str, Any]:
    """`maker` tries to approve: refused and audited, the application unchanged; `checker` then
    approves. Returns the refusal."""
    path = f"/v1/applications/{application_id}"
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        before = (await http.get(path, headers={"X-API-Key": maker})).json()
        refused = await http.post(
            f"{path}/approval", json={"approved": True, "note": "My own waiver"}, headers={"X-API-Key": maker}
        )
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        after = (await http.get(path, headers={"X-API-Key": maker})).json()
        assert (after["state"], after["version"], after["approved_by"]) == ("awaiting_approval", before["version"], None)

        entries = (
            await http.get(
                "/v1/audit", params={"application_id": str(application_id), "limit": 200}, headers={"X-API-Key": auditor}
            )
        ).json()["items"]
        assert [(entry["action"], entry["status"]) for entry in entries if entry["action"] == "approve"] == [("approve", 403)]

        approved = await http.post(
            f"{path}/approval", json={"approved": True, "note": "Proven unemployment"}, headers={"X-API-Key": checker}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "chosen"
    return dict(refused.json())


async def test_a_supervisor_may_not_approve_the_option_they_chose(
    infrastructure: Infrastructure, intake: str, keys: dict[Role, str], offered_application: Any
) -> None:
    maker, checker = await supervisor_key(infrastructure, "maker"), await supervisor_key(infrastructure, "checker")
    application_id, offer = await offered_application(keys[Role.AGENT])
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": maker}, timeout=10) as http:
        chosen = await http.post(
            f"/v1/applications/{application_id}/choice", json={"offer_id": str(offer.offer_id), "option_id": DEEPER}
        )
        assert chosen.json()["state"] == "awaiting_approval", chosen.text

    refusal = await _refused_then_approved_by_another(intake, application_id, maker, checker, auditor=checker)

    assert refusal["rule"] == "four_eyes"
    assert refusal["detail"].startswith("maker-")
    assert "chose this option" in refusal["detail"]


async def test_a_supervisor_may_not_approve_an_option_on_the_application_they_opened(
    infrastructure: Infrastructure, intake: str, keys: dict[Role, str], offered_application: Any
) -> None:
    maker, checker = await supervisor_key(infrastructure, "maker"), await supervisor_key(infrastructure, "checker")
    application_id, offer = await offered_application(maker)
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as http:
        chosen = await http.post(
            f"/v1/applications/{application_id}/choice", json={"offer_id": str(offer.offer_id), "option_id": DEEPER}
        )
        assert chosen.json()["state"] == "awaiting_approval", chosen.text

    refusal = await _refused_then_approved_by_another(intake, application_id, maker, checker, auditor=checker)

    assert refusal["rule"] == "four_eyes"
    assert "opened this application" in refusal["detail"]


async def test_the_maker_may_still_refuse_their_own_choice(
    infrastructure: Infrastructure, intake: str, offered_application: Any
) -> None:
    """A refusal sends the choice back and gives nobody anything: no second person needed."""
    maker = await supervisor_key(infrastructure, "maker")
    application_id, offer = await offered_application(maker)
    path = f"/v1/applications/{application_id}"
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": maker}, timeout=10) as http:
        await http.post(f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": DEEPER})
        refused = await http.post(f"{path}/approval", json={"approved": False, "note": "Chose the wrong one"})
        assert (refused.status_code, refused.json()["state"]) == (200, "offered")
