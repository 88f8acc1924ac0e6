"""*My options* on the borrower's page (issue 21): the option the borrower chose themselves and
confirmed with their change code, recorded through the same use case an agent's choice goes
through (decisions.choose), by the page's caller `from_the_borrower` — and the written plan sent
to them as soon as it may be:

- an option within the agent's authority: at once, with its own one-time code (written_plan.send);
  the borrower reads it in full under *My plan* and confirms it with that code;
- an option needing a supervisor (a deeper waiver, a payment holiday): it waits in the supervisor
  queue, and the written plan goes when a supervisor approves it (`send_when_borrowers_choice`,
  called by the approval); a refusal sends the choice back to the borrower's options.

Choosing binds the borrower to nothing: only the written plan's code does (seed §5: the borrower
reads the plan in full and confirms)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from negotiation_intake.application import decisions, written_plan
from negotiation_intake.application.borrower_changes import Apply, ChangeFile
from negotiation_intake.application.borrower_help import BORROWER_PAGE, from_the_borrower
from negotiation_intake.application.errors import NotFoundError
from negotiation_intake.application.ports import IntakeStore, Outbox
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import PendingChange
from tideover_runtime.clock import Clock

#: Told of each choice applied: the application before and after it (for the audit).
Recorded = Callable[[Application, Application], Awaitable[None]]


def choice_details(application_id: uuid.UUID, offer_id: uuid.UUID, option_id: str) -> dict[str, str]:
    """What a pending choice keeps (JSON): the application, its offer and the option."""
    return {"application_id": str(application_id), "offer_id": str(offer_id), "option_id": option_id}


async def send_when_borrowers_choice(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, code_secret: bytes
) -> Application:
    """The written plan of a choice the borrower made on their page, sent as soon as it may be:
    once the choice stands chosen (not awaiting a supervisor). Any other application is returned
    as it is: an agent sends the written plan of a choice made with them."""
    if application.chosen_by != BORROWER_PAGE or application.state is not State.CHOSEN:
        return application
    sent, _ = await written_plan.send(store, outbox, clock, application, code_secret)
    return sent


def applying_choice(store: IntakeStore, outbox: Outbox, clock: Clock, code_secret: bytes, recorded: Recorded) -> Apply:
    """Applies a pending choice: the option of the loan's application chosen (ConflictError if its
    offer is no longer the current one, InvalidTransitionError if the application moved on,
    NotFoundError if it is not the loan's), then its written plan sent if no supervisor must
    approve it first."""

    async def apply(change: PendingChange, _: list[ChangeFile]) -> uuid.UUID:
        details = change.details
        application = await store.application(uuid.UUID(details["application_id"]), for_update=True)
        if application is None or application.loan_id != change.loan_id:
            raise NotFoundError(f"the loan has no application {details['application_id']}")
        agent = from_the_borrower(change.loan_id)
        offer_id = uuid.UUID(details["offer_id"])
        chosen = await decisions.choose(store, outbox, clock, application, offer_id, details["option_id"], agent)
        after = await send_when_borrowers_choice(store, outbox, clock, chosen, code_secret)
        await recorded(application, after)
        return after.application_id

    return apply
