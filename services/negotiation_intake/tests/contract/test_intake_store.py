"""The IntakeStore port's contract, against the fake (adapters/memory.py) and the Postgres adapter
(adapters/store.py): loan views and their plans, applications and their pages, offers, evidence."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from negotiation_intake.adapters.memory import MemoryIntakeStore
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.ports import IntakeStore
from negotiation_intake.domain.application import Application, Document
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.examples import golden_events
from tideover_testkit.contract import Adapter

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


@pytest.fixture
async def store(adapter: Adapter) -> AsyncIterator[IntakeStore]:
    if adapter.memory:
        yield MemoryIntakeStore()
    else:
        async with adapter.postgres(MIGRATIONS, "intake_store") as connection:
            yield PostgresIntakeStore(connection)


def _snapshot(loan_id: uuid.UUID, days_past_due: int = 12) -> str:
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    return overdue.model_copy(update={"loan_id": loan_id, "days_past_due": days_past_due}).model_dump_json()


def _application(loan_id: uuid.UUID, created_at: datetime = AT, state: State = State.DRAFT) -> Application:
    return Application(
        application_id=uuid.uuid4(),
        loan_id=loan_id,
        borrower_id="B-1",
        state=state,
        reason="unemployment",
        description="lost the job",
        monthly_income=Decimal("5000.00"),
        essential_expenses=Decimal("3000.50"),
        currency="CNY",
        requested_options=("arrears_installments",),
        agent_id="agent-a",
        created_at=created_at,
        updated_at=created_at,
        version=1,
        offer_id=None,
        option_id=None,
        code_hash=None,
        code_expires_at=None,
        code_tries=0,
        rejection=None,
    )


def _offer(application: Application, received: int = 0) -> PlanOffered:
    golden = next(event for event in golden_events() if isinstance(event, PlanOffered))
    return golden.model_copy(
        update={
            "offer_id": uuid.uuid4(),
            "application_id": application.application_id,
            "loan_id": application.loan_id,
            "basis_business_date": DAY + timedelta(days=received),
        }
    )


def _document(application: Application, uploaded_at: datetime = AT) -> Document:
    return Document(
        document_id=uuid.uuid4(),
        application_id=application.application_id,
        kind="income_proof",
        filename="pay.pdf",
        media_type="application/pdf",
        size_bytes=3,
        sha256="ab" * 32,
        uploaded_by="agent-a",
        uploaded_at=uploaded_at,
        status="pending",
        review_note=None,
        reviewed_by=None,
        reviewed_at=None,
    )


async def test_a_loan_is_kept_as_told_and_takes_news_of_its_day_or_later(store: IntakeStore) -> None:
    loan_id = uuid.uuid4()
    assert await store.loan(loan_id) is None
    await store.upsert_loan(loan_id, "B-1", True, DAY, _snapshot(loan_id, 12))
    await store.upsert_loan(loan_id, "B-2", True, DAY + timedelta(days=1), _snapshot(loan_id, 13))
    await store.upsert_loan(loan_id, "B-1", True, DAY, _snapshot(loan_id, 99))  # older news: ignored
    loan = await store.loan(loan_id, for_update=True)
    assert loan is not None
    assert (loan.borrower_id, loan.overdue, loan.snapshot["days_past_due"]) == ("B-1", True, 13)
    assert (loan.plan_id, loan.plan_status) == (None, None)


async def test_a_cure_keeps_the_last_overdue_snapshot(store: IntakeStore) -> None:
    loan_id = uuid.uuid4()
    await store.upsert_loan(loan_id, "B-1", True, DAY, _snapshot(loan_id, 12))
    await store.upsert_loan(loan_id, "B-1", False, DAY + timedelta(days=1), _snapshot(loan_id, 0))
    loan = await store.loan(loan_id)
    assert loan is not None
    assert (loan.overdue, loan.snapshot["days_past_due"]) == (False, 12)


async def test_the_plan_in_force_is_shown_and_an_ended_plan_stays_ended(store: IntakeStore) -> None:
    loan_id, first, second = uuid.uuid4(), uuid.UUID(int=1), uuid.UUID(int=2)
    await store.upsert_loan(loan_id, "B-1", True, DAY, _snapshot(loan_id))
    assert await store.active_plan(loan_id) is None
    await store.set_plan(loan_id, first, "broken")  # the end came first
    await store.set_plan(loan_id, first, "active")  # its activation later: it stays broken
    assert await store.active_plan(loan_id) is None
    await store.set_plan(loan_id, second, "active")
    await store.set_plan(loan_id, first, "completed")  # news of another plan while one is in force: not shown
    loan = await store.loan(loan_id)
    assert loan is not None
    assert (loan.plan_id, loan.plan_status, await store.active_plan(loan_id)) == (second, "active", second)
    await store.set_plan(loan_id, second, "completed")
    loan = await store.loan(loan_id)
    assert loan is not None
    assert (loan.plan_id, loan.plan_status, await store.active_plan(loan_id)) == (second, "completed", None)


async def test_of_two_plans_in_force_the_lowest_id_is_named(store: IntakeStore) -> None:
    loan_id = uuid.uuid4()
    await store.set_plan(loan_id, uuid.UUID(int=9), "active")  # a plan of a loan intake has no view of
    await store.set_plan(loan_id, uuid.UUID(int=3), "active")
    assert await store.active_plan(loan_id) == uuid.UUID(int=3)
    assert await store.loan(loan_id) is None


async def test_an_application_reads_back_as_added_and_updated(store: IntakeStore) -> None:
    application = _application(uuid.uuid4())
    assert await store.application(application.application_id) is None
    await store.add_application(application)
    assert await store.application(application.application_id, for_update=True) == application
    rejection = {"reasons": [{"code": "unaffordable", "message": "no"}]}
    later = AT + timedelta(hours=1)
    await store.update_application(application.application_id, state=State.REJECTED, updated_at=later, rejection=rejection)
    await store.update_application(application.application_id, code_tries=2)
    assert await store.application(application.application_id) == replace(
        application, state=State.REJECTED, updated_at=later, rejection=rejection, code_tries=2, version=3
    )
    await store.update_application(uuid.uuid4(), code_tries=1)  # no such application: nothing


async def test_a_loans_applications_come_oldest_first(store: IntakeStore) -> None:
    loan_id = uuid.uuid4()
    later, earlier = _application(loan_id, AT + timedelta(minutes=5)), _application(loan_id, AT)
    await store.add_application(later)
    await store.add_application(earlier)
    await store.add_application(_application(uuid.uuid4()))
    assert [item.application_id for item in await store.applications_for_loan(loan_id)] == [
        earlier.application_id,
        later.application_id,
    ]


async def test_applications_are_paged_oldest_first_by_state(store: IntakeStore) -> None:
    added = [_application(uuid.uuid4(), AT + timedelta(seconds=n)) for n in range(5)]
    added.append(replace(_application(uuid.uuid4(), AT + timedelta(seconds=2)), state=State.SENT))
    for application in reversed(added):
        await store.add_application(application)
    drafts = [application.application_id for application in added[:5]]
    first = await store.applications(State.DRAFT, 2, None)
    assert [item.application_id for item in first.items] == drafts[:2]
    assert first.after is not None
    second = await store.applications(State.DRAFT, 2, first.after)
    last = await store.applications(State.DRAFT, 2, second.after)
    assert [item.application_id for item in second.items + last.items] == drafts[2:]
    assert last.after is None
    everything = await store.applications(None, 10, None)
    assert len(everything.items) == 6
    assert everything.after is None
    with pytest.raises(ValueError, match="not a page cursor"):
        await store.applications(None, 10, "not-a-cursor")


async def test_applications_created_at_one_instant_are_paged_by_id(store: IntakeStore) -> None:
    same = sorted((_application(uuid.uuid4()) for _ in range(3)), key=lambda item: item.application_id)
    for application in same:
        await store.add_application(application)
    first = await store.applications(None, 2, None)
    rest = await store.applications(None, 2, first.after)
    assert [item.application_id for item in first.items + rest.items] == [item.application_id for item in same]


async def test_an_offer_is_kept_once_and_offers_come_in_the_order_received(store: IntakeStore) -> None:
    application = _application(uuid.uuid4())
    await store.add_application(application)
    assert await store.offers(application.application_id) == []
    first, second = _offer(application, 0), _offer(application, 1)
    assert await store.add_offer(second, AT + timedelta(minutes=1)) is True
    assert await store.add_offer(first, AT) is True
    assert await store.add_offer(first, AT + timedelta(minutes=2)) is False  # redelivered: a no-op
    assert await store.offers(application.application_id) == [first, second]


async def test_a_document_reads_back_with_its_content_and_its_review(store: IntakeStore) -> None:
    application = _application(uuid.uuid4())
    await store.add_application(application)
    later, earlier = _document(application, AT + timedelta(minutes=1)), _document(application, AT)
    await store.add_document(later, b"%PDF later")
    await store.add_document(earlier, b"%PDF earlier")
    assert await store.documents(application.application_id) == [earlier, later]
    assert await store.document(later.document_id, for_update=True) == later
    assert await store.document_content(earlier.document_id) == b"%PDF earlier"
    assert (await store.document(uuid.uuid4()), await store.document_content(uuid.uuid4())) == (None, None)
    await store.review_document(earlier.document_id, "verified", "matches the payslip", "agent-b", AT + timedelta(hours=1))
    assert await store.document(earlier.document_id) == replace(
        earlier, status="verified", review_note="matches the payslip", reviewed_by="agent-b", reviewed_at=AT + timedelta(hours=1)
    )
    assert await store.documents(uuid.uuid4()) == []
