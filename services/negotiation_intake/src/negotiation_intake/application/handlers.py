"""What intake learns from the other services, kept for the agents' views."""

from __future__ import annotations

from typing import Any

from negotiation_intake.application.ports import IntakeStore
from negotiation_intake.domain.application_state import Action, InvalidTransitionError, transition
from negotiation_intake.domain.statuses import PlanStatus
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_runtime.unit import Unit


async def when_loan_overdue_update_view(unit: Unit[LoanBecameOverdue] | Unit[OverdueStatusChanged], store: IntakeStore) -> None:
    event = unit.event
    await store.upsert_loan(event.loan_id, event.contact.borrower_id, True, event.business_date, event.model_dump_json())


async def when_loan_cured_update_view(unit: Unit[LoanCured], store: IntakeStore) -> None:
    event = unit.event
    await store.upsert_loan(event.loan_id, event.contact.borrower_id, False, event.business_date, event.model_dump_json())


async def _advance(unit: Unit[Any], store: IntakeStore, action: Action, **fields: Any) -> None:
    application = await store.application(unit.event.application_id, for_update=True)
    if application is None:
        return
    try:
        state = transition(application.state, action)
    except InvalidTransitionError:
        return  # e.g. an offer for a withdrawn application: kept, but the state stays
    await store.update_application(application.application_id, state=state, updated_at=unit.clock.now(), **fields)


async def when_plan_offered_show_options(unit: Unit[PlanOffered], store: IntakeStore) -> None:
    if await store.application(unit.event.application_id) is None:
        return
    await store.add_offer(unit.event, unit.clock.now())
    await _advance(unit, store, Action.RECEIVE_OFFER)


async def when_plan_rejected_show_reasons(unit: Unit[PlanRejected], store: IntakeStore) -> None:
    await _advance(unit, store, Action.RECEIVE_REJECTION, rejection=unit.event.model_dump(mode="json"))


async def when_offer_expired_expire_application(unit: Unit[OfferExpired], store: IntakeStore) -> None:
    application = await store.application(unit.event.application_id)
    if application is not None and application.offer_id in (None, unit.event.offer_id):
        await _advance(unit, store, Action.EXPIRE)


async def when_plan_activated_show_plan(unit: Unit[PlanActivated], store: IntakeStore) -> None:
    await store.set_plan(unit.event.loan_id, unit.event.plan_id, PlanStatus.ACTIVE)


async def when_plan_completed_show_it(unit: Unit[PlanCompleted], store: IntakeStore) -> None:
    await store.set_plan(unit.event.loan_id, unit.event.plan_id, PlanStatus.COMPLETED)


async def when_plan_broken_show_it(unit: Unit[PlanBroken], store: IntakeStore) -> None:
    await store.set_plan(unit.event.loan_id, unit.event.plan_id, PlanStatus.BROKEN)
