"""One negotiation per loan at a time (DESIGN.md §3a) on the running service: a second application
while one is open, or while a plan is in force, is refused with 409 naming the rule and what stands
in the way, and audited; once the first ends, a new one opens."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.domain.access import Role
from tideover_contracts.envelope import Event, wrap
from tideover_contracts.examples import golden_events
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import hardship_application
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import wait_until_ok

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "negotiation_intake" / "migrations"


def golden(event_type: str, **changes: Any) -> Any:
    return next(event for event in golden_events() if type(event).__name__ == event_type).model_copy(update=changes)


async def publish(kafka: KafkaTestClient, event: Event) -> None:
    await kafka.publish(wrap(event, producer="test", occurred_at=datetime.now(UTC)))


async def audited_refusals(auditor: httpx.AsyncClient, agent_id: str) -> list[dict[str, Any]]:
    """The agent's refused attempts to open an application, from the whole audit log."""
    entries: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = (await auditor.get("/v1/audit", params={"limit": 200, **({"after": after} if after else {})})).json()
        entries += [item for item in page["items"] if item["agent_id"] == agent_id and item["action"] == "open_application"]
        after = page["after"]
        if after is None:
            return [entry for entry in entries if entry["status"] == 409]


async def test_a_second_application_waits_for_the_first_to_end(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    agent = httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=10)
    auditor = httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.ADMIN]}, timeout=10)
    async with agent, auditor:
        loan_id = await overdue_loan()
        first = await agent.post("/v1/applications", json=hardship_application(loan_id))
        assert first.status_code == 201, first.text
        first_id = first.json()["application_id"]

        second = await agent.post("/v1/applications", json=hardship_application(loan_id, "Asked again"))
        assert second.status_code == 409, second.text
        assert second.headers["content-type"] == "application/problem+json"
        refusal = second.json()
        assert (refusal["rule"], refusal["application_id"], refusal["application_state"]) == (
            "application_open",
            first_id,
            "draft",
        )
        assert first_id in refusal["detail"]
        # Refused, so nothing was opened; and the refusal is in the audit log like every other.
        applications = (await agent.get(f"/v1/loans/{loan_id}")).json()["applications"]
        assert [application["application_id"] for application in applications] == [first_id]
        agent_id = (await agent.get(f"/v1/applications/{first_id}")).json()["agent_id"]
        [entry] = await audited_refusals(auditor, agent_id)
        assert (entry["path"], entry["before"], entry["after"]) == ("/v1/applications", None, None)

        withdrawn = await agent.post(f"/v1/applications/{first_id}/withdrawal", json={"reason": "Opened by mistake"})
        assert withdrawn.json()["state"] == "withdrawn", withdrawn.text
        third = await agent.post("/v1/applications", json=hardship_application(loan_id, "The real one"))
        assert third.status_code == 201, third.text


async def test_no_application_while_a_plan_is_in_force(
    intake: str, keys: dict[Role, str], overdue_loan: Any, kafka: KafkaTestClient
) -> None:
    headers = {"X-API-Key": keys[Role.AGENT]}
    async with httpx.AsyncClient(base_url=intake, headers=headers, timeout=10) as agent:
        loan_id, plan_id = await overdue_loan(), uuid.uuid4()
        await publish(kafka, golden("PlanActivated", loan_id=loan_id, plan_id=plan_id))
        await wait_until_ok(
            f"{intake}/v1/loans/{loan_id}", accept=lambda r: (r.json()["plan"] or {}).get("status") == "active", headers=headers
        )
        refused = await agent.post("/v1/applications", json=hardship_application(loan_id))
        assert (refused.status_code, refused.json()["rule"], refused.json()["plan_id"]) == (409, "plan_active", str(plan_id))

        await publish(kafka, golden("PlanBroken", loan_id=loan_id, plan_id=plan_id))
        await wait_until_ok(
            f"{intake}/v1/loans/{loan_id}", accept=lambda r: r.json()["plan"]["status"] == "broken", headers=headers
        )
        opened = await agent.post("/v1/applications", json=hardship_application(loan_id))
        assert opened.status_code == 201, opened.text


async def test_the_console_shows_the_same_refusal_on_the_loan_page(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    loan_id = await overdue_loan()
    async with httpx.AsyncClient(base_url=f"{intake}/console", timeout=10) as browser:
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get("/sign-in")).text)
        assert csrf is not None
        signed_in = await browser.post("/sign-in", data={"csrf": csrf.group(1), "api_key": keys[Role.AGENT]})
        assert signed_in.status_code == 303
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get(f"/loans/{loan_id}")).text)  # a new session
        assert csrf is not None
        form = {
            "csrf": csrf.group(1),
            "reason": "family_emergency",
            "description": "A parent's operation",
            "monthly_income": "4000",
            "essential_expenses": "2000",
        }
        opened = await browser.post(f"/loans/{loan_id}/applications", data=form)
        assert opened.status_code == 303, opened.text
        first_id = opened.headers["location"].rsplit("/", 1)[-1]

        refused = await browser.post(f"/loans/{loan_id}/applications", data=form)
        assert refused.status_code == 409
        assert 'role="alert"' in refused.text
        assert f"This loan already has an open application ({first_id})" in refused.text
        # No second form to fill in: the page says why, and leads to the open application.
        assert 'id="no-new-application"' in refused.text
        assert f'id="continue-application" href="/console/applications/{first_id}"' in refused.text
        assert f'action="/console/loans/{loan_id}/applications"' not in refused.text


@pytest.fixture
async def store(infrastructure: Infrastructure) -> AsyncIterator[PostgresIntakeStore]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "intake") as pool, pool.acquire() as connection:
        yield PostgresIntakeStore(connection)


async def test_a_plan_that_ended_stays_ended_whichever_topic_is_read_first(store: PostgresIntakeStore) -> None:
    """A plan's end comes on plans.tracking.v1, its activation on plans.offers.v2: read
    independently, the end may be taken in first. Either way the plan is not in force."""
    overdue = golden("LoanBecameOverdue", loan_id=uuid.uuid4())
    loan_id = overdue.loan_id
    await store.upsert_loan(loan_id, "B-000123", True, overdue.business_date, overdue.model_dump_json())
    first, second = uuid.uuid4(), uuid.uuid4()
    await store.set_plan(loan_id, first, "completed")
    await store.set_plan(loan_id, first, "active")
    assert await store.active_plan(loan_id) is None
    view = await store.loan(loan_id)
    assert view is not None
    assert (view.plan_id, view.plan_status) == (first, "completed")

    # The next plan is in force; a late word of an earlier plan changes neither it nor the view.
    await store.set_plan(loan_id, second, "active")
    await store.set_plan(loan_id, first, "broken")
    assert await store.active_plan(loan_id) == second
    view = await store.loan(loan_id)
    assert view is not None
    assert (view.plan_id, view.plan_status) == (second, "active")
    await store.set_plan(loan_id, second, "broken")
    assert await store.active_plan(loan_id) is None
