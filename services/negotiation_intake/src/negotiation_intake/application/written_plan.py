"""The written plan: sent to the borrower with a one-time code, and confirmed with it (on a
recorded call, or by the borrower on their own)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from negotiation_intake.application.applications import update
from negotiation_intake.application.decisions import current_offer, option_of
from negotiation_intake.application.errors import RuleError
from negotiation_intake.application.ports import IntakeStore, Outbox
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import (
    CODE_TRIES,
    CODE_VALID_HOURS,
    Action,
    ResendLimitError,
    State,
    code_hash,
    code_matches,
    sends_after_one_more,
    transition,
)
from tideover_contracts.common import ContactRef
from tideover_contracts.events.negotiation import (
    ConfirmationChannel,
    PlanAccepted,
    PlanSentToBorrower,
    WrittenPlan,
)
from tideover_contracts.events.plans import PlanOffered, PlanOption
from tideover_runtime.clock import Clock


@dataclass(frozen=True)
class Confirmation:
    application: Application
    accepted: bool
    tries_left: int


def written_plan(offer: PlanOffered, option: PlanOption) -> WrittenPlan:
    """The chosen option of the offer, as the borrower is sent it."""
    return WrittenPlan(
        option_id=option.option_id,
        kind=option.kind,
        schedule=option.schedule,
        total_payable=option.total_payable,
        waived=option.waived,
        waiver_conditional=option.waiver_conditional,
        first_due_date=option.schedule[0].due_date,
        effect=option.plan_effect,
        basis_business_date=offer.basis_business_date,
        continuing_installments=option.continuing_installments,
        plan_rate=option.plan_rate,
    )


async def send(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, code_secret: bytes
) -> tuple[Application, str]:
    """Send the written plan with a fresh one-time code, through notification; at most
    SENDS_A_DAY times a business day. Returns the code too (the agent reads it to nobody: it is
    for tests and the borrower's own channel). The code is kept only as an HMAC keyed with
    `code_secret`; the event that carries it is blanked in the outbox once published."""
    state = transition(application.state, Action.SEND)
    today = clock.today()
    try:
        sends = sends_after_one_more(application.sends_on, application.sends_that_day, today)
    except ResendLimitError as error:
        raise RuleError("written_plan_resends", str(error)) from None
    assert application.offer_id is not None
    assert application.option_id is not None
    offer = await current_offer(store, application)
    option = option_of(offer, application.option_id)
    loan = await store.loan(application.loan_id)
    assert loan is not None
    now = clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + timedelta(hours=CODE_VALID_HOURS)
    await outbox(
        PlanSentToBorrower(
            application_id=application.application_id,
            loan_id=application.loan_id,
            offer_id=application.offer_id,
            plan=written_plan(offer, option),
            confirmation_code=code,
            code_expires_at=expires,
            contact=ContactRef.model_validate(loan.snapshot["contact"]),
            sent_at=now,
        ),
        secret=True,
    )
    updated = await update(
        store,
        application,
        state=state,
        updated_at=now,
        code_hash=code_hash(code_secret, str(application.application_id), code),
        code_expires_at=expires,
        code_tries=0,
        sends_on=today,
        sends_that_day=sends,
    )
    return updated, code


async def confirm(
    store: IntakeStore,
    outbox: Outbox,
    clock: Clock,
    application: Application,
    code: str,
    via: ConfirmationChannel,
    code_secret: bytes,
) -> Confirmation:
    """Accept the plan if the code is right; a wrong code uses up one of the 5 tries."""
    state = transition(application.state, Action.ACCEPT)
    now = clock.now()
    if application.code_tries >= CODE_TRIES:
        raise RuleError("code_locked", "the confirmation code is locked after 5 wrong tries; send the plan again")
    # No hash: a code hashed before the server's secret was used, discarded by migration 0005.
    if application.code_hash is None or application.code_expires_at is None or now > application.code_expires_at:
        raise RuleError("code_expired", "the confirmation code has expired; send the plan again")
    assert application.offer_id is not None
    assert application.option_id is not None
    if not code_matches(code_secret, str(application.application_id), code, application.code_hash):
        tries = application.code_tries + 1
        updated = await update(store, application, code_tries=tries, updated_at=now)
        return Confirmation(updated, accepted=False, tries_left=CODE_TRIES - tries)
    await outbox(
        PlanAccepted(
            application_id=application.application_id,
            loan_id=application.loan_id,
            offer_id=application.offer_id,
            option_id=application.option_id,
            confirmed_via=via,
            accepted_at=now,
        )
    )
    updated = await update(store, application, state=state, updated_at=now)
    return Confirmation(updated, accepted=True, tries_left=CODE_TRIES - application.code_tries)


async def confirm_by_borrower(
    store: IntakeStore, outbox: Outbox, clock: Clock, application_id: uuid.UUID, code: str, code_secret: bytes
) -> tuple[bool, Application | None]:
    """The borrower's own confirmation, where the code is the only credential: whether the code
    confirms the plan (now, or already: a repeat answers the same), and the application as it
    stands after (for the audit; None if there is none). Refused alike whether the application
    does not exist, is in another state, or the code is wrong, locked or expired: the caller
    learns nothing of which (issue 17, L1). A wrong code still uses up one of its tries."""
    application = await store.application(application_id, for_update=True)
    if application is None:
        return False, None
    if application.state is State.ACCEPTED:
        stored = application.code_hash
        return stored is not None and code_matches(code_secret, str(application_id), code, stored), application
    if application.state is not State.SENT:
        return False, application
    try:
        result = await confirm(
            store, outbox, clock, application, code, ConfirmationChannel.BORROWER_CONFIRM_ENDPOINT, code_secret
        )
    except RuleError:
        return False, application
    return result.accepted, result.application
