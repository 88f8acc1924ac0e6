"""The borrowers who ask for help on their own page (issue 21) instead of through the agent, as a
phone's browser does it: the link from the last text that carried one, then *I need help* (the
form with the proof the agent uploads for its own, then the change code from the SMS), *My
options* (the recommended card, then its code) and *My plan* (the written plan's code).

A day's steps come in the simulation's order: a form is sent while the agent works
(`act`); the change code it asked for reaches the phone once the day is settled, and is entered
then (`enter_code`), in the same session (the page binds a pending change to it; the business
clock has not moved); the written plan's code is entered with the others' (`confirm`). The agent
meanwhile verifies and submits the application and a supervisor approves (agent.py).

A step the page did not take — no answer, a refusal, a limit, a code that did not come — is tried
again the next simulated day, as the agent's steps are; a link the page refused (expired) is
forgotten until a new text brings another.

Each phone has its own address, sent as X-Forwarded-For (intake trusts it from 127.0.0.1, where
the simulator runs: uvicorn's forwarded_allow_ips), so that the page's limits per address count
one borrower, as they would for borrowers on their own phones.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx

from tideover_simulator.agent import Case
from tideover_simulator.clients import page_client
from tideover_simulator.page_forms import csrf_of, forms_of, recommended_choice
from tideover_simulator.phones import Phones
from tideover_testkit.journeys import PROOF_PDF

PAGE = "/b"
#: The phones' addresses: RFC 2544's benchmarking range, never a real borrower's.
PHONES_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
#: Where a change waits for its code: the section whose code form takes it.
HELP, OPTIONS = "help", "options"
#: What the agent's borrowers tell the agent (agent.py), said on the page.
DESCRIPTION = "Lost the job; looking for work (simulated borrower, on the borrower's page)."


def phone_address(loan_id: uuid.UUID) -> str:
    """The address the borrower's phone browses from."""
    offset = loan_id.int % PHONES_NETWORK.num_addresses
    return str(PHONES_NETWORK.network_address + offset)


@dataclass
class _Visit:
    """A session on the page: the phone's browser (with its cookie) and the form token."""

    browser: httpx.AsyncClient
    csrf: str


