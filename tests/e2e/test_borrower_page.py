"""The borrower's page in a real browser (issue 21): Debian's Chromium driven by Playwright at a
phone's viewport (390×844), and at a desktop's. The borrower opens the link as a message carries
it (signed as notification signs it, by the business clock), lands on *My loan* with no token in
the address, sees overdue-detection's figures, moves by keyboard, switches language; axe-core
(npm, deploy/browser/axe.sh) finds no serious or critical violation, nothing is wider than the
window, no raw code shows. Screenshots: var/screenshots/borrower-my-loan.png (the phone, in the
borrower's language) and borrower-my-loan-<view>-<language>.png, borrower-link-refused.png.

*My plan* (deliver 2), with plan-calculation and repayment-tracking running too: the written plan an
agent sent, read at the phone in each language, a wrong code refused with the focus on the
refusal, the right one typed by keyboard and the status message focused, then the plan's first
month paid and its progress. Screenshots: borrower-my-plan.png (the plan to confirm, in the
borrower's language), borrower-my-plan-<language>.png, borrower-my-plan-refused.png,
borrower-my-plan-progress.png."""

from __future__ import annotations

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
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.examples import loan_booked
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, LinkSettings, link_for
from tideover_testkit.console import (
    LAPTOP,
    PHONE,
    axe_source,
    axe_violations,
    chromium,
    console_page,
    overflow_px,
    raw_codes,
    screenshot_path,
    shot,
    start_intake,
)
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services, wait_until_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "var" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CLOSED_ON = date(2027, 6, 18)
#: The business clock once CLOSED_ON is closed (journeys.day_closed: 10:00 UTC), when the notice goes.
NOTICE_AT = datetime(2027, 6, 18, 10, tzinfo=UTC)
SERIOUS = frozenset({"serious", "critical"})
blocked_by_csp: list[str] = []


@pytest.fixture
def running(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    with started_services(private_infrastructure.service_env(), tmp_path, ("overdue_detection",)) as started:
        started["negotiation_intake"] = start_intake(private_infrastructure, tmp_path, started)
        yield started


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def problems_of(page: Page, axe: str, language: str, where: str) -> list[str]:
    """What is wrong with the page as it stands: serious or critical axe violations, a width past
    the window's, raw codes in its text."""
    found = [
        f"{where}: axe {violation['rule']} ({violation['impact']}): {violation['nodes'][:3]}"
        for violation in await axe_violations(page, axe)
        if violation["impact"] in SERIOUS
    ]
    if (overflow := await overflow_px(page)) > 0:
        found.append(f"{where}: {overflow} px wider than the window")
    if codes := raw_codes(await page.evaluate("() => document.body.innerText"), language):
        found.append(f"{where}: raw codes {codes}")
    return found


async def the_figures_are_the_ledgers(page: Page, overdue_url: str, loan_id: uuid.UUID) -> None:
    status = (await wait_until_ok(f"{overdue_url}/v1/loans/{loan_id}/overdue-status")).json()
    amounts = {part: Decimal(money["amount"]) for part, money in status["overdue_amounts"].items()}
    owed = page.locator("[data-owed-total]")
    await expect(owed).to_have_count(1)
    assert Decimal(str(await owed.get_attribute("data-owed-total"))) == sum(amounts.values()) > 0
    for part, amount in amounts.items():
        assert Decimal(str(await page.locator(f'[data-part="{part}"]').get_attribute("data-amount"))) == amount, part
    assert await page.locator("[data-days-past-due]").get_attribute("data-days-past-due") == str(status["days_past_due"])
    assert await page.locator("#as-of").get_attribute("data-source") == "ledger"


async def the_keyboard_reaches_the_skip_link_then_the_content(page: Page) -> list[str]:
    """Tab first lands on the skip link, visibly; Enter on it moves the focus to <main>."""
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {cls: e.className, outline: s.outlineStyle, left: e.getBoundingClientRect().left}; }"
    )
    visible = focused["cls"] == "skip" and focused["outline"] != "none" and focused["left"] >= 0
    found = [] if visible else [f"skip link: {focused}"]
    await page.keyboard.press("Enter")
    if await page.evaluate("() => document.activeElement && document.activeElement.id") != "main":
        found.append("the skip link does not move the focus to the main content")
    return found


