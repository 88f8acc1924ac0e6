"""*I need help* in a real browser (issue 21, deliver 2; beside test_borrower_page.py, whose helpers
it shares): Debian's Chromium driven by Playwright at a phone's viewport (390×844). The borrower
opens the link, goes to *I need help*, sends the form empty and gets each refusal beside its field
with the focus on the summary; fills it in with a photo of their payslip and sends it; enters the
code notification sent to the phone on file (NotificationRequested v3, purpose change_code) and
gets the status message focused and the application's state. axe-core finds no serious or
critical violation at any step. Screenshots: var/screenshots/borrower-need-help.png (the form
filled in, in the borrower's language), borrower-need-help-refused.png, borrower-need-help-code.png,
borrower-need-help-sent.png."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tideover_contracts.examples import loan_booked
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, LinkSettings, link_for
from tideover_testkit.console import PHONE, axe_source, console_page, screenshot_path, shot, start_intake
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services

from .test_borrower_page import AXE, CLOSED_ON, NOTICE_AT, SCREENSHOTS, blocked_by_csp, browser, problems_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
__all__ = ["browser"]  # the fixture, shared

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture
def helping(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    """The ledger, notification (which sends the code) and intake."""
    with started_services(private_infrastructure.service_env(), tmp_path, ("overdue_detection", "notification")) as started:
        started["negotiation_intake"] = start_intake(private_infrastructure, tmp_path, started)
        yield started


def payslip_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), (235, 230, 220)).save(buffer, "JPEG")
    return buffer.getvalue()


async def filled_in(phone: Page) -> None:
    await phone.locator('input[name="reason"][value="income_reduction"]').check()
    await phone.locator("#monthly_income").fill("4200")
    await phone.locator("#essential_expenses").fill("2600")
    await phone.locator("#description").fill("我工作的商店三月关门了")
    await phone.locator("#files").set_input_files(
        files=[{"name": "payslip.jpg", "mimeType": "image/jpeg", "buffer": payslip_photo()}]
    )


async def test_the_borrower_asks_for_help_with_a_photographed_proof_on_a_phone(
    private_infrastructure: Infrastructure, helping: dict[str, ServiceProcess], browser: Browser
) -> None:
    infrastructure, axe, intake = private_infrastructure, axe_source(AXE), helping["negotiation_intake"].url
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))
    problems: list[str] = []
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        await book_overdue_loan(infrastructure, kafka, watcher, helping["overdue_detection"].url, loan, CLOSED_ON)
        settings = LinkSettings(borrower_page_url=f"{intake}/b/")
        link = link_for(loan.loan_id, loan.borrower.borrower_id, NOTICE_AT, settings, DEVELOPMENT_LINK_SECRET.encode())

        phone = await console_page(browser, intake, PHONE, blocked_by_csp)
        await phone.goto(link)
        await phone.locator('nav a[href="/b/help"]').click()
        await expect(phone).to_have_url(f"{intake}/b/help")
        await expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
        problems += await problems_of(phone, axe, "zh-CN", "need help form")

        await phone.locator('form[action="/b/help"] button[type="submit"]').click()
        await expect(phone.locator("#form-errors")).to_be_focused()  # the refusals, read out and focused
        await expect(phone.locator("[data-error]")).to_have_count(5)
        await shot(phone, screenshot_path(SCREENSHOTS, "borrower-need-help-refused"))
        problems += await problems_of(phone, axe, "zh-CN", "need help refused")

        await filled_in(phone)
        await shot(phone, SCREENSHOTS / "borrower-need-help.png")
        await phone.locator('form[action="/b/help"] button[type="submit"]').click()
        await expect(phone.locator("#status-message")).to_be_focused()
        await shot(phone, screenshot_path(SCREENSHOTS, "borrower-need-help-code"))
        problems += await problems_of(phone, axe, "zh-CN", "need help code")

        ours = lambda event: event.loan_id == loan.loan_id and event.purpose == "change_code"  # noqa: E731
        request = await watcher.wait_for_event("NotificationRequested", ours)
        code = CODE.search(request.body)
        assert code is not None, request.body
        await phone.locator("#code").fill(code.group(1))
        await phone.keyboard.press("Enter")
        await expect(phone.locator("#status-message")).to_be_focused()
        await expect(phone.locator("[data-application-state]")).to_have_attribute("data-application-state", "draft")
        assert code.group(1) not in await phone.content()
        await shot(phone, screenshot_path(SCREENSHOTS, "borrower-need-help-sent"))
        problems += await problems_of(phone, axe, "zh-CN", "need help sent")
        await phone.context.close()

    assert blocked_by_csp == []
    assert problems == [], "\n".join(problems)
