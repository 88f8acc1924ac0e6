"""The security review's findings on the borrower's page (issue 21), as rules and on the fakes:
a change's wrong tries carry over its new codes; a loan is sent no more change codes in any 24
hours than notification sends (the contracts' one figure); an IPv6 client is limited by its /64;
the confirmation's idempotency fingerprint is keyed with the server's secret; a body over the
door's limit on a page is answered with a page (HTML) in its style and language."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.middleware import Middleware

from negotiation_intake.adapters import idempotency
from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.memory import MemoryPendingChanges
from negotiation_intake.application.borrower_changes import ChangeFile, Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import applying_for_help, hardship_details
from negotiation_intake.application.errors import TooManyTriesError
from negotiation_intake.domain.borrower_changes import CODE_TRIES, ChangeKind, PendingChange
from negotiation_intake.domain.borrower_limits import CODES_A_DAY_PER_LOAN, client_subject, code_wait_seconds
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.console import CONSOLE_POLICY
from negotiation_intake.entrypoints.door import Door
from negotiation_intake.entrypoints.too_large import page_too_large
from tideover_contracts.events.negotiation import BorrowerCodeRequested, HardshipReason
from tideover_contracts.policy import CHANGE_CODE_DAY, CHANGE_CODES_A_DAY
from tideover_runtime.clock import SystemClock
from tideover_runtime.http import build_http_app
from tideover_testkit.journeys import PROOF_PDF

from .intake_world import SECRET, World
from .test_door import Kept, authenticate

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


class TestClientSubject:
    @pytest.mark.parametrize(
        ("address", "subject"),
        [
            ("203.0.113.9", "203.0.113.9"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
            ("fe80::1%eth0", "fe80::/64"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
            ("unknown", "unknown"),
        ],
    )
    def test_an_ipv6_client_is_its_64(self, address: str, subject: str) -> None:
        assert client_subject(address) == subject

    def test_two_addresses_of_one_64_are_one_client_and_of_two_are_two(self) -> None:
        assert client_subject("2001:db8:0:1::a") == client_subject("2001:db8:0:1:ffff::b")
        assert client_subject("2001:db8:0:1::a") != client_subject("2001:db8:0:2::a")


class TestCodesADay:
    def test_intake_asks_for_as_many_as_notification_sends_in_the_same_window(self) -> None:
        assert (CODES_A_DAY_PER_LOAN.tries, CODES_A_DAY_PER_LOAN.window) == (CHANGE_CODES_A_DAY, CHANGE_CODE_DAY)
        assert CHANGE_CODES_A_DAY == 10  # a whole journey on the page: help, a choice or two, contact, resends

    def test_the_window_slides_from_the_oldest_code_in_it(self) -> None:
        asked = [AT + timedelta(hours=hours) for hours in range(CHANGE_CODES_A_DAY)]
        after = AT + timedelta(hours=CHANGE_CODES_A_DAY)

        assert code_wait_seconds(asked[:-1], after) is None
        assert code_wait_seconds(asked, after) == (24 - CHANGE_CODES_A_DAY) * 3600  # the first leaves at 24 h
        assert code_wait_seconds(asked, AT + timedelta(hours=24)) is None
        # a fixed window from the first code would have allowed a whole day's more at 24 h: not a slide
        assert code_wait_seconds([*asked[1:], AT + timedelta(hours=24)], AT + timedelta(hours=24, minutes=1)) == 3540


class Page:
    """A borrower's page on the fakes: the intake world, the pending changes, one overdue loan."""

    def __init__(self) -> None:
        self.world = World()
        self.changes = MemoryPendingChanges()

    async def pending(self, loan_id: uuid.UUID | None = None) -> PendingChange:
        loan_id = loan_id or await self.world.overdue_loan()
        details = hardship_details(HardshipReason.ILLNESS, Decimal("3000.00"), Decimal("2500.00"), "CNY", "in hospital")
        change = PendingChange(
            uuid.uuid4(), loan_id, "B-000123", "s" * 64, ChangeKind.HARDSHIP_APPLICATION, details, self.world.clock.now()
        )
        await self.changes.add(change, [ChangeFile("scan.pdf", "medical_record", PROOF_PDF)])
        return change

    async def send(self, change: PendingChange) -> str:
        kept = await self.changes.get(change.change_id)
        return await send_code(self.changes, self.world.outbox, self.world.clock, kept or change, SECRET)

    async def enter(self, change: PendingChange, code: str) -> Confirmed:
        apply = applying_for_help(self.world.store, self.world.clock, checked_document)
        now = self.world.clock.now()
        return await confirm_change(self.changes, now, change.change_id, change.session_key, code, SECRET, apply)

    def codes_sent(self) -> int:
        return sum(isinstance(staged.event, BorrowerCodeRequested) for staged in self.world.outbox.staged)


