"""The agents' web console in a real browser (Debian's Chromium, headless, driven by Playwright):
the policy journey through all five services on the real Kafka and Postgres, and the console's
refusals (roles, CSRF). Screenshots of each page go to var/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.examples import golden_events, loan_booked
from tideover_testkit.console import LAPTOP, OTHERS, chromium, console_page, screenshot_path, shot, start_intake
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import PROOF_PDF, SERVICE_OUTPUT_TOPICS, book_overdue_loan
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services, wait_until_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
#: What the browser said the console's Content-Security-Policy blocked, on any page of a test.
blocked_by_csp: list[str] = []


@pytest.fixture(autouse=True)
def csp_blocks_nothing_of_the_console() -> Iterator[None]:
    """The policy (issue 17, M6) leaves the console whole: its script, styles, charts, previews."""
    blocked_by_csp.clear()
    yield
    assert blocked_by_csp == []


@pytest.fixture
def running(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    with started_services(private_infrastructure.service_env(), tmp_path, OTHERS) as started:
        started["negotiation_intake"] = start_intake(private_infrastructure, tmp_path, started)
        yield started


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def assert_the_months_add_up(page: Page, offer: PlanOffered) -> None:
    """Every option's months (plan and regular installments) add up to its total from now on, the
    largest is what it pays per month, and an extension's total is its schedule's (issue 20, finding 2)."""
    cards = await page.locator("[data-option-id]").evaluate_all(
        """cards => cards.map(card => ({
            id: card.dataset.optionId, pays: card.dataset.paysPerMonth, total: card.dataset.totalFromNow,
            months: [...card.querySelectorAll("[data-month-amount]")].map(month => month.dataset.monthAmount)}))"""
    )
    options = {option.option_id: option for option in offer.options}
    for card in cards:
        months = [Decimal(amount) for amount in card["months"]]
        assert sum(months, start=Decimal(0)) == Decimal(card["total"]), card["id"]
        assert max(months) == Decimal(card["pays"]), card["id"]
        option = options[card["id"]]
        if option.plan_effect is PlanEffect.RESCHEDULE:
            assert Decimal(card["total"]) == option.total_payable.amount, card["id"]
        else:
            assert Decimal(card["total"]) >= option.total_payable.amount + sum(
                (item.amount.amount for item in option.continuing_installments), start=Decimal(0)
            ), card["id"]


async def sign_in(browser: Browser, base: str, key: str) -> Page:
    page = await console_page(browser, base, LAPTOP, blocked_by_csp)
    await page.goto("/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    return page


async def test_an_agent_takes_a_hardship_application_to_an_active_plan_in_the_browser(
    private_infrastructure: Infrastructure, running: dict[str, ServiceProcess], browser: Browser, tmp_path: Path
) -> None:
    infrastructure = private_infrastructure
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))  # first installment due 15 June 2027
    intake = running["negotiation_intake"].url
    proof = tmp_path / "unemployment-certificate.pdf"
    proof.write_bytes(PROOF_PDF)
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
        await book_overdue_loan(infrastructure, kafka, watcher, running["overdue_detection"].url, loan, date(2027, 6, 18))
        agent_key = await issue_key(infrastructure.database_url, "agent-042", Role.AGENT)
        supervisor_key = await issue_key(infrastructure.database_url, "supervisor-007", Role.SUPERVISOR)
        await wait_until_ok(f"{intake}/v1/loans/{loan.loan_id}", headers={"X-API-Key": agent_key})

        # The work queue: find the loan by its id.
        agent = await sign_in(browser, intake, agent_key)
        await expect(agent.get_by_role("heading", name="Overdue loans")).to_be_visible()
        await agent.get_by_label("Loan or borrower").fill(str(loan.loan_id)[:8])
        await agent.get_by_role("button", name="Show").click()
        await expect(agent.get_by_text("1 loan", exact=True)).to_be_visible()
        row = agent.get_by_role("row").filter(has_text=loan.borrower.borrower_id)
        await expect(row).to_contain_text("M1")
        await shot(agent, screenshot_path(SCREENSHOTS, "01-work-queue"))
        await row.get_by_role("link").click()

        # The loan page: status, components, the schedule from overdue-detection; open an application.
        await expect(agent.get_by_role("heading", name="Overdue status")).to_be_visible()
        await expect(agent.get_by_role("row", name=re.compile("Overdue amount"))).to_contain_text("1,045.")
        await expect(agent.get_by_role("heading", name="Contact log")).to_be_visible()
        # Owed today is overdue-detection's figure of the day, as of its business date (issue 20, finding 1).
        live = (await wait_until_ok(f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status")).json()
        owed = agent.locator("#summary [data-owed-total]")
        await expect(owed).to_have_attribute("data-source", "ledger")
        await expect(owed).to_have_attribute("data-as-of", live["as_of"])
        live_total = sum((Decimal(money["amount"]) for money in live["overdue_amounts"].values()), start=Decimal(0))
        assert Decimal(str(await owed.get_attribute("data-owed-total"))) == live_total
        await shot(agent, screenshot_path(SCREENSHOTS, "02-loan"))
        await agent.get_by_role("button", name="Open the application").click()  # empty: refused next to the fields
        await expect(agent.locator("#reason-error")).to_be_visible()
        await agent.get_by_label("Reason").select_option("unemployment")
        await agent.get_by_label("What happened").fill("Laid off in January")
        await agent.get_by_label("Monthly income").fill("4000.123")
        await agent.get_by_label("Essential expenses a month").fill("2000")
        await agent.get_by_role("button", name="Open the application").click()
        await expect(agent.locator("#monthly_income-error")).to_contain_text("more decimals")
        # 252.50 a month to spare: nothing within the agent's authority is affordable (the least
        # asks 126.59 a month, over half of it), a supervisor's deeper waiver is (126.09).
        await agent.get_by_label("Monthly income").fill("2252.50")
        await agent.get_by_role("button", name="Open the application").click()
        await expect(agent.locator("#state")).to_have_text("draft")

        # Evidence: submit without proof is refused; upload the PDF, see its preview, verify, submit.
        await agent.get_by_role("button", name="Submit for plans").click()
        await expect(agent.get_by_role("alert")).to_contain_text("needs a verified")
        await expect(agent.get_by_role("alert")).to_be_focused()  # the refusal takes the focus (console.js)
        await agent.get_by_label("Kind").select_option("unemployment_proof")
        await agent.get_by_label("File").set_input_files(str(proof))
        await agent.get_by_role("button", name="Upload").click()
        await expect(agent.locator(".document object")).to_have_attribute("type", "application/pdf")
        preview = await agent.request.get(str(await agent.locator(".document object").get_attribute("data")))
        assert preview.status == 200
        assert await preview.body() == PROOF_PDF
        await agent.get_by_label("Review note").fill("Unemployment certificate from the local labour bureau")
        await agent.get_by_role("button", name="Verify").click()
        await expect(agent.get_by_text("verified", exact=True)).to_be_visible()
        await shot(agent, screenshot_path(SCREENSHOTS, "03-application-evidence"))
        await agent.get_by_role("button", name="Submit for plans").click()

        # The offer: compare and choose the recommended option, which needs a supervisor.
        offer = await watcher.wait_for_event("PlanOffered", ours)
        await expect(agent.locator("#state")).to_have_text("offered", timeout=30_000)
        cards = agent.locator("[data-option-id]")
        await expect(cards.first).to_have_attribute("data-option-id", str(offer.recommended_option_id))
        await expect(cards.first.locator(".badge").first).to_have_text("Recommended")
        assert await cards.count() == len(offer.options)
        assert await agent.locator("[data-option-id] svg.chart").count() == len(offer.options)
        await assert_the_months_add_up(agent, offer)
        await shot(agent, screenshot_path(SCREENSHOTS, "04-offer-comparison"))
        chosen = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
        assert chosen.needs_supervisor
        await agent.locator(f'[data-option-id="{chosen.option_id}"]').get_by_role("button", name="Choose:").click()
        application_url = agent.url
        await expect(agent.locator("#state")).to_have_text("awaiting approval")
        await expect(agent.locator("#status-message")).to_contain_text("waiting for a supervisor")
        await expect(agent.locator("#status-message")).to_be_focused()
        supervisor = await sign_in(browser, intake, supervisor_key)
        await expect(supervisor.get_by_role("heading", name="Plans awaiting approval")).to_be_visible()
        await shot(supervisor, screenshot_path(SCREENSHOTS, "05-supervisor-queue"))
        await supervisor.get_by_label("Note (required)").fill("Hardship proven; the waiver keeps the plan affordable")
        await supervisor.get_by_role("button", name="Approve").click()
        await expect(supervisor.locator("#status-message")).to_contain_text("Approved")
        await agent.goto(application_url)
        await expect(agent.locator("#state")).to_have_text("chosen")

        # The written plan and the borrower's code, as the gateway would deliver it.
        await agent.get_by_role("button", name="Send the written plan").click()
        await expect(agent.locator("#state")).to_have_text("sent")
        sms = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "written_plan")
        code = re.search(r"(\d{6})", sms.body)
        assert code is not None
        wrong = "000000" if code.group(1) != "000000" else "111111"
        await agent.get_by_label("The borrower's 6-digit code").fill(wrong)
        await agent.get_by_role("button", name="Confirm").click()
        await expect(agent.locator("#code-error")).to_contain_text("4 tries left")
        await expect(agent.get_by_label("The borrower's 6-digit code")).to_be_focused()  # the field refused
        await agent.get_by_label("The borrower's 6-digit code").fill(code.group(1))
        await agent.get_by_role("button", name="Confirm").click()
        await expect(agent.locator("#state")).to_have_text("accepted")
        await shot(agent, screenshot_path(SCREENSHOTS, "06-accepted"))

        # Once the plan is activated the loan page shows it, with its progress.
        plan = await watcher.wait_for_event("PlanActivated", ours)
        assert plan.option_id == chosen.option_id
        await wait_until_ok(f"{running['repayment_tracking'].url}/v1/plans/{plan.plan_id}")
        await wait_until_ok(
            f"{intake}/v1/loans/{loan.loan_id}",
            accept=lambda r: (r.json()["plan"] or {}).get("status") == "active",
            headers={"X-API-Key": agent_key},
        )
        await agent.goto(f"/console/loans/{loan.loan_id}")
        await expect(agent.locator("#plan-h + p .plan-status")).to_have_text("active")
        await expect(agent.get_by_text(f"0 of {len(plan.schedule)} installments paid")).to_be_visible()
        await expect(agent.locator(".decision-sent").first).to_be_visible()  # the contact log, from notification
        await shot(agent, screenshot_path(SCREENSHOTS, "07-loan-with-plan"))

        # The same page in Chinese.
        await agent.get_by_role("button", name="中文").click()
        await expect(agent.get_by_role("heading", name="逾期状态")).to_be_visible()
        # The plan took the arrears over: owed today is the ledger's, not intake's copy of the 1,045.00 then.
        live = (await wait_until_ok(f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status")).json()
        live_total = sum((Decimal(money["amount"]) for money in live["overdue_amounts"].values()), start=Decimal(0))
        owed = agent.locator("#summary [data-owed-total]")
        await expect(owed).to_have_text(re.compile(r"^¥[\d,]+\.\d\d$"))
        assert Decimal(str(await owed.get_attribute("data-owed-total"))) == live_total
        await expect(agent.locator("#summary")).to_contain_text("账务系统实时数据")
        await shot(agent, screenshot_path(SCREENSHOTS, "08-loan-zh-CN"))


async def test_an_agent_cannot_reach_the_supervisor_pages_and_a_post_needs_the_csrf_token(
    private_infrastructure: Infrastructure, browser: Browser, tmp_path: Path
) -> None:
    intake = start_intake(private_infrastructure, tmp_path, {})  # the other services are not needed
    try:
        agent_key = await issue_key(private_infrastructure.database_url, "agent-043", Role.AGENT)
        page = await sign_in(browser, intake.url, "tdo_unknown_key")
        await expect(page.locator("#api_key-error")).to_have_text("Unknown or revoked API key.")
        await page.get_by_label("API key").fill(agent_key)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Overdue loans")).to_be_visible()
        await expect(page.get_by_role("link", name="Approvals")).to_have_count(0)
        await expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
        for path in ("/console/supervisor", "/console/audit"):
            response = await page.goto(path)
            assert response is not None
            assert response.status == 403, path
            await expect(page.get_by_role("alert")).to_have_text("Your role may not open this page.")
        await shot(page, screenshot_path(SCREENSHOTS, "09-agent-refused-supervisor-queue"))
        cookies = {cookie["name"]: cookie["value"] for cookie in await page.context.cookies()}
        session = next(cookie for cookie in await page.context.cookies() if cookie["name"] == "tideover_console")
        assert session["httpOnly"]
        assert session["sameSite"] == "Lax"
        assert agent_key.split("_", 2)[2] not in session["value"]  # the secret (which may hold "_") is never in the cookie
        async with httpx.AsyncClient(base_url=intake.url, cookies=cookies) as http:
            refused = await http.post("/console/sign-out", data={})
            assert refused.status_code == 403
            forged = await http.post("/console/language", data={"lang": "zh-CN", "csrf": "forged"})
            assert forged.status_code == 403
            assert (await http.get("/console/", follow_redirects=False)).status_code == 200  # still signed in
        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
        async with httpx.AsyncClient(base_url=intake.url, cookies=cookies) as http:
            saved = await http.get("/console/", follow_redirects=False)
            assert saved.status_code == 303  # the cookie saved before sign-out died with the session
        await page.goto("/console/audit")
        assert page.url.endswith("/console/sign-in")
    finally:
        intake.stop()


async def test_an_agent_withdraws_an_application_and_records_a_borrowers_refusal_of_a_plan(
    private_infrastructure: Infrastructure, browser: Browser, tmp_path: Path
) -> None:
    """Intake alone: the loan's overdue status and the plan offer are published as overdue
    detection and plan calculation would."""
    infrastructure = private_infrastructure
    intake = start_intake(infrastructure, tmp_path, {})
    loan_id, now = uuid.uuid4(), datetime.now(UTC)
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue)).model_copy(
        update={"loan_id": loan_id}
    )
    ours = lambda event: event.loan_id == loan_id  # noqa: E731
    try:
        async with (
            KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
            TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
        ):
            await kafka.publish(wrap(overdue, producer="overdue-detection", occurred_at=now))
            key = await issue_key(infrastructure.database_url, "agent-044", Role.AGENT)
            await wait_until_ok(f"{intake.url}/v1/loans/{loan_id}", headers={"X-API-Key": key})
            page = await sign_in(browser, intake.url, key)
            await page.goto(f"/console/loans/{loan_id}")
            # Overdue detection is not running here: the page shows intake's copy and says so.
            owed = page.locator("#summary [data-owed-total]")
            await expect(owed).to_have_attribute("data-source", "copy")
            await expect(owed).to_have_attribute("data-as-of", overdue.business_date.isoformat())
            await expect(page.locator("#copy-note")).to_contain_text("intake's copy")

            async def open_application() -> None:
                await page.get_by_label("Reason").select_option("family_emergency")  # needs no proof
                await page.get_by_label("What happened").fill("A parent's operation")
                await page.get_by_label("Monthly income").fill("4000")
                await page.get_by_label("Essential expenses a month").fill("2000")
                await page.get_by_role("button", name="Open the application").click()
                await expect(page.locator("#state")).to_have_text("draft")

            # Withdrawn: a reason is required; the application stops and says so.
            await open_application()
            await expect(page.get_by_text("The borrower declines the plan")).to_have_count(0)  # nothing offered yet
            await page.get_by_text("Withdraw the application").click()
            await page.get_by_role("button", name="Withdraw", exact=True).click()
            await expect(page.locator("#withdraw_reason-error")).to_have_text("Say why, in a few words.")
            await expect(page.locator("#state")).to_have_text("draft")
            await page.get_by_label("Why it is withdrawn").fill("The family paid the arrears")
            await page.get_by_role("button", name="Withdraw", exact=True).click()
            await expect(page.locator("#state")).to_have_text("withdrawn")
            await expect(page.locator("#status-message")).to_contain_text("The application is withdrawn.")
            withdrawn = await watcher.wait_for_event("NegotiationWithdrawn", ours)
            assert withdrawn.reason == "The family paid the arrears"
            await expect(page.get_by_text("Withdraw the application")).to_have_count(0)
            await shot(page, screenshot_path(SCREENSHOTS, "10-application-withdrawn"))

            # A second application gets an offer, which the borrower refuses on the phone.
            await page.get_by_role("link", name="See the loan").click()
            await open_application()
            await page.get_by_role("button", name="Submit for plans").click()
            requested = await watcher.wait_for_event("NegotiationRequested", ours)
            golden_offer = next(event for event in golden_events() if isinstance(event, PlanOffered))
            offer = golden_offer.model_copy(
                update={
                    "offer_id": uuid.uuid4(),
                    "application_id": requested.application_id,
                    "loan_id": loan_id,
                    "valid_until": now + timedelta(days=7),
                }
            )
            await kafka.publish(wrap(offer, producer="plan-calculation", occurred_at=now))
            await expect(page.locator("#state")).to_have_text("offered", timeout=30_000)  # the page reloads while it waits
            # The arrears option counts the regular installments of intake's copy, and says so.
            copied = page.locator('[data-option-id][data-regular-installments="copy"]')
            await expect(copied).to_have_count(len([o for o in offer.options if o.plan_effect is PlanEffect.ARREARS]))
            await expect(copied.first).to_contain_text(
                f"Regular installments from intake's copy of the loan's schedule, as of {overdue.business_date:%b} "
                f"{overdue.business_date.day}, {overdue.business_date.year}: overdue detection is not answering"
            )
            await page.get_by_text("The borrower declines the plan").click()
            await page.get_by_label("What the borrower said").fill("Will sell the car and pay in full")
            await page.get_by_role("button", name="Record the refusal").click()
            await expect(page.locator("#state")).to_have_text("declined")
            await expect(page.locator("#status-message")).to_contain_text("The borrower declined the plan")
            await expect(page.locator("#status-message")).to_be_focused()
            declined = await watcher.wait_for_event("PlanDeclined", ours)
            assert (declined.offer_id, declined.reason) == (offer.offer_id, "Will sell the car and pay in full")
            await expect(page.get_by_role("button", name="Choose")).to_have_count(0)
            await shot(page, screenshot_path(SCREENSHOTS, "11-plan-declined"))
    finally:
        intake.stop()