async def test_the_borrower_opens_the_link_on_a_phone_and_sees_what_is_owed(
    private_infrastructure: Infrastructure, running: dict[str, ServiceProcess], browser: Browser
) -> None:
    infrastructure, axe = private_infrastructure, axe_source(AXE)
    overdue_url, intake = running["overdue_detection"].url, running["negotiation_intake"].url
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        await book_overdue_loan(infrastructure, kafka, watcher, overdue_url, loan, CLOSED_ON)
    # The link an overdue notice of that close carries (notification's application/links.py).
    settings = LinkSettings(borrower_page_url=f"{intake}/b/")
    link = link_for(loan.loan_id, loan.borrower.borrower_id, NOTICE_AT, settings, DEVELOPMENT_LINK_SECRET.encode())
    token = link.rsplit("/", 1)[1]
    problems: list[str] = []

    phone = await console_page(browser, intake, PHONE, blocked_by_csp)
    await phone.goto(link)
    await expect(phone).to_have_url(f"{intake}/b/")
    assert token not in await phone.content()
    await expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")  # the borrower's messages are in it
    await the_figures_are_the_ledgers(phone, overdue_url, loan.loan_id)
    await shot(phone, SCREENSHOTS / "borrower-my-loan.png")
    problems += await problems_of(phone, axe, "zh-CN", "phone zh-CN")
    problems += await the_keyboard_reaches_the_skip_link_then_the_content(phone)
    for language in ("zh-Hant", "en"):
        await phone.locator(f'button[name="lang"][value="{language}"]').click()
        await expect(phone.locator("html")).to_have_attribute("lang", language)
        await the_figures_are_the_ledgers(phone, overdue_url, loan.loan_id)
        await shot(phone, screenshot_path(SCREENSHOTS, f"borrower-my-loan-phone-{language}"))
        problems += await problems_of(phone, axe, language, f"phone {language}")
    await phone.context.close()

    desktop = await console_page(browser, intake, LAPTOP, blocked_by_csp)
    await desktop.goto(link)
    await the_figures_are_the_ledgers(desktop, overdue_url, loan.loan_id)
    await shot(desktop, screenshot_path(SCREENSHOTS, "borrower-my-loan-desktop-zh-CN"))
    problems += await problems_of(desktop, axe, "zh-CN", "desktop zh-CN")
    refused = await desktop.goto(f"{intake}/b/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert refused is not None
    assert refused.status == 404
    await shot(desktop, screenshot_path(SCREENSHOTS, "borrower-link-refused"))
    problems += await problems_of(desktop, axe, "en", "refused link")
    await desktop.context.close()

    assert blocked_by_csp == []
    assert problems == [], "\n".join(problems)


@pytest.fixture
def planning(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    """Every service *My plan* needs: the ledger, the offers and plans, the plans' months, intake."""
    others = ("overdue_detection", "plan_calculation", "repayment_tracking")
    with started_services(private_infrastructure.service_env(), tmp_path, others) as started:
        started["negotiation_intake"] = start_intake(private_infrastructure, tmp_path, started)
        yield started


async def plan_sent(infrastructure: Infrastructure, intake: str, watcher: TopicWatcher, loan: LoanBooked) -> PlanSentToBorrower:
    """An agent's work on the API: the application with its proof, the first option offered, the
    written plan sent (PlanSentToBorrower carries the code the borrower's SMS does)."""
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    key = await issue_key(infrastructure.database_url, "agent-007", Role.AGENT)
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": key}, timeout=10) as http:
        application_id = (await file_application(http, loan.loan_id))["application_id"]
        offer = await watcher.wait_for_event("PlanOffered", ours)
        await wait_until_ok(
            f"{intake}/v1/applications/{application_id}",
            accept=lambda answer: answer.json()["state"] == "offered",
            headers={"X-API-Key": key},
        )
        choice = {"offer_id": str(offer.offer_id), "option_id": offer.options[0].option_id}
        assert (await http.post(f"/v1/applications/{application_id}/choice", json=choice)).json()["state"] == "chosen"
        assert (await http.post(f"/v1/applications/{application_id}/sending")).json()["state"] == "sent"
    sent: PlanSentToBorrower = await watcher.wait_for_event("PlanSentToBorrower", ours)
    return sent


async def the_months_are_the_written_plans(page: Page, sent: PlanSentToBorrower) -> None:
    months = sent.plan.months()
    shown = page.locator("[data-month-total]")
    await expect(shown).to_have_count(len(months))
    for index, month in enumerate(months):
        assert Decimal(str(await shown.nth(index).get_attribute("data-month-total"))) == month.total.amount
        assert await shown.nth(index).get_attribute("data-due") == month.line.due_date.isoformat()


async def first_month_paid(
    kafka: KafkaTestClient, watcher: TopicWatcher, running: dict[str, ServiceProcess], loan: LoanBooked
) -> None:
    """The plan activated, taken in by the ledger and tracking, and its first month paid the day after."""
    ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
    activated = await watcher.wait_for_event("PlanActivated", ours)
    await wait_until_ok(f"{running['repayment_tracking'].url}/v1/plans/{activated.plan_id}")
    await wait_until_ok(
        f"{running['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status",
        accept=lambda answer: answer.json()["status"] == "under_plan",
    )
    paid_on = CLOSED_ON + timedelta(days=1)
    payment = RepaymentReceived(
        loan_id=loan.loan_id,
        payment_id=f"PAY-{uuid.uuid4()}",
        amount=activated.months()[0].total,
        received_at=datetime(paid_on.year, paid_on.month, paid_on.day, 2, tzinfo=UTC),
        value_date=paid_on,
    )
    await kafka.publish(wrap(payment, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
    await watcher.wait_for_event("PlanInstallmentPaid", ours)


async def test_the_borrower_reads_and_confirms_the_written_plan_then_sees_it_paid_on_a_phone(
    private_infrastructure: Infrastructure, planning: dict[str, ServiceProcess], browser: Browser
) -> None:
    infrastructure, axe, intake = private_infrastructure, axe_source(AXE), planning["negotiation_intake"].url
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))
    problems: list[str] = []
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        await book_overdue_loan(infrastructure, kafka, watcher, planning["overdue_detection"].url, loan, CLOSED_ON)
        sent = await plan_sent(infrastructure, intake, watcher, loan)
        settings = LinkSettings(borrower_page_url=f"{intake}/b/")  # the link the written plan carries
        link = link_for(loan.loan_id, loan.borrower.borrower_id, NOTICE_AT, settings, DEVELOPMENT_LINK_SECRET.encode())

        phone = await console_page(browser, intake, PHONE, blocked_by_csp)
        await phone.goto(link)
        await phone.locator('nav a[href="/b/plan"]').click()
        await expect(phone).to_have_url(f"{intake}/b/plan")
        await expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
        await the_months_are_the_written_plans(phone, sent)
        assert sent.confirmation_code not in await phone.content()
        await shot(phone, SCREENSHOTS / "borrower-my-plan.png")
        problems += await problems_of(phone, axe, "zh-CN", "my plan zh-CN")
        for language in ("zh-Hant", "en"):
            await phone.locator(f'button[name="lang"][value="{language}"]').click()
            await expect(phone).to_have_url(f"{intake}/b/plan")  # the switch stays on the section
            await expect(phone.locator("html")).to_have_attribute("lang", language)
            await shot(phone, screenshot_path(SCREENSHOTS, f"borrower-my-plan-{language}"))
            problems += await problems_of(phone, axe, language, f"my plan {language}")

        wrong = f"{(int(sent.confirmation_code) + 1) % 1_000_000:06d}"
        await phone.locator("#code").fill(wrong)
        await phone.keyboard.press("Enter")
        await expect(phone.locator("#code-error")).to_be_focused()  # the refusal, read out and focused
        assert wrong not in await phone.locator("#code").input_value()
        await shot(phone, screenshot_path(SCREENSHOTS, "borrower-my-plan-refused"))
        problems += await problems_of(phone, axe, "en", "my plan refused")
        await phone.locator("#code").fill(sent.confirmation_code)
        await phone.keyboard.press("Enter")
        await expect(phone.locator("#status-message")).to_be_focused()
        await expect(phone.locator("#status-message")).to_have_attribute("role", "status")

        await first_month_paid(kafka, watcher, planning, loan)
        await phone.goto(f"{intake}/b/plan")
        await expect(phone.locator("[data-months-paid]")).to_have_attribute("data-months-paid", "1")
        await shot(phone, screenshot_path(SCREENSHOTS, "borrower-my-plan-progress"))
        problems += await problems_of(phone, axe, "en", "my plan progress")
        await phone.context.close()

    assert blocked_by_csp == []
    assert problems == [], "\n".join(problems)
