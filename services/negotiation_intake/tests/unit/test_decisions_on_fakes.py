"""The borrower's choice, the supervisor's approval (four eyes) and a refused plan
(application/decisions.py) on the fakes."""

from __future__ import annotations

import uuid

import pytest

from negotiation_intake.application import decisions
from negotiation_intake.application.errors import ConflictError, FourEyesError, NotFoundError
from negotiation_intake.domain.access import FOUR_EYES
from negotiation_intake.domain.application_state import InvalidTransitionError, State
from tideover_contracts.events.negotiation import PlanDeclined, PlanOptionChosen

from .intake_world import AGENT, OTHER_AGENT, SUPERVISOR, World


@pytest.fixture
def world() -> World:
    return World()


async def test_choosing_an_option_publishes_it_and_keeps_who_chose(world: World) -> None:
    application, offer = await world.offered()
    world.later(minutes=3)
    chosen = await decisions.choose(world.store, world.outbox, world.clock, application, offer.offer_id, "arrears-3", OTHER_AGENT)
    assert chosen == await world.current(application)
    assert (chosen.state, chosen.offer_id, chosen.option_id) == (State.CHOSEN, offer.offer_id, "arrears-3")
    assert (chosen.chosen_by, chosen.needs_supervisor, chosen.updated_at) == ("agent-b", False, world.clock.now())
    [event] = world.outbox.events(PlanOptionChosen)
    assert (event.offer_id, event.option_id, event.agent_id) == (offer.offer_id, "arrears-3", "agent-b")
    assert (event.needs_supervisor, event.chosen_at) == (False, world.clock.now())


async def test_an_option_beyond_the_agents_authority_awaits_a_supervisor(world: World) -> None:
    chosen = await world.chosen(needs_supervisor=True)
    assert (chosen.state, chosen.needs_supervisor) == (State.AWAITING_APPROVAL, True)
    [event] = world.outbox.events(PlanOptionChosen)
    assert event.needs_supervisor is True


async def test_choosing_again_clears_the_code_and_the_approval(world: World) -> None:
    sent, _ = await world.sent()
    chosen = await decisions.choose(world.store, world.outbox, world.clock, sent, sent.offer_id, "arrears-3", AGENT)  # type: ignore[arg-type]
    assert (chosen.state, chosen.code_hash, chosen.code_expires_at, chosen.code_tries) == (State.CHOSEN, None, None, 0)
    assert (chosen.approved_by, chosen.approval_note) == (None, None)


async def test_only_the_current_offers_options_may_be_chosen(world: World) -> None:
    application, offer = await world.offered()
    with pytest.raises(ConflictError, match="not the application's current offer"):
        await decisions.choose(world.store, world.outbox, world.clock, application, uuid.uuid4(), "arrears-3", AGENT)
    with pytest.raises(NotFoundError, match="no option"):
        await decisions.choose(world.store, world.outbox, world.clock, application, offer.offer_id, "holiday-99", AGENT)
    assert world.outbox.events(PlanOptionChosen) == []


async def test_nothing_is_chosen_before_an_offer(world: World) -> None:
    submitted = await world.submitted()
    with pytest.raises(ConflictError, match="no offer yet"):
        await decisions.choose(world.store, world.outbox, world.clock, submitted, uuid.uuid4(), "arrears-3", AGENT)


async def test_a_withdrawn_applications_offer_is_not_chosen(world: World) -> None:
    application, offer = await world.offered()
    await world.store.update_application(application.application_id, state=State.WITHDRAWN)
    withdrawn = await world.current(application)
    with pytest.raises(InvalidTransitionError):
        await decisions.choose(world.store, world.outbox, world.clock, withdrawn, offer.offer_id, "arrears-3", AGENT)


async def test_another_supervisor_approves_and_the_plan_may_be_sent(world: World) -> None:
    awaiting = await world.chosen(needs_supervisor=True)
    approved = await decisions.decide_approval(world.store, world.clock, awaiting, True, "hardship is real", SUPERVISOR)
    assert approved == await world.current(awaiting)
    assert (approved.state, approved.approved_by, approved.approval_note) == (State.CHOSEN, "supervisor-s", "hardship is real")


@pytest.mark.parametrize("maker", ["opened", "chose"])
async def test_the_supervisor_who_opened_or_chose_may_not_approve(world: World, maker: str) -> None:
    if maker == "opened":
        awaiting = await world.chosen(needs_supervisor=True, by=SUPERVISOR)
    else:
        application, offer = await world.offered(needs_supervisor=True)
        awaiting = await decisions.choose(
            world.store, world.outbox, world.clock, application, offer.offer_id, "arrears-3", SUPERVISOR
        )
    with pytest.raises(FourEyesError, match=f"supervisor-s {maker} this") as refused:
        await decisions.decide_approval(world.store, world.clock, awaiting, True, "mine", SUPERVISOR)
    assert refused.value.rule == FOUR_EYES
    assert (await world.current(awaiting)).state is State.AWAITING_APPROVAL


async def test_the_maker_may_still_refuse_and_the_borrower_chooses_again(world: World) -> None:
    awaiting = await world.chosen(needs_supervisor=True, by=SUPERVISOR)
    refused = await decisions.decide_approval(world.store, world.clock, awaiting, False, "too deep", SUPERVISOR)
    assert (refused.state, refused.approved_by, refused.approval_note) == (State.OFFERED, None, "too deep")


async def test_an_option_not_awaiting_approval_is_not_decided(world: World) -> None:
    chosen = await world.chosen()
    with pytest.raises(InvalidTransitionError):
        await decisions.decide_approval(world.store, world.clock, chosen, True, "", SUPERVISOR)


async def test_declining_names_the_chosen_offer_or_else_the_current_one(world: World) -> None:
    chosen = await world.chosen()
    application, offer = await world.offered()
    for declining, offer_id in ((chosen, chosen.offer_id), (application, offer.offer_id)):
        declined = await decisions.decline(world.store, world.outbox, world.clock, declining, "cannot afford it")
        assert (declined.state, declined) == (State.DECLINED, await world.current(declining))
        event = world.outbox.events(PlanDeclined)[-1]
        assert (event.application_id, event.offer_id, event.reason) == (declining.application_id, offer_id, "cannot afford it")


async def test_a_plan_is_declined_once(world: World) -> None:
    chosen = await world.chosen()
    declined = await decisions.decline(world.store, world.outbox, world.clock, chosen, "no")
    with pytest.raises(InvalidTransitionError):
        await decisions.decline(world.store, world.outbox, world.clock, declined, "no")
    assert len(world.outbox.events(PlanDeclined)) == 1