@pytest.fixture
def page() -> Page:
    return Page()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestAChangesTries:
    async def test_carry_over_its_new_codes_so_a_change_allows_code_tries_wrong_tries_in_all(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)
        for _ in range(CODE_TRIES - 1):
            await page.enter(change, wrong(code))
        code = await page.send(change)  # a new code: the tries used stay used
        await page.enter(change, wrong(code))
        code = await page.send(change)

        kept = await page.changes.get(change.change_id)
        assert kept is not None
        assert kept.code_tries == CODE_TRIES
        assert await page.enter(change, code) == Confirmed(None)  # even the right one: locked
        assert await page.world.store.applications_for_loan(change.loan_id) == []


class TestCodesForALoan:
    async def test_stop_at_notifications_figure_in_any_24_hours_whatever_the_change(self, page: Page) -> None:
        loan_id = await page.world.overdue_loan()
        for _ in range(CHANGE_CODES_A_DAY):
            await page.send(await page.pending(loan_id))  # a new change each time: another session's, say
            page.world.later(minutes=30)

        with pytest.raises(TooManyTriesError) as refused:
            await page.send(await page.pending(loan_id))

        assert refused.value.rule == CODES_A_DAY_PER_LOAN.scope
        assert refused.value.retry_after == (24 * 60 - CHANGE_CODES_A_DAY * 30) * 60  # until the first is a day old
        assert page.codes_sent() == CHANGE_CODES_A_DAY  # nothing more asked of notification
        page.world.later(seconds=refused.value.retry_after)
        await page.send(await page.pending(loan_id))
        assert page.codes_sent() == CHANGE_CODES_A_DAY + 1

    async def test_of_another_loan_are_not_counted(self, page: Page) -> None:
        loan_id = await page.world.overdue_loan()
        for _ in range(CHANGE_CODES_A_DAY):
            await page.send(await page.pending(loan_id))

        await page.send(await page.pending())
        assert page.codes_sent() == CHANGE_CODES_A_DAY + 1


class TestTheIdempotencyFingerprint:
    BODY = b'{"application_id": "0b6e4c1e-5a57-4a8e-9d7a-2f1b1b1b1b1b", "code": "482913"}'

    def test_of_a_body_with_a_code_is_not_its_plain_hash_and_needs_the_secret(self) -> None:
        keyed = idempotency.fingerprint("POST", "/v1/borrower/confirmations", self.BODY, SECRET)
        plain = hashlib.sha256(b"\n".join([b"POST", b"/v1/borrower/confirmations", self.BODY])).hexdigest()

        assert keyed != plain
        assert plain not in keyed
        assert keyed != idempotency.fingerprint("POST", "/v1/borrower/confirmations", self.BODY, b"another secret")

    def test_is_the_same_for_the_same_body_so_a_repeat_replays(self) -> None:
        first = idempotency.fingerprint("POST", "/v1/borrower/confirmations", self.BODY, SECRET)
        again = idempotency.fingerprint("POST", "/v1/borrower/confirmations", self.BODY, SECRET)
        other = idempotency.fingerprint("POST", "/v1/borrower/confirmations", self.BODY.replace(b"482913", b"482914"), SECRET)

        assert first == again != other


LIMIT = 1000


def pages_behind_the_door(kept: Kept) -> FastAPI:
    app = build_http_app("tiny", {})

    @app.post("/b/help")
    async def help_form(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    @app.post("/console/applications/{application_id}/evidence")
    async def upload(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    @app.post("/v1/things")
    async def things(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    door = Middleware(
        Door,
        authenticate=authenticate,
        refusals=kept,
        clock=SystemClock,
        body_limit=lambda *_: LIMIT,
        too_large=page_too_large,
    )
    app.user_middleware.append(door)
    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=pages_behind_the_door(Kept()), client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        yield client


class TestTooLarge:
    async def test_on_the_borrowers_page_is_its_page_in_the_borrowers_language(self, http: httpx.AsyncClient) -> None:
        answer = await http.post("/b/help", content=b" " * (LIMIT + 1), headers={"Accept-Language": "zh-CN"})

        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["content-security-policy"] == CONSOLE_POLICY
        assert Words("zh-CN")("too_large_title") in answer.text
        assert '<html lang="zh-CN">' in answer.text
        assert "/b/static/borrower.css" in answer.text

    async def test_on_the_console_is_the_consoles_error_page(self, http: httpx.AsyncClient) -> None:
        path = f"/console/applications/{uuid.uuid4()}/evidence"
        answer = await http.post(path, content=b" " * (LIMIT + 1), headers={"Accept-Language": "en"})

        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert "larger than the console takes" in answer.text
        assert "/console/static/console.css" in answer.text

    async def test_on_the_api_is_problem_json_and_within_the_limit_everything_is_read(self, http: httpx.AsyncClient) -> None:
        over = await http.post("/v1/things", content=b" " * (LIMIT + 1), headers={"X-API-Key": "good"})
        within = await http.post("/b/help", content=b" " * LIMIT)

        assert (over.status_code, over.headers["content-type"]) == (413, "application/problem+json")
        assert (within.status_code, within.json()) == (200, {"read": LIMIT})
