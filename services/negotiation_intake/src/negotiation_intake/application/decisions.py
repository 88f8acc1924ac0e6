"""The borrower's decisions on an offer, as the agent records them: the choice of an option,
the supervisor's approval of one beyond the agent's authority, and a refusal of the plan."""

from __future__ import annotations

import uuid

from negotiation_intake.application.applications import update
from negotiation_intake.application.errors import ConflictError, FourEyesError, NotFoundError
from negotiation_intake.application.ports import Agent, IntakeStore, Outbox
from negotiation_intake.domain.access import refusal_to_approve
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import Action, transition
from tideover_contracts.events.negotiation import PlanDeclined, PlanOptionChosen
from tideover_contracts.events.plans import PlanOffered, PlanOption
from tideover_runtime.clock import Clock


async def current_offer(store: IntakeStore, application: Application) -> PlanOffered:
    offers = await store.offers(application.application_id)
    if not offers:
        raise ConflictError(f"application {application.application_id} has no offer yet")
    return offers[-1]


def option_of(offer: PlanOffered, option_id: str) -> PlanOption:
    option = next((option for option in offer.options if option.option_id == option_id), None)
    if option is None:
        raise NotFoundError(f"offer {offer.offer_id} has no option {option_id}")
    return option


async def choose(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, offer_id: uuid.UUID, option_id: str, agent: Agent
) -> Application:
    """The borrower's choice of an option of the current offer. An option beyond the agent's
    authority waits in the supervisor queue before the written plan can be sent."""
    offer = await current_offer(store, application)
    if offer.offer_id != offer_id:
        raise ConflictError(f"offer {offer_id} is not the application's current offer ({offer.offer_id})")
    option = option_of(offer, option_id)
    state = transition(application.state, Action.CHOOSE_NEEDING_APPROVAL if option.needs_supervisor else Action.CHOOSE)
    now = clock.now()
    await outbox(
        PlanOptionChosen(
            application_id=application.application_id,
            loan_id=application.loan_id,
            offer_id=offer_id,
            option_id=option_id,
            agent_id=agent.agent_id,
            needs_supervisor=option.needs_supervisor,
            chosen_at=now,
        )
    )
    return await update(
        store,
        application,
        state=state,
        updated_at=now,
        offer_id=offer_id,
        option_id=option_id,
        needs_supervisor=option.needs_supervisor,
        chosen_by=agent.agent_id,
        approved_by=None,
        approval_note=None,
        code_hash=None,
        code_expires_at=None,
        code_tries=0,
    )


async def decide_approval(
    store: IntakeStore, clock: Clock, application: Application, approved: bool, note: str, supervisor: Agent
) -> Application:
    """The supervisor approves the option beyond the agent's authority (a deeper waiver, a payment
    holiday: the plan may be sent) or refuses it (choose again). Only another person than the
    agent who opened the application or chose the option may approve it; anyone with the right
    may refuse (it sends the choice back, and gives nobody anything)."""
    state = transition(application.state, Action.APPROVE if approved else Action.REFUSE_APPROVAL)
    if approved and (refusal := refusal_to_approve(supervisor.agent_id, application.agent_id, application.chosen_by)):
        raise FourEyesError(refusal)
    return await update(
        store,
        application,
        state=state,
        updated_at=clock.now(),
        approved_by=supervisor.agent_id if approved else None,
        approval_note=note,
    )


async def decline(store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, reason: str) -> Application:
    """The borrower refuses the plan."""
    state = transition(application.state, Action.DECLINE)
    offer_id = application.offer_id or (await current_offer(store, application)).offer_id
    now = clock.now()
    await outbox(
        PlanDeclined(
            application_id=application.application_id,
            loan_id=application.loan_id,
            offer_id=offer_id,
            reason=reason,
            declined_at=now,
        )
    )
    return await update(store, application, state=state, updated_at=now)
