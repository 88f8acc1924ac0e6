"""What an agent and a supervisor see in the console (issue 20, "Done when"), walked at a desktop
(1366×768) and at a phone (390×844) viewport, in English and in Chinese, on all five services:
the loan's amount owed is overdue-detection's, its contact log says in words and with the zone
that the overdue notice was held through the borrower's quiet hours and then delivered, each
option's months add up to its total from now on, focus lands on the status message after each
action and on the refusal after a refused one (a command the server refused, a supervisor's
refusal), and every page passes axe-core (from npm, deploy/browser/axe.sh), fits the window's
width and shows no raw code. Screenshots of each page in each view and language go to
var/screenshots/console-<view>-<language>-<page>.png."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.examples import loan_booked
from tideover_testkit import reference_gateway
from tideover_testkit.console import (
    LAPTOP,
    OTHERS,
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
from tideover_testkit.journeys import PROOF_PDF, SERVICE_OUTPUT_TOPICS
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services, wait_until_ok
from tideover_testkit.settle import settled, taken_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "var" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
VIEWS: dict[str, ViewportSize] = {"desktop": LAPTOP, "phone": PHONE}
LANGUAGES = ("en", "zh-CN")
#: The walk's loans fall overdue at the close of 18 June, 23:00 in Beijing: the borrowers' quiet
#: hours (CN: 22:00–08:00 in their local time), so each overdue notice is held until 08:00 the
#: next morning, when it is sent and the reference gateway delivers it.
NIGHT = datetime(2027, 6, 18, 15, tzinfo=UTC)
MORNING = datetime(2027, 6, 19, 0, tzinfo=UTC)
#: What the contact log says of the notice, in each language: held through the quiet hours until
#: 08:00 in the borrower's (and the lender's) zone, sent by SMS, delivered.
CONTACT_WORDS: dict[str, dict[str, str | re.Pattern[str]]] = {
    "en": {
        "held": "held",
        "until": re.compile(r"until\s+6/19/27,\s8:00\sAM China Standard Time"),
        "quiet_hours": "Quiet hours in the borrower's local time",
        "sms": "SMS",
        "delivered": "Delivered",
        "zone": "China Standard Time",
    },
    "zh-CN": {
        "held": "暂缓",
        "until": re.compile(r"至\s+2027/6/19\s08:00\s中国标准时间"),
        "quiet_hours": "借款人当地免打扰时段",
        "sms": "短信",
        "delivered": "已送达",
        "zone": "中国标准时间",
    },
}
#: What the browser said the console's Content-Security-Policy blocked, on any page of the test.
blocked_by_csp: list[str] = []


@pytest.fixture(autouse=True)
def csp_blocks_nothing_of_the_console() -> Iterator[None]:
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


@pytest.fixture
async def gateway(private_infrastructure: Infrastructure) -> AsyncIterator[None]:
    """The reference SMS gateway, delivering every message notification sends: its receipts
    complete the contact log."""
    stopping = asyncio.Event()
    settings = private_infrastructure.settings()
    running = asyncio.create_task(reference_gateway.run(settings, 0.0, frozenset(), "console", stopping))
    try:
        yield
    finally:
        stopping.set()
        await running


@dataclass
class Walk:
    """One walk through the console: a view (desktop or phone), a language, a loan of its own."""

    view: str
    language: str
    loan: LoanBooked
    problems: list[str] = field(default_factory=list)

    @property
    def viewport(self) -> ViewportSize:
        return VIEWS[self.view]

    def name(self, page: str) -> str:
        return f"console-{self.view}-{self.language}-{page}"


async def looked_at(page: Page, walk: Walk, name: str, axe: str) -> None:
    """Every page, as it stands and with everything folded opened (the options beyond the first,
    the earlier contacts, a plan's months): axe finds nothing, nothing is wider than the window,
    no raw code in its text; what is wrong is noted on the walk (all of it reported at the end)."""
    await page.wait_for_load_state("load")
    await shot(page, screenshot_path(SCREENSHOTS, walk.name(name)))
    where = f"{walk.view} {walk.language} {name} ({page.url})"
    await _checked(page, walk, where, axe)
    if await page.evaluate(UNFOLD):
        await _checked(page, walk, f"{where} unfolded", axe)
        await page.evaluate(FOLD_AGAIN)  # as the agent left it


UNFOLD = (
    "() => { const shut = [...document.querySelectorAll('details:not([open])')];"
    " shut.forEach(d => { d.open = true; d.dataset.unfolded = ''; }); return shut.length; }"
)
FOLD_AGAIN = (
    "() => document.querySelectorAll('details[data-unfolded]').forEach(d => { d.open = false; delete d.dataset.unfolded; })"
)


async def _checked(page: Page, walk: Walk, where: str, axe: str) -> None:
    for violation in await axe_violations(page, axe):
        walk.problems.append(f"{where}: axe {violation['rule']} ({violation['impact']}): {violation['nodes'][:3]}")
    if (overflow := await overflow_px(page)) > 0:
        walk.problems.append(f"{where}: {overflow} px wider than the window")
    if codes := raw_codes(await page.evaluate("() => document.body.innerText"), walk.language):
        walk.problems.append(f"{where}: raw codes {codes}")


async def signed_in(browser: Browser, base: str, key: str, walk: Walk, axe: str, *, look: bool) -> Page:
    """Signed in, in the walk's language, at its viewport (the language switch of the header)."""
    page = await console_page(browser, base, walk.viewport, blocked_by_csp)
    await page.goto("/console/sign-in")
    if walk.language != "en":
        await page.locator(f'button[name="lang"][value="{walk.language}"]').click()
        await expect(page.locator("html")).to_have_attribute("lang", walk.language)
    if look:
        await looked_at(page, walk, "01-sign-in", axe)
    await page.locator("#api_key").fill(key)
    await page.locator('main form[action$="/sign-in"] button[type="submit"]').click()
    await expect(page).not_to_have_url(re.compile(r"/sign-in$"))
    await the_header_fits(page, walk)
    return page


async def the_header_fits(page: Page, walk: Walk) -> None:
    """Sign out is on screen and the language switch ("中文", "English") is one line, as tall as
    Sign out (finding 5: on a phone it wrapped "中/文" and pushed Sign out off-screen)."""
    sign_out = await page.locator('form[action$="/sign-out"] button').bounding_box()
    language = await page.locator('button[name="lang"]').bounding_box()
    assert sign_out is not None
    assert language is not None
    if sign_out["x"] + sign_out["width"] > walk.viewport["width"] or language["height"] > sign_out["height"] + 1:
        walk.problems.append(f"{walk.view} {walk.language}: header: sign out {sign_out}, language {language}")


async def focus_is_on(page: Page, walk: Walk, after: str, message: str = "status-message") -> None:
    """What the action came to has the focus (console.js): the status message after a change, the
    refusal (#refusal-message, #approval-refusal) after a refused one."""
    await page.wait_for_load_state("load")
    focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
    if focused != message:
        walk.problems.append(f"{walk.view} {walk.language}: after {after} the focus is on {focused!r}, not #{message}")


def scheduled(event: BusinessDayClosed | ClockTicked) -> Envelope[Any]:
    return wrap(event, producer="scheduler", occurred_at=datetime.now(UTC))


async def book_overdue_loans(
    infrastructure: Infrastructure, kafka: KafkaTestClient, watcher: TopicWatcher, overdue_url: str, loans: list[LoanBooked]
) -> None:
    """Each loan booked, then one business day closed after their first due date, at NIGHT: all
    overdue, each overdue notice held through the borrower's quiet hours."""
    for loan in loans:
        await kafka.publish(wrap(loan, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
    for loan in loans:
        await wait_until_ok(f"{overdue_url}/v1/loans/{loan.loan_id}/overdue-status")
    await settled(infrastructure)
    # Each service keeps its own clock from ops.clock.v1, read apart from the status events:
    # notification's is at night before the close's notices reach it.
    night = scheduled(ClockTicked(at=NIGHT))
    await kafka.publish(night)
    await taken_in(infrastructure, "notification", night.event_id)
    await kafka.publish(scheduled(BusinessDayClosed(business_date=NIGHT.date(), closed_at=NIGHT)))
    ids = {loan.loan_id for loan in loans}

    def all_overdue(_: object) -> bool:
        return {event.loan_id for event in watcher.events("LoanBecameOverdue", lambda event: event.loan_id in ids)} == ids

    await watcher.wait_for(all_overdue, timeout=60)
    await settled(infrastructure)


def logged(**entry: str) -> Callable[[httpx.Response], bool]:
    """Whether a contact log (notification's answer) has an entry with these fields."""
    return lambda answer: any(entry.items() <= found.items() for found in answer.json()["entries"])


async def held_overnight_then_delivered(kafka: KafkaTestClient, notification_url: str, loans: list[LoanBooked]) -> None:
    """Each loan's overdue notice is held through the night; the MORNING's tick sends it and the
    reference gateway delivers it: the contact log holds both entries for the walk to read."""
    logs = [f"{notification_url}/v1/loans/{loan.loan_id}/contact-log" for loan in loans]
    for log in logs:
        await wait_until_ok(log, accept=logged(purpose="overdue_notice", decision="held", rule="quiet_hours"))
    await kafka.publish(scheduled(ClockTicked(at=MORNING)))
    for log in logs:
        await wait_until_ok(log, accept=logged(purpose="overdue_notice", decision="sent", channel="sms", receipt="delivered"))


async def owed_by_the_ledger(overdue_url: str, loan_id: uuid.UUID) -> Decimal:
    """What overdue-detection's query API says is owed today (its parts added up)."""
    status = (await wait_until_ok(f"{overdue_url}/v1/loans/{loan_id}/overdue-status")).json()
    return sum((Decimal(part["amount"]) for part in status["overdue_amounts"].values()), start=Decimal(0))


async def every_queue_row_is_the_ledgers(page: Page, overdue_url: str) -> None:
    """Each row of the queue's first page shows overdue-detection's live amount owed and days
    past due (finding 9), in the order of the days shown, and when the borrower may next be
    contacted."""
    await page.goto("/console/")
    rows = page.locator("tr[data-loan-id]")
    await expect(rows.first).to_be_attached()
    days_shown = []
    for index in range(await rows.count()):
        row = rows.nth(index)
        loan_id = uuid.UUID(str(await row.get_attribute("data-loan-id")))
        owed = row.locator("[data-owed-total]")
        assert await owed.get_attribute("data-source") == "ledger", loan_id
        assert Decimal(str(await owed.get_attribute("data-owed-total"))) == await owed_by_the_ledger(overdue_url, loan_id)
        status = (await wait_until_ok(f"{overdue_url}/v1/loans/{loan_id}/overdue-status")).json()
        days_shown.append(int(str(await row.locator("[data-days-past-due]").get_attribute("data-days-past-due"))))
        assert days_shown[-1] == status["days_past_due"], loan_id
        await expect(row.locator("[data-next-contact]")).not_to_have_attribute("data-next-contact", "")
    assert days_shown == sorted(days_shown, reverse=True)


async def queue_and_loan_page(page: Page, walk: Walk, axe: str, overdue_url: str) -> None:
    """Every row of the queue shows the ledger's figures; the queue finds the loan (no
    application yet: the filter by application state), the loan page's amount owed is the ledger's."""
    await every_queue_row_is_the_ledgers(page, overdue_url)
    loan_id = walk.loan.loan_id
    await page.locator("#q").fill(str(loan_id))
    await page.locator("#application_state").select_option("none")
    await page.locator('form.filters button[type="submit"]').click()
    row = page.locator(f'tr[data-loan-id="{loan_id}"]')
    await expect(row).to_have_count(1)
    await expect(row.locator("[data-last-contact]")).not_to_have_attribute("data-last-contact", "")  # the overdue notice
    await looked_at(page, walk, "02-queue", axe)
    await row.get_by_role("link").click()
    owed = page.locator("#summary [data-owed-total]")
    await expect(owed).to_have_count(1)
    assert Decimal(str(await owed.get_attribute("data-owed-total"))) == await owed_by_the_ledger(overdue_url, loan_id)
    assert await owed.get_attribute("data-source") == "ledger"
    columns = await page.locator(".columns > section").evaluate_all("(all) => all.map((s) => s.getBoundingClientRect().left)")
    if walk.view == "phone" and len(set(columns)) > 1:
        walk.problems.append(f"phone {walk.language}: the loan page's columns do not stack: {columns}")
    await the_contact_log_says_it_in_words(page, walk)
    await looked_at(page, walk, "03-loan", axe)


async def the_contact_log_says_it_in_words(page: Page, walk: Walk) -> None:
    """The overdue notice held through the quiet hours, until when (the zone named), and sent by
    SMS and delivered (when, the zone named): each in the walk's language, no code (finding 6)."""
    words = CONTACT_WORDS[walk.language]
    rows = page.locator("table.contacts tbody tr")
    held = rows.filter(has=page.locator(".decision-held"))
    await expect(held).to_have_count(1)
    await expect(held.locator(".decision-held")).to_have_text(words["held"])
    await expect(held).to_contain_text(words["until"])
    await expect(held).to_contain_text(words["quiet_hours"])
    await expect(held).to_contain_text(words["sms"])
    delivered = rows.filter(has=page.locator(".decision-sent")).filter(has_text=words["delivered"])
    await expect(delivered).to_have_count(1)
    await expect(delivered).to_contain_text(words["sms"])
    for cell in (delivered.locator("td").first, delivered.locator("td").last):  # decided, and delivered, at
        await expect(cell).to_contain_text(words["zone"])


async def open_and_submit_an_application(page: Page, walk: Walk, axe: str, proof: Path) -> uuid.UUID:
    """An unemployed borrower with CNY 252.50 a month to spare: within the agent's authority
    nothing is affordable, a supervisor's deeper waiver is (as in test_console.py)."""
    await page.locator("#reason").select_option("unemployment")
    await page.locator("#description").fill("Laid off in January")
    await page.locator("#monthly_income").fill("2252.50")
    await page.locator("#essential_expenses").fill("2000")
    await page.locator('form[action$="/applications"] button[type="submit"]').click()
    await expect(page).to_have_url(re.compile(r"/console/applications/[0-9a-f-]{36}$"))
    await focus_is_on(page, walk, "opening the application")
    application_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    await page.locator("form.submit-form button").click()  # no verified proof yet: the API refuses it
    await expect(page.get_by_role("alert")).to_have_count(1)
    await focus_is_on(page, walk, "a refused submission", "refusal-message")
    await page.locator("#kind").select_option("unemployment_proof")
    await page.locator("#file").set_input_files(str(proof))
    await page.locator('form[action$="/evidence"] button[type="submit"]').click()
    await expect(page.locator(".document object")).to_have_count(1)
    await focus_is_on(page, walk, "the upload")
    await page.locator('input[id^="note-"]').fill("Unemployment certificate from the local labour bureau")
    await page.locator('button[name="verified"][value="true"]').click()
    await expect(page.locator(".document .doc-verified")).to_have_count(1)
    await looked_at(page, walk, "04-application-draft", axe)
    await page.locator("form.submit-form button").click()
    return application_id


async def the_offer_adds_up(page: Page, walk: Walk, axe: str, offer: PlanOffered) -> None:
    """Each option's months add up to its total from now on; no option is named by its code."""
    options = page.locator("[data-option-id]")
    regular_counted: list[bool] = []
    await expect(options).to_have_count(len(offer.options), timeout=30_000)  # the page reloads while it waits
    for index in range(await options.count()):
        shown = options.nth(index)
        option_id = await shown.get_attribute("data-option-id")
        months = [
            Decimal(amount)
            for amount in await shown.locator("[data-month-amount]").evaluate_all(
                "(months) => months.map((month) => month.dataset.monthAmount)"
            )
        ]
        assert months, f"option {option_id} shows no months"
        assert sum(months, start=Decimal(0)) == Decimal(str(await shown.get_attribute("data-total-from-now"))), option_id
        # Against the offer itself: an extension replaces the schedule, so it pays its own lines;
        # an arrears plan pays its lines, the regular installments due beside them and those after.
        option = next(option for option in offer.options if option.option_id == option_id)
        # Pays per month: the largest month of the plan, the figure plan-calculation judged and
        # wrote the share of (tideover_contracts.outflow); the months after the plan are the loan's.
        pays = Decimal(str(await shown.get_attribute("data-pays-per-month")))
        assert pays == option.outflow(offer.basis_business_date).pays_per_month == max(months[: option.months]), option_id
        own = sum((line.total.amount for line in option.schedule), start=Decimal(0))
        beside = sum((installment.amount.amount for installment in option.continuing_installments), start=Decimal(0))
        total = sum(months, start=Decimal(0))
        if option.plan_effect is PlanEffect.RESCHEDULE:
            assert total == own, option_id
        else:
            assert total >= own + beside, option_id
            regular_counted.append(total > own)
            # Overdue detection answers: the regular installments are its live schedule, not a copy.
            assert await shown.get_attribute("data-regular-installments") == "ledger", option_id
    assert {option.plan_effect for option in offer.options} >= {PlanEffect.ARREARS, PlanEffect.RESCHEDULE}
    assert any(regular_counted), "no arrears option counts the regular installments that keep running"
    text = await page.evaluate("() => document.body.innerText")
    labels = await page.locator("[aria-label]").evaluate_all("(all) => all.map((e) => e.getAttribute('aria-label'))")
    for option in offer.options:
        if option.option_id in text or any(option.option_id in label for label in labels):
            walk.problems.append(f"{walk.view} {walk.language}: the option {option.option_id} is named by its code")
    await looked_at(page, walk, "05-offer", axe)


#: What the supervisor says refusing the option first chosen, and approving it when chosen again.
REFUSAL_NOTE = "The income proof is a year old: ask for this month's"
APPROVAL_NOTE = "Hardship proven; the waiver keeps the plan affordable"


async def choose(page: Page, option_id: str) -> None:
    await page.locator(f'[data-option-id="{option_id}"] form[action$="/choice"] button[type="submit"]').click()
    await expect(page.locator("#status-message")).to_have_count(1)


async def supervisor_decides(page: Page, walk: Walk, axe: str, application_id: uuid.UUID, *, approve: bool) -> None:
    """The supervisor's queue shows what the decision needs; the refusal or the approval, said
    where the focus lands."""
    await page.goto("/console/supervisor")
    item = page.locator(f'tr[data-application-id="{application_id}"]')
    await expect(item).to_have_count(1)
    assert Decimal(str(await item.locator("[data-disposable-income]").get_attribute("data-disposable-income"))) == Decimal(
        "252.50"
    )
    await expect(item.locator(".chosen-option [data-percent]")).to_have_count(1)
    if not approve:
        await looked_at(page, walk, "07-supervisor-queue", axe)
    await item.locator(f"#note-{application_id}").fill(APPROVAL_NOTE if approve else REFUSAL_NOTE)
    await item.locator(f'button[name="approved"][value="{"true" if approve else "false"}"]').click()
    await focus_is_on(page, walk, "the approval" if approve else "the refusal")


async def the_refusal_is_shown_and_chosen_again(
    page: Page, walk: Walk, axe: str, application_id: uuid.UUID, option_id: str
) -> None:
    """The agent's page says the supervisor refused the option, with the note, and the focus is
    on it (findings 4 and 8); the agent chooses again with the borrower."""
    await page.goto(f"/console/applications/{application_id}")
    await expect(page.locator("#approval-refusal")).to_contain_text(REFUSAL_NOTE)
    await expect(page.locator(f'[data-option-id="{option_id}"].refused')).to_have_count(1)
    await focus_is_on(page, walk, "a supervisor's refusal", "approval-refusal")
    await looked_at(page, walk, "08-approval-refused", axe)
    await choose(page, option_id)
    await focus_is_on(page, walk, "choosing again")


async def the_queue_filters_by_application_state(page: Page, loan_id: uuid.UUID) -> None:
    """The loan whose option waits for a supervisor is found by that state, and by no other."""
    row = page.locator(f'tr[data-loan-id="{loan_id}"]')
    await page.goto(f"/console/?q={loan_id}&application_state=awaiting_approval")
    await expect(row).to_have_count(1)
    await expect(row.locator("[data-application]")).to_have_attribute("data-application", "state_awaiting_approval")
    await page.goto(f"/console/?q={loan_id}&application_state=offered")
    await expect(row).to_have_count(0)


async def walk_the_console(
    walk: Walk, browser: Browser, running: dict[str, ServiceProcess], watcher: TopicWatcher, keys: dict[Role, str], proof: Path
) -> None:
    """Queue, loan, application (a refused submission), offer, Choose, the supervisor's refusal,
    Choose again, the approval, Send, a page the agent's role may not open."""
    axe = axe_source(AXE)
    intake = running["negotiation_intake"].url
    agent = await signed_in(browser, intake, keys[Role.AGENT], walk, axe, look=True)
    await queue_and_loan_page(agent, walk, axe, running["overdue_detection"].url)
    application_id = await open_and_submit_an_application(agent, walk, axe, proof)
    offer: PlanOffered = await watcher.wait_for_event("PlanOffered", lambda event: event.application_id == application_id)
    await the_offer_adds_up(agent, walk, axe, offer)
    recommended = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
    chosen = recommended if recommended.needs_supervisor else next(o for o in offer.options if o.needs_supervisor)
    await choose(agent, chosen.option_id)
    await focus_is_on(agent, walk, "Choose")
    await looked_at(agent, walk, "06-chosen", axe)
    await the_queue_filters_by_application_state(agent, walk.loan.loan_id)
    supervisor = await signed_in(browser, intake, keys[Role.SUPERVISOR], walk, axe, look=False)
    await supervisor_decides(supervisor, walk, axe, application_id, approve=False)
    await the_refusal_is_shown_and_chosen_again(agent, walk, axe, application_id, chosen.option_id)
    await supervisor_decides(supervisor, walk, axe, application_id, approve=True)
    await supervisor.goto("/console/audit")
    await looked_at(supervisor, walk, "09-audit", axe)
    await supervisor.context.close()
    await agent.goto(f"/console/applications/{application_id}")
    await agent.locator('form[action$="/sending"] button[type="submit"]').click()
    await expect(agent.locator('form[action$="/confirmation"]')).to_have_count(1)
    await focus_is_on(agent, walk, "Send")
    await looked_at(agent, walk, "10-sent", axe)
    response = await agent.goto("/console/supervisor")  # an agent's role may not open it
    assert response is not None
    assert response.status == 403
    await focus_is_on(agent, walk, "a page the role may not open", "refusal-message")
    await looked_at(agent, walk, "11-refused", axe)
    await agent.context.close()


async def test_the_console_at_a_desktop_and_a_phone_in_english_and_chinese(
    private_infrastructure: Infrastructure, running: dict[str, ServiceProcess], gateway: None, browser: Browser, tmp_path: Path
) -> None:
    infrastructure = private_infrastructure
    walks = [
        Walk(view, language, loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15)))
        for view in VIEWS
        for language in LANGUAGES
    ]
    proof = tmp_path / "labour-bureau-certificate.pdf"
    proof.write_bytes(PROOF_PDF)
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        overdue_url = running["overdue_detection"].url
        await book_overdue_loans(infrastructure, kafka, watcher, overdue_url, [walk.loan for walk in walks])
        await held_overnight_then_delivered(kafka, running["notification"].url, [walk.loan for walk in walks])
        keys = {
            Role.AGENT: await issue_key(infrastructure.database_url, "agent-042", Role.AGENT),
            Role.SUPERVISOR: await issue_key(infrastructure.database_url, "supervisor-007", Role.SUPERVISOR),
        }
        for walk in walks:
            await wait_until_ok(
                f"{running['negotiation_intake'].url}/v1/loans/{walk.loan.loan_id}", headers={"X-API-Key": keys[Role.AGENT]}
            )
        for walk in walks:
            await walk_the_console(walk, browser, running, watcher, keys, proof)
    problems = [problem for walk in walks for problem in walk.problems]
    assert problems == [], "\n".join(problems)
