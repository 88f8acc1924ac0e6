"""One borrower's whole way on their own page (issue 21, "Done when"), every service running on the
real Kafka and Postgres, Debian's Chromium driven by Playwright at a phone's viewport (390×844):

1. the overdue notice notification sends carries the link (NotificationRequested, the SMS's text);
   the borrower opens it and sees *My loan*;
2. *I need help*: the application with a photographed payslip, confirmed with the change code the
   SMS brings;
3. an agent, in the console at a desktop's viewport, finds it "from the borrower's page", sees the
   photo, verifies it and submits the application for plans;
4. *My options*: the offer's cards, the recommended first; the borrower chooses it and confirms the
   choice with a change code;
5. *My plan*: the written plan, sent at once, read in full and confirmed with its own code;
6. the plan activated and its first month paid: *My plan* shows one month paid.
*How we contact you* is visited on the way, as notification's contact rules offer it.

axe-core finds no serious or critical violation on any borrower page, nothing is wider than the
phone, no raw code shows, no code is echoed. Screenshots of each page: var/screenshots/
borrower-journey-<n>-<page>.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.examples import loan_booked
from tideover_testkit.console import LAPTOP, PHONE, axe_source, console_page, shot, start_intake
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services

from .test_borrower_need_help import CODE, payslip_photo
from .test_borrower_page import AXE, CLOSED_ON, SCREENSHOTS, blocked_by_csp, browser, first_month_paid, problems_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
__all__ = ["browser"]  # the fixture, shared

#: The token of the borrower's page link in a message's text (tideover_runtime.borrower_links).
LINK = re.compile(r"/b/([A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])")


@pytest.fixture
def everything(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    others = ("overdue_detection", "notification", "plan_calculation", "repayment_tracking")
    with started_services(private_infrastructure.service_env(), tmp_path, others) as started:
        started["negotiation_intake"] = start_intake(private_infrastructure, tmp_path, started)
        yield started


class Walk:
    """The phone, the screenshots taken in order, and what was found wrong on the way."""

    def __init__(self, phone: Page, axe: str) -> None:
        self.phone, self.axe = phone, axe
        self.problems: list[str] = []
        self.taken = 0

    async def page(self, name: str, language: str = "en") -> None:
        self.taken += 1
        await shot(self.phone, SCREENSHOTS / f"borrower-journey-{self.taken}-{name}.png")
        self.problems += await problems_of(self.phone, self.axe, language, name)


async def sms_code(watcher: TopicWatcher, loan_id: uuid.UUID, purpose: str, after: set[str]) -> str:
    """The 6-digit code of the next SMS of `purpose` for the loan, not one seen before (`after`)."""
    request = await watcher.wait_for_event(
        "NotificationRequested",
        lambda event: event.loan_id == loan_id and event.purpose == purpose and str(event.notification_id) not in after,
    )
    after.add(str(request.notification_id))
    found = CODE.search(request.body)
    assert found is not None, request.body
    return found.group(1)


async def agent_verifies_and_submits(browser: Browser, intake: str, key: str, loan_id: uuid.UUID) -> Page:
    """The agent's part, in the console: the loan's application from the borrower's page, its
    photo seen, verified, and the application submitted for plans."""
    agent = await console_page(browser, intake, LAPTOP, blocked_by_csp)
    await agent.goto("/console/")
    await agent.get_by_label("API key").fill(key)
    await agent.get_by_role("button", name="Sign in").click()
    await agent.goto(f"/console/loans/{loan_id}")
    await agent.locator('a[href*="/console/applications/"]').first.click()
    await expect(agent.get_by_text("From the borrower's page")).to_be_visible()
    await expect(agent.locator(".document img")).to_be_visible()  # the photo, as the page kept it
    await agent.get_by_label("Review note").fill("Payslip photo: income reduced since March")
    await agent.get_by_role("button", name="Verify").click()
    await expect(agent.get_by_text("verified", exact=True)).to_be_visible()
    await shot(agent, SCREENSHOTS / "borrower-journey-agent-verifies.png")
    await agent.get_by_role("button", name="Submit for plans").click()
    return agent


async def test_one_borrower_from_the_notices_link_to_a_paid_first_month_on_their_phone(
    private_infrastructure: Infrastructure, everything: dict[str, ServiceProcess], browser: Browser
) -> None:
    infrastructure, intake = private_infrastructure, everything["negotiation_intake"].url
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))
    seen: set[str] = set()
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
        await book_overdue_loan(infrastructure, kafka, watcher, everything["overdue_detection"].url, loan, CLOSED_ON)

        # 1. The overdue notice's SMS carries the link.
        notice = await watcher.wait_for_event(
            "NotificationRequested", lambda event: ours(event) and event.purpose == "overdue_notice"
        )
        token = LINK.search(notice.body)
        assert token is not None, notice.body
        walk = Walk(await console_page(browser, intake, PHONE, blocked_by_csp), axe_source(AXE))
        phone = walk.phone
        await phone.goto(f"{intake}/b/{token.group(1)}")
        await expect(phone).to_have_url(f"{intake}/b/")
        await expect(phone.locator("[data-owed-total]")).to_be_visible()
        await phone.locator('button[name="lang"][value="en"]').click()  # read in English from here on
        await expect(phone.locator("html")).to_have_attribute("lang", "en")
        await walk.page("my-loan")

        # 2. I need help, with a photographed payslip, confirmed with the change code.
        await phone.locator('nav a[href="/b/help"]').click()
        await phone.locator('input[name="reason"][value="income_reduction"]').check()
        await phone.locator("#monthly_income").fill("9000")
        await phone.locator("#essential_expenses").fill("3000")
        await phone.locator("#description").fill("The shop I worked at cut my hours in March")
        await phone.locator("#files").set_input_files(
            files=[{"name": "payslip.jpg", "mimeType": "image/jpeg", "buffer": payslip_photo()}]
        )
        await walk.page("need-help")
        await phone.locator('form[action="/b/help"] button[type="submit"]').click()
        await expect(phone.locator("#status-message")).to_be_focused()
        await phone.locator("#code").fill(await sms_code(watcher, loan.loan_id, "change_code", seen))
        await phone.keyboard.press("Enter")
        await expect(phone.locator("[data-application-state]")).to_have_attribute("data-application-state", "draft")
        await walk.page("help-sent")
        await phone.locator('nav a[href="/b/options"]').click()
        await expect(phone.locator('[data-stage="options_stage_review"]')).to_be_visible()
        await walk.page("options-in-review")

        # 3. The agent verifies the photo in the console and submits the application.
        key = await issue_key(infrastructure.database_url, "agent-021", Role.AGENT)
        agent = await agent_verifies_and_submits(browser, intake, key, loan.loan_id)
        offer = await watcher.wait_for_event("PlanOffered", ours)
        await expect(agent.locator("#state")).to_have_text("offered", timeout=30_000)
        await agent.context.close()
        assert offer.recommended_option_id is not None
        recommended = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
        assert not recommended.needs_supervisor

        # 4. My options: the recommended first; chosen, and the choice confirmed with a code.
        await phone.goto(f"{intake}/b/options")
        cards = phone.locator("article[data-option-id]")
        await expect(cards.first).to_have_attribute("data-option-id", recommended.option_id)
        await expect(cards.first).to_have_attribute("data-recommended", "true")
        assert await cards.count() == len(offer.options)
        for index in range(await cards.count()):  # each card's months add up to its total
            card = cards.nth(index)
            months = [Decimal(str(value)) for value in await card.locator("[data-month-amount]").evaluate_all(
                "items => items.map(item => item.dataset.monthAmount)"
            )]  # fmt: skip
            assert sum(months) == Decimal(str(await card.get_attribute("data-total-from-now")))
        await walk.page("options")
        await cards.first.locator("details.months-detail summary").click()
        await cards.first.get_by_role("button").filter(has_text="Choose this option").click()
        await expect(phone.locator("#status-message")).to_be_focused()
        await walk.page("options-code")
        code = await sms_code(watcher, loan.loan_id, "change_code", seen)
        await phone.locator("#code").fill(code)
        await phone.keyboard.press("Enter")

        # 5. My plan: the written plan sent at once, read in full, confirmed with its own code.
        await expect(phone).to_have_url(f"{intake}/b/plan?done=plan_sent")
        await expect(phone.locator("#status-message")).to_be_focused()
        sent = await watcher.wait_for_event("PlanSentToBorrower", ours)
        assert sent.plan.option_id == recommended.option_id
        await expect(phone.locator("[data-month-total]")).to_have_count(len(sent.plan.months()))
        await expect(phone.locator("#written-plan")).to_contain_text("the repayment plan you chose")
        assert code not in await phone.content()
        await walk.page("written-plan")
        await phone.locator("#code").fill(await sms_code(watcher, loan.loan_id, "written_plan", seen))
        await phone.keyboard.press("Enter")
        await expect(phone.locator("#status-message")).to_be_focused()
        await walk.page("plan-confirmed")
        await phone.locator('nav a[href="/b/contact"]').click()  # How we contact you: notification's choices
        await expect(phone.locator('form[action="/b/contact"]')).to_be_visible()
        await walk.page("contact")

        # 6. The plan in force, its first month paid.
        await first_month_paid(kafka, watcher, everything, loan)
        await phone.goto(f"{intake}/b/plan")
        await expect(phone.locator("[data-months-paid]")).to_have_attribute("data-months-paid", "1", timeout=30_000)
        await walk.page("first-month-paid")
        await phone.context.close()

    assert blocked_by_csp == []
    assert walk.problems == [], "\n".join(walk.problems)
