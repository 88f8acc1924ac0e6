"""The borrower's own choice of an option (application/borrower_options.py) on the fakes: applied
with the right change code as an agent's choice is, from the borrower's page; an option within the
agent's authority has its written plan sent at once, one needing a supervisor waits for one and is
sent on approval (not on a refusal); a choice for another loan's application, or of an offer
replaced meanwhile, changes nothing."""

from __future__ import annotations

import uuid

import pytest

from negotiation_intake.adapters.memory import MemoryPendingChanges
from negotiation_intake.application import decisions
from negotiation_intake.application.borrower_changes import Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import BORROWER_PAGE, from_the_borrower
from negotiation_intake.application.borrower_options import applying_choice, choice_details, send_when_borrowers_choice
from negotiation_intake.application.errors import ConflictError, NotFoundError
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import ChangeKind, ChangeState, PendingChange
from tideover_contracts.events.negotiation import PlanOptionChosen, PlanSentToBorrower
from tideover_contracts.events.plans import PlanOffered

from .intake_world import AGENT, SECRET, SUPERVISOR, World

SESSION = "c" * 64


class Choosing:
    def __init__(self) -> None:
        self.world = World()
        self.changes = MemoryPendingChanges()
        self.recorded: list[tuple[Application, Application]] = []

    async def pending(self, application: Application, offer: PlanOffered, option_id: str | None = None) -> PendingChange:
        details = choice_details(application.application_id, offer.offer_id, option_id or offer.options[0].option_id)
        change = PendingChange(
            uuid.uuid4(), application.loan_id, "B-000123", SESSION, ChangeKind.OPTION_CHOICE, details, self.world.clock.now()
        )
        await self.changes.add(change, [])
        return change

    async def enter(self, change: PendingChange, code: str) -> Confirmed:
        async def record(before: Application, after: Application) -> None:
            self.recorded.append((before, after))

        world = self.world
        apply = applying_choice(world.store, world.outbox, world.clock, SECRET, record)
        return await confirm_change(self.changes, world.clock.now(), change.change_id, SESSION, code, SECRET, apply)

    async def code(self, change: PendingChange) -> str:
        return await send_code(self.changes, self.world.outbox, self.world.clock, change, SECRET)


@pytest.fixture
def choosing() -> Choosing:
    return Choosing()


async def test_a_choice_within_authority_is_made_by_the_borrower_and_its_written_plan_sent(choosing: Choosing) -> None:
    application, offer = await choosing.world.offered()
    change = await choosing.pending(application, offer)
    confirmed = await choosing.enter(change, await choosing.code(change))

    assert confirmed.result_id == application.application_id
    after = await choosing.world.current(application)
    assert (after.state, after.chosen_by, after.option_id) == (State.SENT, BORROWER_PAGE, offer.options[0].option_id)
    [chosen] = choosing.world.outbox.events(PlanOptionChosen)
    assert (chosen.agent_id, chosen.offer_id) == (BORROWER_PAGE, offer.offer_id)
    [sent] = choosing.world.outbox.events(PlanSentToBorrower)
    assert (sent.plan.option_id, sent.application_id) == (offer.options[0].option_id, application.application_id)
    assert after.code_hash is not None  # the written plan's own code, to be confirmed under My plan
    [(before, recorded_after)] = choosing.recorded
    assert (before.state, recorded_after) == (State.OFFERED, after)


async def test_entered_again_it_chooses_and_sends_nothing_more(choosing: Choosing) -> None:
    application, offer = await choosing.world.offered()
    change = await choosing.pending(application, offer)
    code = await choosing.code(change)
    await choosing.enter(change, code)
    again = await choosing.enter(change, code)
    assert again.result_id == application.application_id
    assert len(choosing.world.outbox.events(PlanSentToBorrower)) == 1
    assert len(choosing.recorded) == 1


async def test_a_wrong_code_chooses_nothing(choosing: Choosing) -> None:
    application, offer = await choosing.world.offered()
    change = await choosing.pending(application, offer)
    code = await choosing.code(change)
    confirmed = await choosing.enter(change, f"{(int(code) + 1) % 1_000_000:06d}")
    assert not confirmed.applied
    assert (await choosing.world.current(application)).state is State.OFFERED
    assert choosing.world.outbox.events(PlanOptionChosen) == []


async def test_an_option_needing_a_supervisor_waits_and_is_sent_on_approval_only(choosing: Choosing) -> None:
    world = choosing.world
    application, offer = await world.offered(needs_supervisor=True)
    change = await choosing.pending(application, offer)
    await choosing.enter(change, await choosing.code(change))
    waiting = await world.current(application)
    assert waiting.state is State.AWAITING_APPROVAL
    assert world.outbox.events(PlanSentToBorrower) == []

    refused = await decisions.decide_approval(world.store, world.clock, waiting, False, "income not shown", SUPERVISOR)
    assert (await send_when_borrowers_choice(world.store, world.outbox, world.clock, refused, SECRET)).state is State.OFFERED
    assert world.outbox.events(PlanSentToBorrower) == []

    again = await choosing.pending(refused, offer)
    await choosing.enter(again, await choosing.code(again))
    approved = await decisions.decide_approval(world.store, world.clock, await world.current(application), True, "ok", SUPERVISOR)
    sent = await send_when_borrowers_choice(world.store, world.outbox, world.clock, approved, SECRET)
    assert sent.state is State.SENT
    [plan] = world.outbox.events(PlanSentToBorrower)
    assert plan.plan.option_id == offer.options[0].option_id


async def test_an_agents_choice_is_left_for_the_agent_to_send(choosing: Choosing) -> None:
    world = choosing.world
    chosen = await world.chosen(needs_supervisor=False, by=AGENT)
    assert (await send_when_borrowers_choice(world.store, world.outbox, world.clock, chosen, SECRET)).state is State.CHOSEN
    assert world.outbox.events(PlanSentToBorrower) == []


async def test_another_loans_application_or_a_replaced_offer_is_refused_and_changes_nothing(choosing: Choosing) -> None:
    world = choosing.world
    application, offer = await world.offered()
    other = await choosing.pending(application, offer)
    foreign = PendingChange(
        uuid.uuid4(), uuid.uuid4(), "B-999", SESSION, ChangeKind.OPTION_CHOICE, other.details, world.clock.now()
    )
    await choosing.changes.add(foreign, [])
    with pytest.raises(NotFoundError):
        await choosing.enter(foreign, await choosing.code(foreign))

    stale = PendingChange(
        uuid.uuid4(),
        application.loan_id,
        "B-000123",
        SESSION,
        ChangeKind.OPTION_CHOICE,
        choice_details(application.application_id, uuid.uuid4(), offer.options[0].option_id),
        world.clock.now(),
    )
    await choosing.changes.add(stale, [])
    with pytest.raises(ConflictError):
        await choosing.enter(stale, await choosing.code(stale))
    assert (await world.current(application)).state is State.OFFERED
    assert world.outbox.events(PlanOptionChosen) == []
    assert (await choosing.changes.get(stale.change_id)).state is ChangeState.PENDING  # type: ignore[union-attr]


def test_the_borrowers_caller_is_scoped_to_the_loan() -> None:
    loan = uuid.uuid4()
    assert from_the_borrower(loan).key_id == f"borrower-loan:{loan}"
