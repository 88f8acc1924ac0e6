"""What intake keeps of the other services' news (application/handlers.py), on the fakes: the
loans' views, the offers and rejections of its applications, their expiry, and the plans. None
of them publishes anything; every one may be redelivered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from negotiation_intake.adapters.memory import MemoryIntakeStore
from negotiation_intake.application import handlers
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from tideover_contracts.envelope import Event
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.examples import golden_events
from tideover_runtime.clock import BusinessClock
from tideover_testkit.memory import MemoryOutbox, unit_of

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LOAN = uuid.UUID(int=7)


def golden(event_class: type[Any], **changes: Any) -> Any:
    event = next(event for event in golden_events() if type(event) is event_class)
    return event.model_copy(update=changes)


class World:
    def __init__(self) -> None:
        self.store = MemoryIntakeStore()
        self.outbox = MemoryOutbox()
        self.clock = BusinessClock(AT)

    def unit(self, event: Event) -> Any:
        return unit_of(event, producer="negotiation-intake", outbox=self.outbox, clock=self.clock)

    async def application(self, state: State, offer_id: uuid.UUID | None = None) -> Application:
        application = Application(
            application_id=uuid.uuid4(),
            loan_id=LOAN,
            borrower_id="B-000123",
            state=state,
            reason="unemployment",
            description="lost the job",
            monthly_income=Decimal("5000"),
            essential_expenses=Decimal("3000"),
            currency="CNY",
            requested_options=(),
            agent_id="agent-a",
            created_at=AT,
            updated_at=AT,
            version=1,
            offer_id=offer_id,
            option_id=None,
            code_hash=None,
            code_expires_at=None,
            code_tries=0,
            rejection=None,
        )
        await self.store.add_application(application)
        return application

    async def state_of(self, application: Application) -> State:
        kept = await self.store.application(application.application_id)
        assert kept is not None
        return kept.state


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize("event_class", [LoanBecameOverdue, OverdueStatusChanged])
async def test_an_overdue_loan_is_shown_with_its_status(world: World, event_class: type[Any]) -> None:
    event = golden(event_class, loan_id=LOAN)
    await handlers.when_loan_overdue_update_view(world.unit(event), world.store)
    await handlers.when_loan_overdue_update_view(world.unit(event), world.store)  # redelivered
    loan = await world.store.loan(LOAN)
    assert loan is not None
    assert (loan.borrower_id, loan.overdue, loan.snapshot["days_past_due"]) == ("B-000123", True, event.days_past_due)
    assert world.outbox.types() == []


async def test_a_cured_loan_keeps_its_last_status_and_older_news_does_not_undo_the_cure(world: World) -> None:
    overdue = golden(LoanBecameOverdue, loan_id=LOAN)
    await handlers.when_loan_overdue_update_view(world.unit(overdue), world.store)
    cured = golden(LoanCured, loan_id=LOAN, business_date=overdue.business_date + timedelta(days=3))
    await handlers.when_loan_cured_update_view(world.unit(cured), world.store)
    await handlers.when_loan_overdue_update_view(world.unit(overdue), world.store)  # late and old: ignored
    loan = await world.store.loan(LOAN)
    assert loan is not None
    assert (loan.overdue, loan.snapshot["days_past_due"]) == (False, overdue.days_past_due)


async def test_an_offer_is_kept_once_and_shows_the_options(world: World) -> None:
    application = await world.application(State.SUBMITTED)
    offer = golden(PlanOffered, application_id=application.application_id, loan_id=LOAN)
    await handlers.when_plan_offered_show_options(world.unit(offer), world.store)
    await handlers.when_plan_offered_show_options(world.unit(offer), world.store)  # redelivered
    assert await world.store.offers(application.application_id) == [offer]
    kept = await world.store.application(application.application_id)
    assert kept is not None
    assert (kept.state, kept.updated_at) == (State.OFFERED, AT)


async def test_an_offer_for_an_application_intake_has_not_is_dropped(world: World) -> None:
    offer = golden(PlanOffered, application_id=uuid.uuid4(), loan_id=LOAN)
    await handlers.when_plan_offered_show_options(world.unit(offer), world.store)
    assert world.store.offers_by_id == {}


async def test_an_offer_for_a_withdrawn_application_is_kept_but_its_state_stays(world: World) -> None:
    application = await world.application(State.WITHDRAWN)
    offer = golden(PlanOffered, application_id=application.application_id, loan_id=LOAN)
    await handlers.when_plan_offered_show_options(world.unit(offer), world.store)
    assert await world.store.offers(application.application_id) == [offer]
    assert await world.state_of(application) is State.WITHDRAWN


async def test_a_rejection_shows_its_reasons(world: World) -> None:
    application = await world.application(State.SUBMITTED)
    rejected = golden(PlanRejected, application_id=application.application_id, loan_id=LOAN)
    await handlers.when_plan_rejected_show_reasons(world.unit(rejected), world.store)
    kept = await world.store.application(application.application_id)
    assert kept is not None
    assert (kept.state, kept.rejection) == (State.REJECTED, rejected.model_dump(mode="json"))


async def test_a_rejection_of_an_unknown_or_ended_application_changes_nothing(world: World) -> None:
    declined = await world.application(State.DECLINED)
    for application_id in (uuid.uuid4(), declined.application_id):
        rejected = golden(PlanRejected, application_id=application_id, loan_id=LOAN)
        await handlers.when_plan_rejected_show_reasons(world.unit(rejected), world.store)
    kept = await world.store.application(declined.application_id)
    assert kept is not None
    assert (kept.state, kept.rejection, kept.version) == (State.DECLINED, None, 1)


async def test_the_current_offer_expiring_expires_the_application(world: World) -> None:
    offer_id = uuid.uuid4()
    chosen = await world.application(State.CHOSEN, offer_id)
    offered = await world.application(State.OFFERED)  # no offer chosen yet: any offer of it
    for application in (chosen, offered):
        expired = golden(OfferExpired, application_id=application.application_id, loan_id=LOAN, offer_id=offer_id)
        await handlers.when_offer_expired_expire_application(world.unit(expired), world.store)
        assert await world.state_of(application) is State.EXPIRED


async def test_an_earlier_offer_expiring_leaves_the_application(world: World) -> None:
    application = await world.application(State.CHOSEN, uuid.uuid4())
    expired = golden(OfferExpired, application_id=application.application_id, loan_id=LOAN, offer_id=uuid.uuid4())
    await handlers.when_offer_expired_expire_application(world.unit(expired), world.store)
    await handlers.when_offer_expired_expire_application(
        world.unit(golden(OfferExpired, application_id=uuid.uuid4(), loan_id=LOAN)), world.store
    )  # nothing by that id
    assert await world.state_of(application) is State.CHOSEN


async def test_an_accepted_application_does_not_expire(world: World) -> None:
    offer_id = uuid.uuid4()
    application = await world.application(State.ACCEPTED, offer_id)
    expired = golden(OfferExpired, application_id=application.application_id, loan_id=LOAN, offer_id=offer_id)
    await handlers.when_offer_expired_expire_application(world.unit(expired), world.store)
    assert await world.state_of(application) is State.ACCEPTED


async def test_a_plans_life_is_shown_on_its_loan(world: World) -> None:
    await handlers.when_loan_overdue_update_view(world.unit(golden(LoanBecameOverdue, loan_id=LOAN)), world.store)
    plan_id = uuid.uuid4()
    activated = golden(PlanActivated, loan_id=LOAN, plan_id=plan_id)
    await handlers.when_plan_activated_show_plan(world.unit(activated), world.store)
    assert await world.store.active_plan(LOAN) == plan_id
    await handlers.when_plan_completed_show_it(world.unit(golden(PlanCompleted, loan_id=LOAN, plan_id=plan_id)), world.store)
    await handlers.when_plan_activated_show_plan(world.unit(activated), world.store)  # redelivered late: it stays ended
    loan = await world.store.loan(LOAN)
    assert loan is not None
    assert (loan.plan_id, loan.plan_status, await world.store.active_plan(LOAN)) == (plan_id, "completed", None)


async def test_a_broken_plan_heard_before_its_activation_stays_broken(world: World) -> None:
    await handlers.when_loan_overdue_update_view(world.unit(golden(LoanBecameOverdue, loan_id=LOAN)), world.store)
    plan_id = uuid.uuid4()
    await handlers.when_plan_broken_show_it(world.unit(golden(PlanBroken, loan_id=LOAN, plan_id=plan_id)), world.store)
    await handlers.when_plan_activated_show_plan(world.unit(golden(PlanActivated, loan_id=LOAN, plan_id=plan_id)), world.store)
    loan = await world.store.loan(LOAN)
    assert loan is not None
    assert (loan.plan_status, await world.store.active_plan(LOAN)) == ("broken", None)
