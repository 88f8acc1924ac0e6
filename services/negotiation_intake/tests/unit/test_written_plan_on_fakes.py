"""The written plan sent with a one-time code, and its confirmation on a recorded call or by the
borrower (application/written_plan.py), on the fakes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from negotiation_intake.application import written_plan
from negotiation_intake.application.errors import RuleError
from negotiation_intake.domain.application_state import CODE_TRIES, SENDS_A_DAY, InvalidTransitionError, State, code_hash
from tideover_contracts.events.negotiation import ConfirmationChannel, PlanAccepted, PlanSentToBorrower
from tideover_contracts.events.plans import PlanOffered

from .intake_world import SECRET, World, golden

CALL = ConfirmationChannel.RECORDED_CALL


@pytest.fixture
def world() -> World:
    return World()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_the_plan_is_sent_with_a_fresh_code_kept_only_as_its_hash(world: World) -> None:
    chosen = await world.chosen()
    sent, code = await written_plan.send(world.store, world.outbox, world.clock, chosen, SECRET)
    assert sent == await world.current(chosen)
    expires = world.clock.now() + timedelta(hours=24)
    hashed = code_hash(SECRET, str(sent.application_id), code)
    assert (sent.state, sent.code_hash, sent.code_expires_at) == (State.SENT, hashed, expires)
    assert (sent.code_tries, sent.sends_on, sent.sends_that_day) == (0, world.clock.today(), 1)
    staged = world.outbox.staged[-1]
    assert world.outbox.types()[-3:] == ["NegotiationRequested", "PlanOptionChosen", "PlanSentToBorrower"]
    assert staged.secret is True
    event = staged.event
    assert isinstance(event, PlanSentToBorrower)
    option = golden(PlanOffered).options[0]
    assert (event.confirmation_code, event.code_expires_at, event.offer_id) == (code, expires, chosen.offer_id)
    assert (event.plan.option_id, event.plan.total_payable) == ("arrears-3", option.total_payable)
    assert event.plan.schedule == option.schedule
    assert (event.plan.first_due_date, event.contact.borrower_id) == (option.schedule[0].due_date, "B-000123")


async def test_the_plan_is_sent_three_times_a_business_day_at_most(world: World) -> None:
    sent, _ = await world.sent()
    for _ in range(SENDS_A_DAY - 1):
        sent, _ = await written_plan.send(world.store, world.outbox, world.clock, sent, SECRET)
    with pytest.raises(RuleError) as refused:
        await written_plan.send(world.store, world.outbox, world.clock, sent, SECRET)
    assert refused.value.rule == "written_plan_resends"
    assert len(world.outbox.events(PlanSentToBorrower)) == SENDS_A_DAY
    world.next_day()
    again, _ = await written_plan.send(world.store, world.outbox, world.clock, sent, SECRET)
    assert (again.sends_on, again.sends_that_day) == (world.clock.today(), 1)


async def test_a_plan_not_chosen_or_awaiting_approval_is_not_sent(world: World) -> None:
    for application in (await world.chosen(needs_supervisor=True), (await world.offered())[0]):
        with pytest.raises(InvalidTransitionError):
            await written_plan.send(world.store, world.outbox, world.clock, application, SECRET)
    assert world.outbox.events(PlanSentToBorrower) == []


async def test_the_right_code_accepts_the_plan(world: World) -> None:
    sent, code = await world.sent()
    result = await written_plan.confirm(world.store, world.outbox, world.clock, sent, code, CALL, SECRET)
    assert (result.accepted, result.tries_left, result.application.state) == (True, CODE_TRIES, State.ACCEPTED)
    assert result.application == await world.current(sent)
    [accepted] = world.outbox.events(PlanAccepted)
    assert (accepted.offer_id, accepted.option_id, accepted.confirmed_via) == (sent.offer_id, "arrears-3", CALL)
    with pytest.raises(InvalidTransitionError):
        await written_plan.confirm(world.store, world.outbox, world.clock, result.application, code, CALL, SECRET)


async def test_a_wrong_code_uses_up_a_try_and_five_lock_it(world: World) -> None:
    sent, code = await world.sent()
    for left in range(CODE_TRIES - 1, -1, -1):
        result = await written_plan.confirm(world.store, world.outbox, world.clock, sent, wrong(code), CALL, SECRET)
        sent = result.application
        assert (result.accepted, result.tries_left, sent.code_tries, sent.state) == (False, left, CODE_TRIES - left, State.SENT)
    with pytest.raises(RuleError) as locked:
        await written_plan.confirm(world.store, world.outbox, world.clock, sent, code, CALL, SECRET)
    assert locked.value.rule == "code_locked"
    assert world.outbox.events(PlanAccepted) == []
    resent, fresh = await written_plan.send(world.store, world.outbox, world.clock, sent, SECRET)  # fresh tries
    assert (await written_plan.confirm(world.store, world.outbox, world.clock, resent, fresh, CALL, SECRET)).accepted


async def test_an_expired_or_discarded_code_is_refused(world: World) -> None:
    sent, code = await world.sent()
    world.later(hours=24, seconds=1)
    with pytest.raises(RuleError) as expired:
        await written_plan.confirm(world.store, world.outbox, world.clock, sent, code, CALL, SECRET)
    assert expired.value.rule == "code_expired"
    await world.store.update_application(sent.application_id, code_hash=None)  # discarded by migration 0005
    with pytest.raises(RuleError, match="expired"):
        await written_plan.confirm(world.store, world.outbox, world.clock, await world.current(sent), code, CALL, SECRET)


async def test_the_borrower_confirms_with_the_code_and_a_repeat_answers_the_same(world: World) -> None:
    sent, code = await world.sent()
    accepted, application = await written_plan.confirm_by_borrower(
        world.store, world.outbox, world.clock, sent.application_id, code, SECRET
    )
    assert (accepted, application) == (True, await world.current(sent))
    [event] = world.outbox.events(PlanAccepted)
    assert event.confirmed_via is ConfirmationChannel.BORROWER_CONFIRM_ENDPOINT
    again = await written_plan.confirm_by_borrower(world.store, world.outbox, world.clock, sent.application_id, code, SECRET)
    assert again[0] is True
    wrong_again = await written_plan.confirm_by_borrower(
        world.store, world.outbox, world.clock, sent.application_id, wrong(code), SECRET
    )
    assert wrong_again[0] is False
    assert len(world.outbox.events(PlanAccepted)) == 1


async def test_the_borrower_learns_nothing_of_why_a_code_confirms_nothing(world: World) -> None:
    sent, code = await world.sent()
    chosen = await world.chosen()
    confirming = written_plan.confirm_by_borrower
    assert await confirming(world.store, world.outbox, world.clock, uuid.uuid4(), code, SECRET) == (False, None)
    assert await confirming(world.store, world.outbox, world.clock, chosen.application_id, code, SECRET) == (False, chosen)
    wrong_code = await confirming(world.store, world.outbox, world.clock, sent.application_id, wrong(code), SECRET)
    assert (wrong_code[0], wrong_code[1].code_tries) == (False, 1)  # type: ignore[union-attr]
    world.later(hours=25)
    expired = await confirming(world.store, world.outbox, world.clock, sent.application_id, code, SECRET)
    assert expired == (False, await world.current(sent))
    assert world.outbox.events(PlanAccepted) == []
