"""One-time codes on the real service (issue 17, M4 and L1): kept only as an HMAC keyed with the
server's secret, not in the outbox once published, and sent at most SENDS_A_DAY times a day."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.domain.application_state import SENDS_A_DAY, code_matches
from negotiation_intake.entrypoints.code_secret import DEVELOPMENT_CODE_SECRET
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

#: The service runs with TIDEOVER_ENV=development and no TIDEOVER_CODE_SECRET (the test harness).
SECRET = DEVELOPMENT_CODE_SECRET.encode()


@pytest.fixture
async def database(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(infrastructure.database_url, server_settings={"search_path": "negotiation_intake"})
    yield connection
    await connection.close()


async def test_a_code_is_kept_as_an_hmac_that_does_not_verify_without_the_secret(
    database: asyncpg.Connection, plan_sent: Any
) -> None:
    sent = await plan_sent()
    application = str(sent.application_id)
    stored = await database.fetchval("SELECT code_hash FROM applications WHERE application_id = $1", sent.application_id)

    assert code_matches(SECRET, application, sent.code, stored)
    # What a copy of the table gives a guesser who tries the million codes as the hash was made
    # before (keyed with the application's id), or with any secret but the server's: nothing.
    keyed_with_the_id = {
        hmac.new(application.encode(), f"{n:06d}".encode(), hashlib.sha256).hexdigest() for n in range(1_000_000)
    }
    assert stored not in keyed_with_the_id
    assert not code_matches(b"", application, sent.code, stored)
    assert not code_matches(b"a guess at the server's secret", application, sent.code, stored)


async def test_the_written_plan_leaves_the_outbox_blank_once_published(database: asyncpg.Connection, plan_sent: Any) -> None:
    sent = await plan_sent()  # returns once the PlanSentToBorrower, code and all, is on Kafka

    query = "SELECT * FROM outbox WHERE event_id = $1"
    async with asyncio.timeout(10):  # marked sent (and blanked) in the commit after publishing
        while (row := await database.fetchrow(query, sent.event_id)) is None or row["sent_at"] is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    assert (row["event_type"], row["secret"], row["value"]) == ("PlanSentToBorrower", True, b"")
    assert (
        await database.fetchval(
            "SELECT count(*) FROM outbox WHERE position($1::bytea IN value) > 0 AND event_type = 'PlanSentToBorrower'",
            f'"confirmation_code":"{sent.code}"'.encode(),
        )
        == 0
    )
    others = await database.fetchval("SELECT count(*) FROM outbox WHERE event_type <> 'PlanSentToBorrower' AND value = ''")
    assert others == 0  # only the secret is blanked


async def test_the_written_plan_is_sent_at_most_three_times_a_day(
    intake: str, keys: dict[Role, str], plan_sent: Any, send_again: Any
) -> None:
    sent = await plan_sent()
    codes = [sent.code] + [(await send_again(sent.application_id)).code for _ in range(SENDS_A_DAY - 1)]
    assert SENDS_A_DAY == 3

    path = f"/v1/applications/{sent.application_id}"
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10) as agent:
        before = (await agent.get(path)).json()
        refused = await agent.post(f"{path}/sending")
        assert (refused.status_code, refused.json()["rule"]) == (422, "written_plan_resends"), refused.text
        assert "sent 3 times on" in refused.json()["detail"]
        after = (await agent.get(path)).json()
        assert (after["version"], after["code_tries_left"]) == (before["version"], 5)

        # The last code sent confirms the plan; an earlier one no longer does (unless, one time in
        # a million, it is the same).
        if codes[0] != codes[-1]:
            stale = await agent.post(f"{path}/confirmation", json={"code": codes[0]})
            assert (stale.status_code, stale.json()["tries_left"]) == (422, 4)
        confirmed = await agent.post(f"{path}/confirmation", json={"code": codes[-1]})
        assert confirmed.json()["state"] == "accepted", confirmed.text
