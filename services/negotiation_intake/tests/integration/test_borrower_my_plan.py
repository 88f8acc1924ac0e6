"""*My plan* on the running services (issue 21, deliver 2), with overdue-detection, plan-calculation
and repayment-tracking on topics and a database of this module's own: an agent takes the
borrower's application to a written plan sent; the borrower opens their link and reads it on
*My plan*, the months and totals as PlanSentToBorrower carries them; a wrong code — or the right
one once expired — gets the one refusal of POST /v1/borrower/confirmations, and the code typed is
never shown again; the right code confirms it through the same path (audited, the tries counted,
a form sent twice one try); then the plan is activated, its first month paid, and the page's
months paid, next month and what is left are repayment-tracking's. Beyond the refused tries an
application may have, 429 with Retry-After."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.adapters.idempotency import fingerprint
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.borrower_limits import PER_APPLICATION
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.examples import loan_booked
from tideover_testkit.fixtures import Servers
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import wait_until_ok

from .borrower_services import ALERT, CLOSED_ON, CSRF, NOW, System, connected, other, sign_link, started_system

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ONCE = re.compile(r'name="once" value="([^"]+)"')
CONFIRMATION = "/b/plan/confirmation"
#: Intake and beside it the book of record, the offers and plans, and the plans' months (intake is
#: told where tracking answers).
NAMES = ("overdue_detection", "plan_calculation", "repayment_tracking", "negotiation_intake")


@pytest.fixture(scope="module")
def system(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    # A loan for each test, overdue since CLOSED_ON closed.
    loans = {name: loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15)) for name in ("journey", "forged")}
    with started_system(servers, tmp_path_factory.mktemp("borrower-my-plan"), NAMES, loans) as system:
        yield system


def form_of(page: httpx.Response) -> dict[str, str]:
    """The confirmation form's hidden fields as the page gave them."""
    csrf, once = CSRF.search(page.text), ONCE.search(page.text)
    assert csrf is not None, page.text[:300]
    assert once is not None, page.text[:300]
    return {"csrf": csrf.group(1), "once": once.group(1)}


