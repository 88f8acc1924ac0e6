"""What agents (and borrowers confirming) do through the intake API."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from negotiation_intake.application.ports import Application, IntakeStore, Outbox
from negotiation_intake.domain.application_state import (
    CODE_TRIES,
    CODE_VALID_HOURS,
    Action,
    State,
    code_hash,
    code_matches,
    transition,
)
from tideover_contracts.common import ContactRef
from tideover_contracts.events.negotiation import (
    ConfirmationChannel,
    Hardship,
    NegotiationRequested,
    NegotiationWithdrawn,
    OptionKind,
    PlanAccepted,
    PlanOptionChosen,
    PlanSentToBorrower,
    WrittenPlan,
)
from tideover_contracts.money import Money
from tideover_runtime.clock import Clock


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    """The request is well-formed but the state of the loan or application refuses it."""


@dataclass(frozen=True)
class Confirmation:
    application: Application
    accepted: bool
    tries_left: int


@dataclass(frozen=True)
class OpenApplication:
    loan_id: uuid.UUID
    reason: str
    description: str
    monthly_income: Money
    essential_expenses: Money
    requested_options: tuple[OptionKind, ...]
    agent_id: str


async def open_application(store: IntakeStore, clock: Clock, command: OpenApplication) -> Application:
    loan = await store.loan(command.loan_id)
    if loan is None:
        raise NotFoundError(f"no loan {command.loan_id} is known to intake")
    if not loan.overdue:
        raise ConflictError(f"loan {command.loan_id} is not overdue; a hardship application needs arrears")
    if command.monthly_income.currency != command.essential_expenses.currency:
        raise ConflictError("monthly income and essential expenses must be in one currency")
    now = clock.now()
    application = Application(
        application_id=uuid.uuid4(),
        loan_id=command.loan_id,
        borrower_id=loan.borrower_id,
        state=State.DRAFT,
        reason=command.reason,
        description=command.description,
        monthly_income=command.monthly_income.amount,
        essential_expenses=command.essential_expenses.amount,
        currency=command.monthly_income.currency,
        requested_options=tuple(option.value for option in command.requested_options),
        agent_id=command.agent_id,
        created_at=now,
        updated_at=now,
        version=1,
        offer_id=None,
        option_id=None,
        code_hash=None,
        code_expires_at=None,
        code_tries=0,
        rejection=None,
    )
    await store.add_application(application)
    return application


async def _load(store: IntakeStore, application_id: uuid.UUID) -> Application:
    application = await store.application(application_id, for_update=True)
    if application is None:
        raise NotFoundError(f"no application {application_id}")
    return application


async def submit(store: IntakeStore, outbox: Outbox, clock: Clock, application_id: uuid.UUID) -> Application:
    application = await _load(store, application_id)
    state = transition(application.state, Action.SUBMIT)
    now = clock.now()
    await store.update_application(application_id, state=state, updated_at=now)

    def money(amount: Decimal) -> Money:
        return Money.of(amount, application.currency)

    await outbox(
        NegotiationRequested(
            application_id=application_id,
            loan_id=application.loan_id,
            borrower_id=application.borrower_id,
            hardship=Hardship(
                reason=application.reason,
                description=application.description,
                monthly_income=money(application.monthly_income),
                essential_expenses=money(application.essential_expenses),
            ),
            requested_options=tuple(OptionKind(option) for option in application.requested_options),
            agent_id=application.agent_id,
            submitted_at=now,
        )
    )
    return replace(application, state=state, updated_at=now)


async def choose_and_send(
    store: IntakeStore, outbox: Outbox, clock: Clock, application_id: uuid.UUID, offer_id: uuid.UUID, option_id: str
) -> str:
    """Record the borrower's choice and send the written plan with a fresh one-time code.
    Returns the code (for the recorded call; it is stored only hashed)."""
    application = await _load(store, application_id)
    state = transition(application.state, Action.CHOOSE_AND_SEND)
    offer = next((offer for offer in await store.offers(application_id) if offer.offer_id == offer_id), None)
    if offer is None:
        raise NotFoundError(f"application {application_id} has no offer {offer_id}")
    option = next((option for option in offer.options if option.option_id == option_id), None)
    if option is None:
        raise NotFoundError(f"offer {offer_id} has no option {option_id}")
    loan = await store.loan(application.loan_id)
    assert loan is not None
    now = clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + timedelta(hours=CODE_VALID_HOURS)
    await store.update_application(
        application_id,
        state=state,
        updated_at=now,
        offer_id=offer_id,
        option_id=option_id,
        code_hash=code_hash(str(application_id), code),
        code_expires_at=expires,
        code_tries=0,
    )
    await outbox(
        PlanOptionChosen(
            application_id=application_id,
            loan_id=application.loan_id,
            offer_id=offer_id,
            option_id=option_id,
            agent_id=application.agent_id,
            needs_supervisor=option.needs_supervisor,
            chosen_at=now,
        )
    )
    await outbox(
        PlanSentToBorrower(
            application_id=application_id,
            loan_id=application.loan_id,
            offer_id=offer_id,
            plan=WrittenPlan(
                option_id=option.option_id,
                kind=option.kind,
                schedule=option.schedule,
                total_payable=option.total_payable,
                waived=option.waived,
                waiver_conditional=option.waiver_conditional,
                first_due_date=option.schedule[0].due_date,
            ),
            confirmation_code=code,
            code_expires_at=expires,
            contact=ContactRef.model_validate(loan.snapshot["contact"]),
            sent_at=now,
        )
    )
    return code


async def confirm(
    store: IntakeStore, outbox: Outbox, clock: Clock, application_id: uuid.UUID, code: str, via: ConfirmationChannel
) -> Confirmation:
    """Accept the plan if the code is right; a wrong code uses up one of the 5 tries."""
    application = await _load(store, application_id)
    state = transition(application.state, Action.ACCEPT)
    now = clock.now()
    if application.code_tries >= CODE_TRIES:
        raise ConflictError("the confirmation code is locked after 5 wrong tries; send the plan again")
    if application.code_expires_at is None or now > application.code_expires_at:
        raise ConflictError("the confirmation code has expired; send the plan again")
    assert application.code_hash is not None
    assert application.offer_id is not None
    assert application.option_id is not None
    if not code_matches(str(application_id), code, application.code_hash):
        tries = application.code_tries + 1
        await store.update_application(application_id, code_tries=tries, updated_at=now)
        return Confirmation(application, accepted=False, tries_left=CODE_TRIES - tries)
    await store.update_application(application_id, state=state, updated_at=now)
    await outbox(
        PlanAccepted(
            application_id=application_id,
            loan_id=application.loan_id,
            offer_id=application.offer_id,
            option_id=application.option_id,
            confirmed_via=via,
            accepted_at=now,
        )
    )
    return Confirmation(replace(application, state=state), accepted=True, tries_left=CODE_TRIES - application.code_tries)


async def withdraw(store: IntakeStore, outbox: Outbox, clock: Clock, application_id: uuid.UUID, reason: str) -> Application:
    application = await _load(store, application_id)
    state = transition(application.state, Action.WITHDRAW)
    now = clock.now()
    await store.update_application(application_id, state=state, updated_at=now)
    await outbox(
        NegotiationWithdrawn(application_id=application_id, loan_id=application.loan_id, reason=reason, withdrawn_at=now)
    )
    return replace(application, state=state)
