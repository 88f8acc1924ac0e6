"""Opening, loading, submitting and withdrawing an application (application/applications.py) on
the fakes: what is kept, what is staged, and each refusal with its rule."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from negotiation_intake.application import applications, evidence
from negotiation_intake.application.errors import (
    ConflictError,
    NotFoundError,
    OneAtATimeError,
    RuleError,
    StaleVersionError,
)
from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.application_state import InvalidTransitionError, State
from tideover_contracts.events.negotiation import (
    EvidenceKind,
    HardshipReason,
    NegotiationRequested,
    NegotiationWithdrawn,
)
from tideover_contracts.money import Money

from .intake_world import AGENT, AT, OTHER_AGENT, World, cny, opening


@pytest.fixture
def world() -> World:
    return World()


async def test_a_draft_is_opened_on_an_overdue_loan(world: World) -> None:
    loan_id = await world.overdue_loan()
    application = await applications.open_application(world.store, world.clock, opening(loan_id), AGENT)
    assert await world.store.application(application.application_id) == application
    assert (application.state, application.borrower_id, application.agent_id) == (State.DRAFT, "B-000123", "agent-a")
    assert (application.monthly_income, application.essential_expenses) == (Decimal("5000.00"), Decimal("3000.00"))
    assert (application.currency, application.requested_options) == ("CNY", ("arrears_installments",))
    assert (application.created_at, application.version) == (AT, 1)
    assert world.outbox.staged == []


async def test_a_second_application_on_the_loan_is_refused_while_one_is_open(world: World) -> None:
    first = await world.draft()
    with pytest.raises(OneAtATimeError) as refused:
        await applications.open_application(world.store, world.clock, opening(first.loan_id), OTHER_AGENT)
    assert (refused.value.rule, refused.value.names["application_id"]) == ("application_open", str(first.application_id))
    await applications.withdraw(world.store, world.outbox, world.clock, first, "filed twice")
    second = await applications.open_application(world.store, world.clock, opening(first.loan_id), OTHER_AGENT)
    assert second.state is State.DRAFT


async def test_a_plan_in_force_refuses_a_new_application(world: World) -> None:
    loan_id = await world.overdue_loan()
    plan_id = uuid.uuid4()
    await world.store.set_plan(loan_id, plan_id, "active")
    with pytest.raises(OneAtATimeError) as refused:
        await applications.open_application(world.store, world.clock, opening(loan_id), AGENT)
    assert (refused.value.rule, refused.value.names) == ("plan_active", {"plan_id": str(plan_id)})


async def test_income_and_expenses_are_in_one_currency_the_loans(world: World) -> None:
    loan_id = await world.overdue_loan()
    usd = Money(amount=Decimal("700.00"), currency="USD")
    with pytest.raises(RuleError) as mixed:
        await applications.open_application(world.store, world.clock, opening(loan_id, essential_expenses=usd), AGENT)
    assert (mixed.value.rule, mixed.value.field) == ("one_currency", None)
    in_dollars = opening(loan_id, monthly_income=usd, essential_expenses=usd)
    with pytest.raises(RuleError) as foreign:
        await applications.open_application(world.store, world.clock, in_dollars, AGENT)
    assert (foreign.value.rule, foreign.value.field) == ("loan_currency", "hardship.monthly_income")
    assert world.store.applications_by_id == {}


async def test_a_loan_intake_has_not_heard_of_is_refused_without_a_ledger(world: World) -> None:
    with pytest.raises(NotFoundError):
        await applications.open_application(world.store, world.clock, opening(uuid.uuid4()), AGENT)


async def test_a_cured_loan_is_refused_without_a_ledger(world: World) -> None:
    loan_id = await world.overdue_loan()
    await world.store.upsert_loan(loan_id, "B-000123", False, world.clock.today(), "{}")
    with pytest.raises(ConflictError, match="not overdue"):
        await applications.open_application(world.store, world.clock, opening(loan_id), AGENT)


async def test_the_ledger_decides_on_a_loan_intake_has_not_heard_of(world: World) -> None:
    overdue_meanwhile, early = uuid.uuid4(), uuid.uuid4()
    world.ledger.book(world.position(overdue_meanwhile))
    world.ledger.book(world.position(early, overdue=False, next_due_days=30))
    for loan_id, overdue in ((overdue_meanwhile, True), (early, False)):
        application = await applications.open_application(world.store, world.clock, opening(loan_id), AGENT, world.ledger)
        assert application.state is State.DRAFT
        loan = await world.store.loan(loan_id)
        assert loan is not None
        assert (loan.overdue, loan.borrower_id) == (overdue, "B-000123")


@pytest.mark.parametrize(("next_due_days", "words"), [(31, "up to 30 days before"), (None, "no installment is left")])
async def test_early_hardship_is_refused_too_long_before_the_next_due_date(
    world: World, next_due_days: int | None, words: str
) -> None:
    loan_id = uuid.uuid4()
    world.ledger.book(world.position(loan_id, overdue=False, next_due_days=next_due_days))
    with pytest.raises(RuleError, match=words) as refused:
        await applications.open_application(world.store, world.clock, opening(loan_id), AGENT, world.ledger)
    assert refused.value.rule == "early_hardship"
    assert await world.store.loan(loan_id) is None


async def test_a_loan_the_ledger_has_not_or_cannot_tell_is_refused(world: World) -> None:
    with pytest.raises(NotFoundError, match="open in the ledger"):
        await applications.open_application(world.store, world.clock, opening(uuid.uuid4()), AGENT, world.ledger)
    world.ledger.unavailable = True
    with pytest.raises(LedgerUnavailableError):
        await applications.open_application(world.store, world.clock, opening(uuid.uuid4()), AGENT, world.ledger)


async def test_load_locks_the_application_and_checks_its_version(world: World) -> None:
    draft = await world.draft()
    assert await applications.load(world.store, draft.application_id) == draft
    assert await applications.load(world.store, draft.application_id, 1) == draft
    with pytest.raises(StaleVersionError) as stale:
        await applications.load(world.store, draft.application_id, 7)
    assert stale.value.current == 1
    with pytest.raises(NotFoundError):
        await applications.load(world.store, uuid.uuid4())


async def test_submitting_publishes_the_request_with_the_evidence_not_rejected(world: World) -> None:
    draft = await world.draft(HardshipReason.UNEMPLOYMENT)
    kept, rejected = await world.upload(draft), await world.upload(await world.current(draft))
    current = await world.current(draft)
    await evidence.review_evidence(world.store, world.clock, current, kept, True, "payslip", AGENT)
    current = await world.current(draft)
    await evidence.review_evidence(world.store, world.clock, current, rejected, False, "blurred", AGENT)
    world.later(hours=1)
    submitted = await applications.submit(world.store, world.outbox, world.clock, await world.current(draft))
    assert submitted == await world.current(draft)
    assert (submitted.state, submitted.updated_at, submitted.version) == (State.SUBMITTED, world.clock.now(), 6)
    [request] = world.outbox.events(NegotiationRequested)
    assert (request.application_id, request.loan_id, request.agent_id) == (draft.application_id, draft.loan_id, "agent-a")
    assert (request.hardship.monthly_income, request.hardship.essential_expenses) == (cny("5000.00"), cny("3000.00"))
    assert [(ref.document_id, ref.kind, ref.verified) for ref in request.hardship.evidence] == [
        (kept, EvidenceKind.INCOME_PROOF, True)
    ]
    assert (request.submitted_at, request.basis) == (world.clock.now(), None)


async def test_a_reason_that_needs_proof_is_refused_without_a_verified_document(world: World) -> None:
    draft = await world.draft(HardshipReason.ILLNESS)
    await world.upload(draft, EvidenceKind.MEDICAL_RECORD)  # pending, not verified
    with pytest.raises(RuleError, match="verified medical_record") as refused:
        await applications.submit(world.store, world.outbox, world.clock, await world.current(draft))
    assert refused.value.rule == "proof_required"
    assert world.outbox.staged == []
    assert (await world.current(draft)).state is State.DRAFT


async def test_the_request_carries_the_ledgers_position_as_its_basis(world: World) -> None:
    draft = await world.draft()
    position = world.position(draft.loan_id)
    world.ledger.book(position)
    await applications.submit(world.store, world.outbox, world.clock, draft, world.ledger)
    [request] = world.outbox.events(NegotiationRequested)
    assert request.basis == position


async def test_a_loan_closed_in_the_ledger_meanwhile_is_not_submitted(world: World) -> None:
    draft = await world.draft()
    with pytest.raises(ConflictError, match="no longer open"):
        await applications.submit(world.store, world.outbox, world.clock, draft, world.ledger)
    assert world.outbox.staged == []


async def test_an_early_application_is_submitted_with_verified_evidence_only(world: World) -> None:
    draft = await world.draft()
    world.ledger.book(world.position(draft.loan_id, overdue=False, next_due_days=10))
    with pytest.raises(RuleError) as refused:
        await applications.submit(world.store, world.outbox, world.clock, draft, world.ledger)
    assert refused.value.rule == "early_hardship_evidence"
    document_id = await world.upload(draft)
    await evidence.review_evidence(world.store, world.clock, await world.current(draft), document_id, True, "ok", AGENT)
    submitted = await applications.submit(world.store, world.outbox, world.clock, await world.current(draft), world.ledger)
    assert submitted.state is State.SUBMITTED


async def test_an_application_is_submitted_once(world: World) -> None:
    submitted = await world.submitted()
    with pytest.raises(InvalidTransitionError):
        await applications.submit(world.store, world.outbox, world.clock, submitted)
    assert len(world.outbox.events(NegotiationRequested)) == 1


async def test_withdrawing_publishes_it_and_ends_the_application(world: World) -> None:
    submitted = await world.submitted()
    withdrawn = await applications.withdraw(world.store, world.outbox, world.clock, submitted, "the borrower paid")
    assert withdrawn == replace(submitted, state=State.WITHDRAWN, version=submitted.version + 1)
    assert await world.current(submitted) == withdrawn
    [event] = world.outbox.events(NegotiationWithdrawn)
    assert (event.application_id, event.reason, event.withdrawn_at) == (submitted.application_id, "the borrower paid", AT)
    with pytest.raises(InvalidTransitionError):
        await applications.withdraw(world.store, world.outbox, world.clock, withdrawn, "again")
