"""*My options* on the running services (issue 21), with overdue-detection, notification and
plan-calculation on topics and a database of this module's own: an agent's application gets its
offer; the borrower's section shows every option of it, the recommended first, with the offer's
own figures; an option the offer does not have, or a form without its token, is refused and keeps
nothing; a wrong code chooses nothing; the right code makes the choice from the borrower's page,
audited as theirs — an option within the agent's authority has its written plan sent at once, one
needing a supervisor waits in the supervisor queue and is sent when a supervisor approves it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.application.borrower_help import BORROWER_PAGE
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.topics import PLANS_OFFERS
from tideover_testkit.fixtures import Servers
from tideover_testkit.journeys import file_application, hardship_application
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.processes import wait_until_ok

from .borrower_services import (
    System,
    booked,
    code_entered,
    code_sent,
    connected,
    csrf_of,
    opened,
    other,
    sign_link,
    started_system,
    watching,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NAMES = ("overdue_detection", "notification", "plan_calculation", "negotiation_intake")
OPTION = re.compile(r'<article class="card option[^"]*"[^>]*data-option-id="([^"]+)"')


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    loans = {"within": booked("B-001321"), "supervisor": booked("B-001654")}
    with started_system(servers, tmp_path_factory.mktemp("borrower-options"), NAMES, loans) as system:
        yield system


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    async with connected(system.infrastructure) as connection:
        yield connection


@pytest.fixture
async def events(system: System) -> AsyncIterator[TopicWatcher]:
    async with watching(system.infrastructure, PLANS_OFFERS) as watcher:
        yield watcher


async def offered(system: System, events: TopicWatcher, loan: LoanBooked, income: str) -> tuple[str, PlanOffered, str]:
    """An agent's application for the loan (`income` a month, 2,000.00 of expenses), offered: its
    id, the offer, and the agent's key."""
    key = await issue_key(system.infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    body = hardship_application(loan.loan_id, "Hours cut")
    body["hardship"]["monthly_income"] = {"amount": income, "currency": "CNY"}
    body["requested_options"] = []  # every option plan-calculation has
    async with httpx.AsyncClient(base_url=system.intake, headers={"X-API-Key": key}, timeout=10) as http:
        application_id = (await file_application(http, loan.loan_id, body=body))["application_id"]
    offer: PlanOffered = await events.wait_for_event("PlanOffered", lambda event: event.loan_id == loan.loan_id)
    await wait_until_ok(
        f"{system.intake}/v1/applications/{application_id}",
        accept=lambda answer: answer.json()["state"] == "offered",
        headers={"X-API-Key": key},
    )
    return application_id, offer, key


async def choose(browser: httpx.AsyncClient, offer_id: str, option_id: str, token: str | None = None) -> httpx.Response:
    page = await browser.get("/b/options")
    form = {"csrf": token if token is not None else csrf_of(page), "offer_id": offer_id, "option_id": option_id}
    return await browser.post("/b/options/choose", data=form)


async def entered(browser: httpx.AsyncClient, code: str) -> httpx.Response:
    return await code_entered(browser, "/b/options", code)


async def state_of(system: System, key: str, application_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.intake, headers={"X-API-Key": key}, timeout=10) as http:
        return dict((await http.get(f"/v1/applications/{application_id}")).json())


async def test_a_choice_within_authority_is_made_with_the_code_and_its_written_plan_sent(
    system: System, events: TopicWatcher, database: asyncpg.Connection
) -> None:
    loan = system.loans["within"]
    application_id, offer, key = await offered(system, events, loan, "9000.00")
    assert offer.recommended_option_id is not None
    recommended = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
    assert not recommended.needs_supervisor
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        section = await browser.get("/b/options")
        shown = OPTION.findall(section.text)
        assert sorted(shown) == sorted(option.option_id for option in offer.options)
        assert shown[0] == recommended.option_id
        card = section.text.split(f'data-option-id="{recommended.option_id}"', 1)[1].split("</article>", 1)[0]
        months = [Decimal(amount) for amount in re.findall(r'data-month-amount="([^"]+)"', card)]
        assert f'data-pays-per-month="{max(months)}"' in card

        unknown = await choose(browser, str(offer.offer_id), "holiday-99")
        assert unknown.status_code == 409
        forged = await choose(browser, str(offer.offer_id), recommended.option_id, token="not-the-form-token")
        assert forged.status_code == 403
        assert await database.fetchval("SELECT count(*) FROM borrower_changes WHERE loan_id = $1", loan.loan_id) == 0

        asked = await choose(browser, str(offer.offer_id), recommended.option_id)
        assert (asked.status_code, asked.headers["location"]) == (303, "/b/options?done=code_sent")
        code, request = await code_sent(events, loan)
        assert request.channel == "sms"
        wrong = await entered(browser, other(code))
        assert wrong.status_code == 422
        assert (await state_of(system, key, application_id))["state"] == "offered"

        right = await entered(browser, code)
        assert (right.status_code, right.headers["location"]) == (303, "/b/plan?done=plan_sent")
        plan = await browser.get(right.headers["location"])
        assert 'id="status-message"' in plan.text
    after = await state_of(system, key, application_id)
    assert (after["state"], after["chosen_by"], after["option_id"]) == ("sent", BORROWER_PAGE, recommended.option_id)
    sent = await events.wait_for_event("PlanSentToBorrower", lambda event: event.loan_id == loan.loan_id)
    assert sent.plan.option_id == recommended.option_id
    audited = await database.fetch(
        "SELECT agent_id, action FROM audit_log WHERE application_id = $1 AND agent_id = $2",
        uuid.UUID(application_id),
        BORROWER_PAGE,
    )
    assert [(row["agent_id"], row["action"]) for row in audited] == [(BORROWER_PAGE, "choose_on_borrower_page")]


async def test_a_choice_needing_a_supervisor_waits_and_is_sent_on_approval(system: System, events: TopicWatcher) -> None:
    loan = system.loans["supervisor"]
    # 252.50 a month to spare: nothing within an agent's authority is affordable, so plan-calculation
    # offers a supervisor's deeper waiver or a payment holiday too.
    application_id, offer, key = await offered(system, events, loan, "2252.50")
    deeper = next(option for option in offer.options if option.needs_supervisor)
    async with system.browser() as browser:
        await opened(browser, sign_link(loan))
        await choose(browser, str(offer.offer_id), deeper.option_id)
        code, _ = await code_sent(events, loan)
        right = await entered(browser, code)
        assert (right.status_code, right.headers["location"]) == (303, "/b/options?done=awaiting_approval")
        section = await browser.get(right.headers["location"])
        assert 'data-application-state="awaiting_approval"' in section.text
        assert 'action="/b/options/choose"' not in section.text
    assert (await state_of(system, key, application_id))["state"] == "awaiting_approval"
    assert events.events("PlanSentToBorrower", lambda event: event.loan_id == loan.loan_id) == []

    supervisor = await issue_key(system.infrastructure.database_url, "supervisor-042", Role.SUPERVISOR)
    async with httpx.AsyncClient(base_url=system.intake, headers={"X-API-Key": supervisor}, timeout=10) as http:
        approved = await http.post(
            f"/v1/applications/{application_id}/approval", json={"approved": True, "note": "hours cut: shown"}
        )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "sent"
    sent = await events.wait_for_event("PlanSentToBorrower", lambda event: event.loan_id == loan.loan_id)
    assert sent.plan.option_id == deeper.option_id