class PageBorrower:
    """Every page borrower's phone on intake's page at `intake`; `phones`: what they received;
    `failed`: where a request that failed is noted (the simulation's failed calls); `not_taken`:
    where a step left for the next day is counted, by why (the run's figures)."""

    def __init__(self, intake: str, phones: Phones, failed: list[str], not_taken: Counter[str]) -> None:
        self._intake, self._phones, self._failed, self._not_taken = intake, phones, failed, not_taken
        #: The sessions kept open while a change waits for its code: by loan, with the section.
        self._waiting: dict[uuid.UUID, tuple[_Visit, str]] = {}

    def has_link(self, loan_id: uuid.UUID) -> bool:
        return self._phones.link(loan_id) is not None

    @property
    def waiting(self) -> bool:
        """Whether a change waits for a code that is on its way."""
        return bool(self._waiting)

    async def act(self, case: Case) -> None:
        """The borrower's step on the page today, if the application is where they take one."""
        if case.application_id is None and case.state == "none":
            await self._ask_for_help(case)
        elif case.state == "offered":
            await self._choose(case)

    async def enter_code(self, case: Case) -> None:
        """The change code the SMS brought, entered where the change waits for it."""
        loan_id = case.borrower.loan_id
        if loan_id not in self._waiting:
            return
        visit, section = self._waiting.pop(loan_id)
        try:
            code = self._phones.change_code(loan_id)
            if code is None:
                self._note(f"no change code reached the phone ({section})")
                return
            # The code form as the section shows it: its hidden fields name the change it confirms.
            shown = await self._get(visit, f"{PAGE}/{section}")
            action = f"{PAGE}/{section}/code"
            form = next((f for f in forms_of(shown.text) if f.action == action), None) if shown else None
            if form is None:
                self._note(f"{section} shows no code form")
                return
            entered = await self._post(visit, action, {**form.hidden, "code": code})
            done = _done(entered)
            if section == HELP and done == "applied":
                case.state = "applied"  # the agent finds the application (agent.py)
            elif section == OPTIONS and done in ("plan_sent", "awaiting_approval"):
                case.state = "sent" if done == "plan_sent" else "awaiting_approval"
            elif entered is not None:
                self._note(f"{section} code refused: {entered.status_code}")
        finally:
            await visit.browser.aclose()

    async def confirm(self, case: Case) -> None:
        """The written plan's code entered under *My plan*."""
        code = self._phones.written_plan_code(case.borrower.loan_id)
        if case.state != "sent" or code is None:
            return
        visit = await self._open(case)
        if visit is None:
            return
        try:
            plan = await self._get(visit, f"{PAGE}/plan")
            form = next((f for f in forms_of(plan.text) if f.action == f"{PAGE}/plan/confirmation"), None) if plan else None
            if form is None:
                self._note("My plan shows no confirmation form")
                return
            confirmed = await self._post(visit, f"{PAGE}/plan/confirmation", {**form.hidden, "code": code})
            if _done(confirmed) == "confirmed":
                case.state = "accepted"
            else:
                self._note(f"written plan code refused: {confirmed.status_code if confirmed else 'no answer'}")
        finally:
            await visit.browser.aclose()

    async def aclose(self) -> None:
        for visit, _ in self._waiting.values():
            await visit.browser.aclose()
        self._waiting.clear()

    # The steps ------------------------------------------------------------------------------

    async def _ask_for_help(self, case: Case) -> None:
        """*I need help*: the form with the proof; then the code is awaited."""
        borrower = case.borrower
        fields = {
            "reason": "unemployment",
            "monthly_income": str(borrower.monthly_income),
            "essential_expenses": str(borrower.essential_expenses),
            "description": DESCRIPTION,
        }
        files = {"files": ("certificate.pdf", PROOF_PDF, "application/pdf")}
        await self._send_for_code(case, HELP, f"{PAGE}/help", fields, files)

    async def _choose(self, case: Case) -> None:
        """*My options*: the recommended card (or, where the page shows none, the recommended option
        of the offer the agent read); then the code is awaited."""
        visit = await self._open(case)
        if visit is None:
            return
        options = await self._get(visit, f"{PAGE}/options")
        choice = recommended_choice(options.text, f"{PAGE}/options/choose") if options else None
        if choice is None and case.offer is not None:
            choice = (case.offer["offer_id"], case.offer["recommended_option_id"])
        if choice is None:
            await visit.browser.aclose()
            return
        fields = {"offer_id": choice[0], "option_id": choice[1]}
        await self._send_for_code(case, OPTIONS, f"{PAGE}/options/choose", fields, visit=visit)

    async def _send_for_code(
        self,
        case: Case,
        section: str,
        action: str,
        fields: dict[str, str],
        files: dict[str, tuple[str, bytes, str]] | None = None,
        visit: _Visit | None = None,
    ) -> None:
        """Send a form that asks for a change code; keep the session until the code is entered."""
        visit = visit or await self._open(case)
        if visit is None:
            return
        loan_id = case.borrower.loan_id
        self._phones.forget_change_code(loan_id)
        sent = await self._post(visit, action, fields, files)
        done = _done(sent)
        if done == "code_sent":
            self._waiting[loan_id] = (visit, section)
            return
        await visit.browser.aclose()
        if section == HELP and sent is not None and sent.status_code == 409:
            case.state = "applied"  # an application is open already (a code entered before got no answer)
        else:
            self._note(f"{action}: {sent.status_code if sent else 'no answer'}")

    # The browser ----------------------------------------------------------------------------

    async def _open(self, case: Case) -> _Visit | None:
        """The link from the last text that carried one, opened: a session, and its form token."""
        loan_id = case.borrower.loan_id
        token = self._phones.link(loan_id)
        if token is None:
            return None
        # The link's token at the intake this run talks to: notification signs links to the page's
        # public address (TIDEOVER_BORROWER_PAGE_URL), which a test's intake may not answer on.
        browser = page_client(self._intake, self._failed, {"X-Forwarded-For": phone_address(loan_id)})
        opened = await self._get_with(browser, f"{PAGE}/{token}", f"{PAGE}/<token>")
        if opened is not None and opened.status_code == 404:
            self._phones.forget_link(token, loan_id)
        page = await self._get_with(browser, f"{PAGE}/") if opened is not None and opened.status_code == 303 else None
        csrf = csrf_of(page.text) if page is not None else None
        if csrf is None:
            self._note(f"link not opened: {opened.status_code if opened else 'no answer'}")
            await browser.aclose()
            return None
        return _Visit(browser, csrf)

    async def _get(self, visit: _Visit, path: str) -> httpx.Response | None:
        return await self._get_with(visit.browser, path)

    async def _get_with(self, browser: httpx.AsyncClient, path: str, named: str | None = None) -> httpx.Response | None:
        """The page at `path` (`named` so in the notes: never a link's token), or None if it did not
        answer (a 404 is an answer: a link refused, a section not there)."""
        try:
            response = await browser.get(path)
        except httpx.HTTPError as error:
            self._note(f"GET {named or path}: {type(error).__name__}")
            return None
        if response.status_code not in (200, 303, 404):
            self._note(f"GET {named or path}: {response.status_code}")
            return None
        return response

    async def _post(
        self, visit: _Visit, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None
    ) -> httpx.Response | None:
        try:
            return await visit.browser.post(path, data={"csrf": visit.csrf, **fields}, files=files)
        except httpx.HTTPError as error:
            self._note(f"POST {path}: {type(error).__name__}")
            return None

    def _note(self, why: str) -> None:
        self._not_taken[why] += 1


def _done(response: httpx.Response | None) -> str | None:
    """What a form's redirect says was done (`?done=`), if it redirected."""
    if response is None or response.status_code != 303:
        return None
    done = httpx.URL(response.headers.get("location", "")).params.get("done")
    return str(done) if done is not None else None
