"""The borrower's confirmation endpoint on the real service (issue 17, L1): refused tries limited
per application and per client (429 with Retry-After, shared through Postgres), one answer for
every refusal, only "accepted" for the right code, and Idempotency-Keys per application.

The service trusts X-Forwarded-For from 127.0.0.1 (uvicorn's default, as behind a local proxy):
each test speaks from client addresses of its own."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.domain.borrower_limits import PER_APPLICATION, PER_CLIENT
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CONFIRMATIONS = "/v1/borrower/confirmations"
NOT_CONFIRMED = {
    "type": "about:blank",
    "title": "Not confirmed",
    "status": 422,
    "detail": "the code does not confirm a written plan of this application: check it, or ask for the plan to be sent again",
    "rule": "confirmation_code",
}


def client_address() -> str:
    """An address of the documentation range (RFC 5737) no other test speaks from."""
    number = uuid.uuid4().int
    return f"198.51.{number % 256}.{number // 256 % 254 + 1}"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def confirm(
    http: httpx.AsyncClient, application_id: uuid.UUID, code: str, client: str, key: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": client, **({"Idempotency-Key": key} if key else {})}
    return await http.post(CONFIRMATIONS, json={"application_id": str(application_id), "code": code}, headers=headers)


async def test_every_refusal_is_the_same_answer_and_the_right_code_only_accepted(
    intake: str, keys: dict[Role, str], plan_sent: Any, offered_application: Any
) -> None:
    sent = await plan_sent()
    offered, _ = await offered_application(keys[Role.AGENT])  # in another state than sent
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        refusals = [
            await confirm(http, uuid.uuid4(), sent.code, client_address()),  # no such application
            await confirm(http, offered, sent.code, client_address()),  # nothing sent to confirm
            await confirm(http, sent.application_id, other_code(sent.code), client_address()),  # a wrong code
        ]
        accepted = await confirm(http, sent.application_id, sent.code, client_address())
        again = await confirm(http, sent.application_id, sent.code, client_address())  # already accepted
        after = await confirm(http, sent.application_id, other_code(sent.code), client_address())

    for refused in [*refusals, after]:
        assert (refused.status_code, refused.json()) == (422, NOT_CONFIRMED)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "etag" not in refused.headers
    assert {tuple(sorted(refused.headers.keys())) for refused in [*refusals, after]} == {tuple(sorted(after.headers.keys()))}
    assert accepted.status_code == again.status_code == 200
    assert accepted.json() == again.json() == {"application_id": str(sent.application_id), "state": "accepted"}
    assert "etag" not in accepted.headers


async def test_refused_tries_for_an_application_are_limited_whatever_the_code(
    intake: str, keys: dict[Role, str], plan_sent: Any, infrastructure: Infrastructure
) -> None:
    sent = await plan_sent()
    wrong = other_code(sent.code)
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        # From as many addresses as tries: the application's limit, not a client's.
        answers = [(await confirm(http, sent.application_id, wrong, client_address())).status_code for _ in range(10)]
        limited = await confirm(http, sent.application_id, sent.code, client_address())  # even the right code
        unknown = [(await confirm(http, uuid.uuid4(), wrong, client_address())).status_code for _ in range(2)]
        audit = await http.get(
            "/v1/audit",
            params={"application_id": str(sent.application_id), "limit": 200},
            headers={"X-API-Key": keys[Role.SUPERVISOR]},
        )

    assert PER_APPLICATION.tries == 10
    assert answers == [422] * 10
    assert limited.status_code == 429, limited.text
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["rule"] == "borrower_tries_per_application"
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= PER_APPLICATION.window.total_seconds()
    assert limited.json()["retry_after"] == retry_after
    assert unknown == [422, 422]  # other applications are not held back
    tries = [(entry["action"], entry["status"]) for entry in audit.json()["items"] if entry["agent_id"] == "borrower"]
    # The refused tries are in the audit log; a try beyond the limit is not (a flood would fill it):
    # the door keeps it in its bounded log of refused requests.
    assert tries == [("confirm_via_borrower_confirm_endpoint", 422)] * 10
    connection = await asyncpg.connect(infrastructure.database_url)
    try:
        kept = await connection.fetchval(
            "SELECT count(*) FROM negotiation_intake.refused_requests"
            " WHERE status = 429 AND reason = 'borrower_tries_per_application' AND path = '/v1/borrower/confirmations'"
        )
    finally:
        await connection.close()
    assert kept >= 1


async def test_refused_tries_from_one_client_are_limited_across_applications(intake: str) -> None:
    guesser, bystander = client_address(), client_address()
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        answers = [(await confirm(http, uuid.uuid4(), "123456", guesser)).status_code for _ in range(PER_CLIENT.tries)]
        limited = await confirm(http, uuid.uuid4(), "123456", guesser)
        elsewhere = await confirm(http, uuid.uuid4(), "123456", bystander)

    assert answers == [422] * PER_CLIENT.tries
    assert (limited.status_code, limited.json()["rule"]) == (429, "borrower_tries_per_client")
    assert 0 < int(limited.headers["retry-after"]) <= PER_CLIENT.window.total_seconds()
    assert elsewhere.status_code == 422


async def test_a_right_code_does_not_count_against_the_client(intake: str, plan_sent: Any) -> None:
    """A borrower with the right code is never held back by others guessing from their address
    (a carrier's NAT): only refused tries count."""
    shared = client_address()
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        refused = [(await confirm(http, uuid.uuid4(), "123456", shared)).status_code for _ in range(PER_CLIENT.tries - 1)]
        sent = await plan_sent()
        accepted = await confirm(http, sent.application_id, sent.code, shared)
        last = await confirm(http, uuid.uuid4(), "123456", shared)  # the limit's last refused try
        limited = await confirm(http, uuid.uuid4(), "123456", shared)

    assert refused == [422] * (PER_CLIENT.tries - 1)
    assert accepted.status_code == 200, accepted.text
    assert (last.status_code, limited.status_code) == (422, 429)


async def test_idempotency_keys_are_each_applications_own(intake: str, plan_sent: Any) -> None:
    first, second = await plan_sent(), await plan_sent()
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        wrong = await confirm(http, first.application_id, other_code(first.code), client_address(), key="confirm-1")
        # Another borrower happens to choose the same key: theirs is another key space.
        theirs = await confirm(http, second.application_id, second.code, client_address(), key="confirm-1")
        replayed = await confirm(http, first.application_id, other_code(first.code), client_address(), key="confirm-1")
        reused = await confirm(http, first.application_id, first.code, client_address(), key="confirm-1")
        accepted = await confirm(http, first.application_id, first.code, client_address(), key="confirm-2")

    assert (wrong.status_code, theirs.status_code) == (422, 200), theirs.text
    assert theirs.json() == {"application_id": str(second.application_id), "state": "accepted"}
    assert (replayed.status_code, replayed.json()) == (422, wrong.json())  # the first answer, again
    assert (reused.status_code, reused.json()["rule"]) == (422, "idempotency_key_reuse")
    assert accepted.json()["state"] == "accepted"
