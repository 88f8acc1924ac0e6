"""The PlanStore port's contract, against the fake (adapters/memory.py) and Postgres
(adapters/store.py): a loan's newest overdue position, offers kept once and expired, plans put
in force and ended, and what the loan's standing says when a plan is accepted."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from plan_calculation.adapters.memory import MemoryPlanStore
from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application.ports import OfferRecord, PlanStore, ProjectedLoan
from plan_calculation.domain.activation import LoanStanding, OwedInstallment
from plan_calculation.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.examples import golden_events
from tideover_testkit.contract import Adapter

VALID_UNTIL = datetime(2026, 3, 23, 1, 30, tzinfo=UTC)


def golden(event_class: type[Any]) -> Any:
    return next(event for event in golden_events() if type(event) is event_class)


def overdue(loan_id: uuid.UUID, on: date = date(2026, 2, 16), penalty: str = "0.00") -> LoanBecameOverdue:
    """The golden loan overdue on `on`: 1,045.00 overdue of installment 1, installments 2 and 3 to come."""
    event: LoanBecameOverdue = golden(LoanBecameOverdue)
    amounts = event.overdue.model_copy(update={"penalty": event.overdue.penalty.model_copy(update={"amount": Decimal(penalty)})})
    return event.model_copy(update={"loan_id": loan_id, "business_date": on, "overdue": amounts})


def offered(loan_id: uuid.UUID) -> tuple[OfferRecord, str]:
    offer: PlanOffered = golden(PlanOffered)
    offer = offer.model_copy(update={"offer_id": uuid.uuid4(), "application_id": uuid.uuid4(), "loan_id": loan_id})
    record = OfferRecord(
        offer_id=offer.offer_id,
        application_id=offer.application_id,
        loan_id=loan_id,
        basis_business_date=offer.basis_business_date,
        basis_overdue_total=Decimal("1045.00"),
        valid_until=VALID_UNTIL,
        evidence_verified=True,
        installments=(OwedInstallment(2, date(2026, 3, 15), Decimal("1045.00")),),
        basis_arrears=Decimal("1045.00"),
    )
    return record, offer.model_dump_json()


def activated(record: OfferRecord) -> PlanActivated:
    plan: PlanActivated = golden(PlanActivated)
    return plan.model_copy(update={"plan_id": uuid.uuid4(), "offer_id": record.offer_id, "loan_id": record.loan_id})


@pytest.fixture
async def store(adapter: Adapter) -> AsyncIterator[PlanStore]:
    if adapter.memory:
        yield MemoryPlanStore()
    else:
        async with adapter.postgres(MIGRATIONS, "plan_store") as connection:
            yield PostgresPlanStore(connection)


async def test_a_loan_is_projected_from_its_newest_overdue_status(store: PlanStore) -> None:
    loan_id = uuid.uuid4()
    assert await store.projection(loan_id) is None
    await store.project(overdue(loan_id, date(2026, 3, 16), penalty="3.00"))
    await store.project(overdue(loan_id, date(2026, 3, 10), penalty="1.00"))  # older, arriving late: ignored
    projected = await store.projection(loan_id)
    assert projected == ProjectedLoan.at(overdue(loan_id, date(2026, 3, 16), penalty="3.00"))
    assert projected is not None
    assert (projected.position.penalty, projected.position.future_installments) == (Decimal("3.00"), (Decimal("1045.00"),))
    assert [item.sequence for item in projected.installments] == [1, 2, 3]
    await store.project(overdue(loan_id, date(2026, 3, 16), penalty="4.00"))  # the same day again: the latest stands
    assert (await store.projection(loan_id)) == ProjectedLoan.at(overdue(loan_id, date(2026, 3, 16), penalty="4.00"))


async def test_a_cured_loan_has_no_projection_until_it_is_overdue_again(store: PlanStore) -> None:
    loan_id = uuid.uuid4()
    await store.mark_cured(loan_id, date(2026, 3, 1))  # never overdue here: nothing to cure
    assert await store.standing(loan_id) == LoanStanding(loan_id)
    await store.project(overdue(loan_id, date(2026, 3, 16)))
    await store.mark_cured(loan_id, date(2026, 3, 10))  # a cure older than the status: ignored
    assert await store.projection(loan_id) is not None
    await store.mark_cured(loan_id, date(2026, 3, 20))
    assert await store.projection(loan_id) is None
    assert (await store.standing(loan_id)).cured_on == date(2026, 3, 20)
    await store.project(overdue(loan_id, date(2026, 3, 19)))  # older than the cure: ignored
    assert await store.projection(loan_id) is None
    await store.project(overdue(loan_id, date(2026, 4, 16)))
    assert await store.projection(loan_id) == ProjectedLoan.at(overdue(loan_id, date(2026, 4, 16)))
    assert (await store.standing(loan_id)).cured_on == date(2026, 3, 20)  # the latest cure is kept


async def test_an_offer_is_kept_once_and_read_back_as_made(store: PlanStore) -> None:
    record, offer_json = offered(uuid.uuid4())
    assert await store.add_offer(record, offer_json)
    assert not await store.add_offer(record, "{}")  # the same offer again: a no-op
    for for_update in (False, True):
        stored = await store.offer(record.offer_id, for_update=for_update)
        assert stored is not None
        assert stored.offer == PlanOffered.model_validate_json(offer_json)
        assert (stored.status, stored.basis_overdue_total, stored.evidence_verified) == ("offered", Decimal("1045.00"), True)
        assert (stored.installments, stored.basis_arrears) == (record.installments, Decimal("1045.00"))
    await store.set_offer_status(record.offer_id, "superseded")
    stored = await store.offer(record.offer_id)
    assert stored is not None
    assert stored.status == "superseded"
    assert await store.offer(uuid.uuid4()) is None


async def test_offers_past_their_validity_expire_once(store: PlanStore) -> None:
    loan_id = uuid.uuid4()
    (first, first_json), (second, second_json), (accepted, accepted_json) = offered(loan_id), offered(loan_id), offered(loan_id)
    later = replace(first, offer_id=uuid.uuid4(), valid_until=VALID_UNTIL + timedelta(days=1))
    for record, offer_json in ((first, first_json), (second, second_json), (accepted, accepted_json), (later, first_json)):
        await store.add_offer(record, offer_json)
    await store.set_offer_status(accepted.offer_id, "accepted")
    assert await store.expire_offers(VALID_UNTIL) == []  # valid until that instant, itself included
    expired = await store.expire_offers(VALID_UNTIL + timedelta(seconds=1))
    # What is kept in columns of its own comes back, not the installments or the arrears quoted.
    bare = [replace(record, installments=(), basis_arrears=None) for record in (first, second)]
    assert sorted(expired, key=lambda record: record.offer_id) == sorted(bare, key=lambda record: record.offer_id)
    assert await store.expire_offers(VALID_UNTIL + timedelta(seconds=1)) == []
    stored = await store.offer(first.offer_id)
    assert stored is not None
    assert stored.status == "expired"
    assert [r.offer_id for r in await store.expire_offers(VALID_UNTIL + timedelta(days=2))] == [later.offer_id]


async def test_a_plan_is_put_in_force_once_and_ends_once(store: PlanStore) -> None:
    record, offer_json = offered(uuid.uuid4())
    await store.add_offer(record, offer_json)
    plan = activated(record)
    assert await store.add_plan(plan)
    assert not await store.add_plan(plan)  # the same plan again: a no-op
    assert await store.standing(plan.loan_id) == LoanStanding(plan.loan_id, active_plan_id=plan.plan_id)
    await store.end_plan(plan.plan_id, "broken", date(2026, 5, 19))
    await store.end_plan(uuid.uuid4(), "completed", date(2026, 5, 19))  # a plan not known: nothing happens
    assert await store.standing(plan.loan_id) == LoanStanding(plan.loan_id)
    second, second_json = offered(plan.loan_id)
    await store.add_offer(second, second_json)
    again = activated(second)
    assert await store.add_plan(again)  # the first ended: another may be put in force
    assert (await store.standing(plan.loan_id)).active_plan_id == again.plan_id


async def test_a_closed_loan_keeps_its_first_closure_and_its_plan_ends(store: PlanStore) -> None:
    record, offer_json = offered(uuid.uuid4())
    await store.add_offer(record, offer_json)
    plan = activated(record)
    await store.add_plan(plan)
    await store.project(overdue(plan.loan_id))
    await store.mark_cured(plan.loan_id, date(2026, 3, 1))
    await store.close_loan(plan.loan_id, date(2026, 4, 1), "sold")
    await store.close_loan(plan.loan_id, date(2026, 4, 9), "paid_off")  # the first closure stands
    assert await store.standing(plan.loan_id) == LoanStanding(plan.loan_id, date(2026, 4, 1), date(2026, 3, 1), None)
    other = uuid.uuid4()
    await store.close_loan(other, date(2026, 4, 2), "written_off")  # a loan without a plan
    assert (await store.standing(other)).closed_on == date(2026, 4, 2)