async def plan_sent(system: System, watcher: TopicWatcher, loan: LoanBooked) -> PlanSentToBorrower:
    """What an agent does on the API: the application with its proof, the first option of the
    offer plan-calculation makes, the written plan sent (its event carries the code)."""
    key = await issue_key(system.infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    headers = {"X-API-Key": key}
    async with httpx.AsyncClient(base_url=system.intake, headers=headers, timeout=10) as http:
        application_id = (await file_application(http, loan.loan_id))["application_id"]
        offer = await watcher.wait_for_event("PlanOffered", ours)
        await wait_until_ok(
            f"{system.intake}/v1/applications/{application_id}",
            accept=lambda answer: answer.json()["state"] == "offered",
            headers=headers,
        )
        choice = {"offer_id": str(offer.offer_id), "option_id": offer.options[0].option_id}
        assert (await http.post(f"/v1/applications/{application_id}/choice", json=choice)).json()["state"] == "chosen"
        assert (await http.post(f"/v1/applications/{application_id}/sending")).json()["state"] == "sent"
    sent: PlanSentToBorrower = await watcher.wait_for_event("PlanSentToBorrower", ours)
    return sent


def the_written_plan_is_the_one_sent(page: httpx.Response, sent: PlanSentToBorrower) -> None:
    months = sent.plan.months()
    shown = re.findall(r'data-month="(\d+)" data-due="([\d-]+)" data-month-total="([\d.]+)"', page.text)
    assert shown == [(str(m.line.sequence), m.line.due_date.isoformat(), str(m.total.amount)) for m in months]
    assert f'data-total-payable="{sent.plan.total_payable.amount}"' in page.text
    total = sum((month.total.amount for month in months), Decimal(0))
    assert f'data-total-with-regular="{total}"' in page.text
    assert f'data-application="{sent.application_id}" data-accepted="no"' in page.text
    assert sent.confirmation_code not in page.text


async def refusals(system: System, database: asyncpg.Connection, browser: httpx.AsyncClient, sent: PlanSentToBorrower) -> None:
    """A wrong code, then the right one once expired: the one refusal, the code never shown again,
    each try audited and counted as the API's are."""
    code, application_id = sent.confirmation_code, sent.application_id
    wrong = await browser.post(CONFIRMATION, data={**form_of(await browser.get("/b/plan")), "code": other(code)})
    expires = await database.fetchval("SELECT code_expires_at FROM applications WHERE application_id = $1", application_id)
    await database.execute(
        "UPDATE applications SET code_expires_at = $2 WHERE application_id = $1", application_id, NOW - timedelta(hours=1)
    )
    try:
        expired = await browser.post(CONFIRMATION, data={**form_of(await browser.get("/b/plan")), "code": code})
    finally:
        await database.execute("UPDATE applications SET code_expires_at = $2 WHERE application_id = $1", application_id, expires)

    refused = {ALERT.findall(answer.text)[0] for answer in (wrong, expired)}
    assert (wrong.status_code, expired.status_code) == (422, 422)
    assert refused == {Words("zh-CN")("not_confirmed")}  # the one refusal, whatever the reason, in the borrower's language
    for answer, typed in ((wrong, other(code)), (expired, code)):
        assert typed not in answer.text
        assert f'data-application="{application_id}" data-accepted="no"' in answer.text  # the plan, still to confirm
    assert await database.fetchval("SELECT code_tries FROM applications WHERE application_id = $1", application_id) == 1
    subject = f"{PER_APPLICATION.scope}:{application_id}"
    assert await database.fetchval("SELECT tries FROM borrower_tries WHERE subject = $1", subject) == 2
    audited = await database.fetch(
        "SELECT action, path, status, agent_id FROM audit_log WHERE application_id = $1 AND path = $2 ORDER BY id",
        application_id,
        CONFIRMATION,
    )
    assert [(row["action"], row["status"], row["agent_id"]) for row in audited] == [
        ("confirm_via_borrower_confirm_endpoint", 422, "borrower")
    ] * 2


async def confirmed(database: asyncpg.Connection, browser: httpx.AsyncClient, sent: PlanSentToBorrower) -> httpx.Response:
    """The right code, sent twice with one form (a double tap): accepted once, then the page."""
    form = {**form_of(await browser.get("/b/plan")), "code": f" {sent.confirmation_code[:3]} {sent.confirmation_code[3:]} "}
    first, again = await browser.post(CONFIRMATION, data=form), await browser.post(CONFIRMATION, data=form)
    for answer in (first, again):
        assert (answer.status_code, answer.headers["location"]) == (303, "/b/plan?done=confirmed")
    state = await database.fetchval("SELECT state FROM applications WHERE application_id = $1", sent.application_id)
    assert state == "accepted"
    rows = await database.fetch(
        "SELECT status FROM audit_log WHERE application_id = $1 AND path = $2 AND status = 200", sent.application_id, CONFIRMATION
    )
    assert len(rows) == 1  # the second is the first's answer again (its Idempotency-Key), not a second change
    scoped = f"borrower:{sent.application_id}:%"  # entrypoints/borrower.py borrower_of: the API's scope
    kept = await database.fetch("SELECT request_hash FROM idempotency_keys WHERE key LIKE $1", scoped)
    in_clear = f"application_id={sent.application_id}&code={sent.confirmation_code}".encode()
    assert kept  # the form's key, and a fingerprint that is not a plain digest of the code (a million guesses away)
    assert fingerprint("POST", CONFIRMATION, in_clear) not in {row["request_hash"] for row in kept}
    return await browser.get(first.headers["location"])


async def first_month_paid(system: System, kafka: KafkaTestClient, watcher: TopicWatcher, loan: LoanBooked) -> dict[str, Any]:
    """The plan activated, its first month paid as upstream reports it; repayment-tracking's plan."""
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    activated = await watcher.wait_for_event("PlanActivated", ours)
    await wait_until_ok(f"{system.urls['repayment_tracking']}/v1/plans/{activated.plan_id}")
    await wait_until_ok(
        f"{system.urls['overdue_detection']}/v1/loans/{loan.loan_id}/overdue-status",
        accept=lambda answer: answer.json()["status"] == "under_plan",
    )
    payment = RepaymentReceived(
        loan_id=loan.loan_id,
        payment_id=f"PAY-{uuid.uuid4()}",
        amount=activated.months()[0].total,
        received_at=datetime(2027, 6, 19, 2, tzinfo=UTC),
        value_date=CLOSED_ON + timedelta(days=1),  # the day after the plan took effect: the plan's to judge
    )
    await kafka.publish(wrap(payment, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
    await watcher.wait_for_event("PlanInstallmentPaid", ours)
    answer = await wait_until_ok(
        f"{system.urls['repayment_tracking']}/v1/loans/{loan.loan_id}/plans",
        accept=lambda answer: answer.json()["plans"][-1]["installments"][0]["status"] == "paid",
    )
    plan: dict[str, Any] = answer.json()["plans"][-1]
    return plan


def the_progress_is_repayment_trackings(page: httpx.Response, plan: dict[str, Any]) -> None:
    months = plan["installments"]
    paid = [month for month in months if month["status"] == "paid"]
    following = next(month for month in months if month["status"] != "paid")
    left = sum((Decimal(month["left"]["amount"]) for month in months), Decimal(0))
    assert 'data-plan-status="active"' in page.text
    assert f'data-months-paid="{len(paid)}" data-months="{len(months)}"' in page.text
    assert len(paid) == 1
    assert (
        f'data-next-due="{following["due_date"]}" data-next-amount="{following["amount"]["amount"]}"'
        f' data-next-left="{following["left"]["amount"]}"'
    ) in page.text
    assert f'data-left="{left}"' in page.text
    assert f'data-paid="{plan["paid"]["amount"]}"' in page.text


async def test_the_written_plan_is_read_and_confirmed_on_the_page_then_its_progress_is_trackings(system: System) -> None:
    infrastructure, loan = system.infrastructure, system.loans["journey"]
    async with (
        connected(infrastructure) as database,
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
        system.browser() as browser,
    ):
        entry = await browser.get(f"/b/{sign_link(loan)}")
        assert entry.status_code == 303
        assert 'href="/b/plan"' not in (await browser.get("/b/")).text  # nothing to show yet
        sent = await plan_sent(system, watcher, loan)

        my_loan = await browser.get("/b/")
        assert 'href="/b/plan"' in my_loan.text
        written = await browser.get("/b/plan")
        assert written.status_code == 200
        the_written_plan_is_the_one_sent(written, sent)
        await refusals(system, database, browser, sent)
        accepted = await confirmed(database, browser, sent)
        assert 'id="status-message" role="status"' in accepted.text
        assert sent.confirmation_code not in accepted.text

        plan = await first_month_paid(system, kafka, watcher, loan)
        the_progress_is_repayment_trackings(await browser.get("/b/plan"), plan)

        await database.execute(  # as many refused tries as the application may have, made already
            "UPDATE borrower_tries SET tries = $2 WHERE subject = $1",
            f"{PER_APPLICATION.scope}:{sent.application_id}",
            PER_APPLICATION.tries,
        )
        over = await browser.post(CONFIRMATION, data={**form_of(written), "code": sent.confirmation_code})
        assert over.status_code == 429
        assert 0 < int(over.headers["retry-after"]) <= PER_APPLICATION.window.total_seconds()


async def test_a_form_without_the_sessions_token_changes_nothing(system: System) -> None:
    loan = system.loans["forged"]
    infrastructure = system.infrastructure
    async with (
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
        system.browser() as browser,
    ):
        await browser.get(f"/b/{sign_link(loan)}")
        sent = await plan_sent(system, watcher, loan)
        form = form_of(await browser.get("/b/plan"))
        forged = await browser.post(CONFIRMATION, data={**form, "csrf": "not-the-token", "code": sent.confirmation_code})
        still = await browser.get("/b/plan")
    assert forged.status_code == 403
    assert Words("zh-CN")("form_expired_title") in forged.text  # the borrower's messages are in zh-CN
    assert 'data-accepted="no"' in still.text
