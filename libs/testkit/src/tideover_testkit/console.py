"""The agents' console in a real browser, for the e2e tests: Debian's Chromium driven by
Playwright (never a downloaded browser), a signed-in page at a given viewport, screenshots, and
what every console page is checked for (issue 20): axe-core finds no accessibility violation,
nothing is wider than the window, no raw code shows in the text."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from tideover_testkit.processes import ServiceProcess

if TYPE_CHECKING:
    from tideover_testkit.fixtures import Infrastructure

#: The services the console's loan page asks, beside intake.
OTHERS = ("overdue_detection", "notification", "plan_calculation", "repayment_tracking")
LAPTOP = ViewportSize(width=1366, height=768)
PHONE = ViewportSize(width=390, height=844)
#: A code in snake case (overdue_notice, quiet_hours, awaiting_approval) is never shown as such.
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: Codes of one word each that a page once showed untranslated (channel, decision, receipt,
#: state): in a Chinese page they are raw codes wherever they appear; in an English one, a channel.
ONE_WORD_CODES = re.compile(
    r"\b(sms|email|push|sent|held|suppressed|delivered|failed|draft|submitted|offered|chosen|accepted|declined"
    r"|expired|withdrawn|rejected|active|broken|completed|unemployment|overdue|cured)\b"
)
CHANNELS = re.compile(r"\b(sms|email|push)\b")


def start_intake(infrastructure: Infrastructure, logs: Path, others: dict[str, ServiceProcess]) -> ServiceProcess:
    """Intake, told where the other services' query APIs are (the loan page asks them)."""
    urls = {"overdue_detection": "OVERDUE", "notification": "NOTIFICATION", "repayment_tracking": "TRACKING"}
    extra = {f"TIDEOVER_{name}_URL": others[module].url for module, name in urls.items() if module in others}
    return ServiceProcess("negotiation_intake", infrastructure.service_env(), logs).start(extra_env=extra)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's chromium, headless; the test fails if it is not installed (make browser)."""
    executable = shutil.which("chromium")
    if executable is None:
        raise AssertionError("Debian's chromium is needed (apt-get install chromium); make browser installs it")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def console_page(browser: Browser, base: str, viewport: ViewportSize, blocked_by_csp: list[str]) -> Page:
    """A page of its own browser context at `viewport`; what the Content-Security-Policy blocks
    is appended to `blocked_by_csp`."""
    context = await browser.new_context(viewport=viewport, base_url=base)
    page = await context.new_page()
    page.on("console", lambda message: blocked_by_csp.append(message.text) if "Content Security Policy" in message.text else None)
    return page


def screenshot_path(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}.png"


async def shot(page: Page, path: Path) -> Path:
    """The whole page as a PNG at `path` (see screenshot_path)."""
    await page.screenshot(path=str(path), full_page=True)
    return path


def axe_source(path: Path) -> str:
    """axe-core's script, installed by deploy/browser/axe.sh (make browser)."""
    if not path.is_file():
        raise AssertionError(f"axe-core is needed at {path}: make browser (deploy/browser/axe.sh) installs it")
    return path.read_text(encoding="utf-8")


async def axe_violations(page: Page, axe: str) -> list[dict[str, Any]]:
    """What axe-core (`axe`, its script: axe_source) finds wrong with the page as it stands: each
    violation's rule, impact, help and the elements it found. The script is evaluated through the DevTools protocol, which the
    console's Content-Security-Policy (scripts of the console's own origin only) does not govern:
    a <script> tag of its text would be refused, and rightly."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe)
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                rule: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
            }));
        }"""
    )
    return violations


async def overflow_px(page: Page) -> int:
    """How much wider than the window the page is (0: no sideways scrolling)."""
    overflow: int = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return max(overflow, 0)


def raw_codes(text: str, language: str) -> list[str]:
    """The codes in a page's rendered text that should have been words."""
    found = SNAKE_CASE.findall(text)
    found += (ONE_WORD_CODES if language != "en" else CHANNELS).findall(text)
    return sorted(set(found))
