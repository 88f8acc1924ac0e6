"""The borrower's change code on the fakes (domain/borrower_changes.py, application/
borrower_changes.py, application/borrower_help.py): a code made and sent through
BorrowerCodeRequested (secret in the outbox), kept only as its HMAC; the right code applies the
pending hardship application once, made as the console makes one, from the borrower's page; a
wrong, expired, locked or other session's code is refused alike and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.memory import MemoryPendingChanges
from negotiation_intake.application.borrower_changes import ChangeFile, Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import BORROWER_PAGE, applying_for_help, hardship_details
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import CODE_TRIES, CODE_VALID_MINUTES, ChangeKind, ChangeState, PendingChange
from negotiation_intake.domain.statuses import DocumentStatus
from tideover_contracts.events.negotiation import BorrowerCodeRequested, HardshipReason
from tideover_testkit.journeys import PROOF_PDF

from .intake_world import SECRET, World

SESSION = "a" * 64


class Page:
    """A borrower's page on the fakes: the intake world, the pending changes, one loan."""

    def __init__(self) -> None:
        self.world = World()
        self.changes = MemoryPendingChanges()

    async def pending(self, files: int = 1, session: str = SESSION) -> PendingChange:
        loan_id = await self.world.overdue_loan()
        details = hardship_details(HardshipReason.INCOME_REDUCTION, Decimal("4200.00"), Decimal("2600.00"), "CNY", "shop closed")
        change = PendingChange(
            uuid.uuid4(), loan_id, "B-000123", session, ChangeKind.HARDSHIP_APPLICATION, details, self.world.clock.now()
        )
        await self.changes.add(change, [ChangeFile(f"payslip-{n}.pdf", "income_proof", PROOF_PDF) for n in range(files)])
        return change

    async def send(self, change: PendingChange) -> str:
        return await send_code(self.changes, self.world.outbox, self.world.clock, change, SECRET)

    async def enter(self, change: PendingChange, code: str, session: str = SESSION) -> Confirmed:
        apply = applying_for_help(self.world.store, self.world.clock, checked_document)
        return await confirm_change(self.changes, self.world.clock.now(), change.change_id, session, code, SECRET, apply)

    async def applications(self, change: PendingChange) -> list[object]:
        return list(await self.world.store.applications_for_loan(change.loan_id))

    async def kept(self, change: PendingChange) -> PendingChange:
        kept = await self.changes.get(change.change_id)
        assert kept is not None
        return kept


@pytest.fixture
def page() -> Page:
    return Page()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestTheCode:
    async def test_is_sent_through_notification_as_a_secret_and_kept_only_hashed(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)

        [staged] = page.world.outbox.staged
        event = staged.event
        assert isinstance(event, BorrowerCodeRequested)
        assert (event.request_id, event.loan_id, event.change) == (change.change_id, change.loan_id, "hardship_application")
        assert event.confirmation_code == code
        assert event.code_expires_at == page.world.clock.now() + timedelta(minutes=CODE_VALID_MINUTES)
        assert staged.secret
        kept = await page.kept(change)
        assert kept.code_hash == change.hashed(SECRET, code)
        assert code not in repr(kept)

    async def test_a_new_code_replaces_the_one_before(self, page: Page) -> None:
        change = await page.pending()
        first = await page.send(change)
        second = await page.send(await page.kept(change))
        if first == second:
            pytest.skip("the same six digits twice (one chance in a million)")

        assert not (await page.enter(change, first)).applied
        assert (await page.enter(change, second)).applied


class TestTheRightCode:
    async def test_applies_the_application_from_the_borrower_with_its_proof(self, page: Page) -> None:
        change = await page.pending(files=2)
        code = await page.send(change)

        confirmed = await page.enter(change, code)

        assert confirmed.applied
        [application] = await page.world.store.applications_for_loan(change.loan_id)
        assert application.application_id == confirmed.result_id
        assert (application.state, application.agent_id, application.reason) == (State.DRAFT, BORROWER_PAGE, "income_reduction")
        assert (application.monthly_income, application.essential_expenses) == (Decimal("4200.00"), Decimal("2600.00"))
        documents = await page.world.store.documents(application.application_id)
        assert sorted((d.filename, d.kind, d.status, d.uploaded_by) for d in documents) == [
            ("payslip-0.pdf", "income_proof", DocumentStatus.PENDING, BORROWER_PAGE),
            ("payslip-1.pdf", "income_proof", DocumentStatus.PENDING, BORROWER_PAGE),
        ]
        assert (await page.kept(change)).state is ChangeState.APPLIED

    async def test_entered_twice_applies_once_and_answers_the_same(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)

        first = await page.enter(change, code)
        again = await page.enter(change, code)

        assert first == again
        assert len(await page.applications(change)) == 1


class TestARefusal:
    async def test_a_wrong_code_changes_nothing_and_uses_a_try(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)

        assert await page.enter(change, wrong(code)) == Confirmed(None)
        assert await page.applications(change) == []
        assert (await page.kept(change)).code_tries == 1
        assert (await page.enter(change, code)).applied

    async def test_after_the_tries_even_the_right_code_is_refused(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)
        for _ in range(CODE_TRIES):
            await page.enter(change, wrong(code))

        assert await page.enter(change, code) == Confirmed(None)
        assert await page.applications(change) == []

    async def test_an_expired_code_is_refused(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)
        page.world.later(minutes=CODE_VALID_MINUTES)

        assert await page.enter(change, code) == Confirmed(None)
        assert await page.applications(change) == []
        assert (await page.kept(change)).code_tries == 0  # refused, not counted as a wrong try

    async def test_another_sessions_code_is_refused(self, page: Page) -> None:
        change = await page.pending()
        code = await page.send(change)

        assert await page.enter(change, code, session="b" * 64) == Confirmed(None)
        assert await page.applications(change) == []

    async def test_without_a_code_sent_nothing_is_applied(self, page: Page) -> None:
        change = await page.pending()

        assert await page.enter(change, "000000") == Confirmed(None)
        assert await page.enter(change, change.hashed(SECRET, "000000")[:6]) == Confirmed(None)
        assert await page.applications(change) == []

    async def test_a_change_that_does_not_exist_is_refused_alike(self, page: Page) -> None:
        change = await page.pending()
        missing = PendingChange(
            uuid.uuid4(), change.loan_id, "B-000123", SESSION, ChangeKind.HARDSHIP_APPLICATION, {}, change.created_at
        )

        assert await page.enter(missing, "123456") == Confirmed(None)
