"""What agents, supervisors and borrowers do through the intake API."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from negotiation_intake.application.ports import Agent, Application, Document, IntakeStore, Ledger, LoanView, Outbox
from negotiation_intake.domain.access import FOUR_EYES, refusal_to_approve
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
from negotiation_intake.domain.early_hardship import refusal_to_open_early, refusal_to_submit_early
from negotiation_intake.domain.evidence import PROOF_FOR, display_name
from negotiation_intake.domain.evidence_content import checked_document
from negotiation_intake.domain.one_at_a_time import SecondNegotiation, refusal_to_open
from tideover_contracts.common import ContactRef
from tideover_contracts.events.negotiation import (
    EFFECT_OF_KIND,
    ConfirmationChannel,
    EvidenceKind,
    EvidenceRef,
    Hardship,
    HardshipReason,
    NegotiationRequested,
    NegotiationWithdrawn,
    OptionKind,
    PlanAccepted,
    PlanDeclined,
    PlanOptionChosen,
    PlanSentToBorrower,
    WrittenPlan,
)
from tideover_contracts.events.plans import PlanOffered, PlanOption
from tideover_contracts.money import Money
from tideover_runtime.clock import Clock


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    """The request is well-formed but the state of the loan or application refuses it."""


class OneAtATimeError(ConflictError):
    """The loan already has an application open or a plan in force (DESIGN.md §3a)."""

    def __init__(self, refusal: SecondNegotiation) -> None:
        super().__init__(refusal.message)
        self.rule = refusal.rule
        self.names = refusal.names


class RuleError(Exception):
    """A policy rule refuses the request (e.g. proof is missing); names the rule, and the field
    of the request it refuses when it is one field's."""

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field


class FourEyesError(Exception):
    """The approver opened the application or chose the option (maker-checker): 403."""

    rule = FOUR_EYES


class TooManyTriesError(Exception):
    """Too many refused tries in a while (a rate limit, 429): names the rule, and in how many
    seconds the caller may try again."""

    def __init__(self, rule: str, message: str, retry_after: int, application_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.retry_after = retry_after
        self.application_id = application_id


class StaleVersionError(Exception):
    """If-Match named another version than the application's current one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the application is at version {current}; fetch it again and retry")
        self.current = current


@dataclass(frozen=True)
class Confirmation:
    application: Application
    accepted: bool
    tries_left: int


@dataclass(frozen=True)
class OpenApplication:
    loan_id: uuid.UUID
    reason: HardshipReason
    description: str
    monthly_income: Money
    essential_expenses: Money
    requested_options: tuple[OptionKind, ...]


def loan_currency(snapshot: dict[str, Any]) -> str | None:
    """The loan's currency, from the last status event intake keeps of it (None if it names none)."""
    for money in (snapshot.get("overdue", {}).get("total"), snapshot.get("outstanding_principal")):
        if isinstance(money, dict) and isinstance(money.get("currency"), str):
            return str(money["currency"])
    return None


async def _known_from_the_ledger(
    store: IntakeStore, loan_id: uuid.UUID, known: LoanView | None, ledger: Ledger | None
) -> LoanView:
    """A loan intake has not heard of as overdue: the ledger's position decides whether an
    application may be opened on it — overdue meanwhile, or early hardship (DESIGN.md §4)."""
    if ledger is None:  # nobody to ask: only what intake heard counts
        if known is None:
            raise NotFoundError(f"no loan {loan_id} is known to intake")
        raise ConflictError(f"loan {loan_id} is not overdue; a hardship application needs arrears")
    position = await ledger.position(loan_id)
    if position is None:
        raise NotFoundError(f"no loan {loan_id} is open in the ledger")
    overdue = position.overdue.total.amount > 0
    if not overdue and (refusal := refusal_to_open_early(position.business_date, position.next_due_date)):
        raise RuleError(refusal.rule, refusal.message)
    await store.upsert_loan(loan_id, position.contact.borrower_id, overdue, position.business_date, position.model_dump_json())
    loan = await store.loan(loan_id, for_update=True)
    assert loan is not None
    return loan


async def open_application(
    store: IntakeStore, clock: Clock, command: OpenApplication, agent: Agent, ledger: Ledger | None = None
) -> Application:
    """A draft application on an overdue loan, or on a loan whose next due date is near
    (early hardship: asked of the `ledger`)."""
    # Locked: two agents opening an application on one loan at once take turns (one at a time).
    loan = await store.loan(command.loan_id, for_update=True)
    if loan is None or not loan.overdue:
        loan = await _known_from_the_ledger(store, command.loan_id, loan, ledger)
    applications = [(item.application_id, item.state) for item in await store.applications_for_loan(command.loan_id)]
    refusal = refusal_to_open(command.loan_id, applications, await store.active_plan(command.loan_id))
    if refusal is not None:
        raise OneAtATimeError(refusal)
    if command.monthly_income.currency != command.essential_expenses.currency:
        raise RuleError("one_currency", "monthly income and essential expenses must be in one currency")
    currency = loan_currency(loan.snapshot)
    if currency is not None and command.monthly_income.currency != currency:
        raise RuleError(
            "loan_currency",
            f"income and expenses must be in the loan's currency, {currency}: plans are priced in it",
            field="hardship.monthly_income",
        )
    now = clock.now()
    application = Application(
        application_id=uuid.uuid4(),
        loan_id=command.loan_id,
        borrower_id=loan.borrower_id,
        state=State.DRAFT,
        reason=command.reason.value,
        description=command.description,
        monthly_income=command.monthly_income.amount,
        essential_expenses=command.essential_expenses.amount,
        currency=command.monthly_income.currency,
        requested_options=tuple(option.value for option in command.requested_options),
        agent_id=agent.agent_id,
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


async def load(store: IntakeStore, application_id: uuid.UUID, expected_version: int | None = None) -> Application:
    """The application, locked for this transaction; refused if If-Match named another version."""
    application = await store.application(application_id, for_update=True)
    if application is None:
        raise NotFoundError(f"no application {application_id}")
    if expected_version is not None and expected_version != application.version:
        raise StaleVersionError(application.version)
    return application


async def _update(store: IntakeStore, application: Application, **fields: object) -> Application:
    await store.update_application(application.application_id, **fields)
    return replace(application, **fields, version=application.version + 1)  # type: ignore[arg-type]


async def upload_evidence(
    store: IntakeStore,
    clock: Clock,
    application: Application,
    kind: EvidenceKind,
    filename: str,
    content: bytes,
    agent: Agent,
) -> Document:
    """Add a document to a draft application; its type is decided by parsing its content (an
    image is kept re-encoded), its name is kept without directories or hidden characters."""
    if application.state is not State.DRAFT:
        raise ConflictError(f"evidence is added before submission; the application is {application.state.value}")
    if "\x00" in filename:
        raise RuleError("file_name", "the file's name holds a NUL character; rename the file and upload it again", "file")
    checked = await asyncio.to_thread(checked_document, content)  # parsing takes up to a second: off the event loop
    document = Document(
        document_id=uuid.uuid4(),
        application_id=application.application_id,
        kind=kind.value,
        filename=display_name(filename),
        media_type=checked.media_type,
        size_bytes=len(checked.content),
        sha256=hashlib.sha256(checked.content).hexdigest(),
        uploaded_by=agent.agent_id,
        uploaded_at=clock.now(),
        status="pending",
        review_note=None,
        reviewed_by=None,
        reviewed_at=None,
    )
    await store.add_document(document, checked.content)
    await _update(store, application, updated_at=document.uploaded_at)
    return document


async def review_evidence(
    store: IntakeStore, clock: Clock, application: Application, document_id: uuid.UUID, verified: bool, note: str, agent: Agent
) -> Document:
    document = await store.document(document_id, for_update=True)
    if document is None or document.application_id != application.application_id:
        raise NotFoundError(f"application {application.application_id} has no document {document_id}")
    if application.state is not State.DRAFT:
        raise ConflictError(f"evidence is reviewed before submission; the application is {application.state.value}")
    now = clock.now()
    status = "verified" if verified else "rejected"
    await store.review_document(document_id, status, note, agent.agent_id, now)
    await _update(store, application, updated_at=now)
    return replace(document, status=status, review_note=note, reviewed_by=agent.agent_id, reviewed_at=now)


async def submit(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, ledger: Ledger | None = None
) -> Application:
    """NegotiationRequested, carrying the loan's position in the `ledger` today: the basis the
    offer is priced on (DESIGN.md §3a). Without a ledger to ask, the request carries none."""
    state = transition(application.state, Action.SUBMIT)
    documents = await store.documents(application.application_id)
    reason = HardshipReason(application.reason)
    needed = PROOF_FOR.get(reason)
    if needed and not any(doc.status == "verified" and EvidenceKind(doc.kind) in needed for doc in documents):
        kinds = " or ".join(sorted(kind.value for kind in needed))
        raise RuleError("proof_required", f"a {reason.value} application needs a verified {kinds} document")
    basis = await ledger.position(application.loan_id) if ledger else None
    if ledger is not None and basis is None:
        raise ConflictError(f"loan {application.loan_id} is no longer open in the ledger; there is nothing to negotiate")
    if basis is not None and basis.overdue.total.amount == 0:  # nothing overdue (any more): early rules
        verified = any(doc.status == "verified" for doc in documents)
        refusal = refusal_to_open_early(basis.business_date, basis.next_due_date) or refusal_to_submit_early(verified)
        if refusal:
            raise RuleError(refusal.rule, refusal.message)
    now = clock.now()

    def money(amount: Decimal) -> Money:
        return Money.of(amount, application.currency)

    await outbox(
        NegotiationRequested(
            application_id=application.application_id,
            loan_id=application.loan_id,
            borrower_id=application.borrower_id,
            hardship=Hardship(
                reason=reason,
                description=application.description,
                monthly_income=money(application.monthly_income),
                essential_expenses=money(application.essential_expenses),
                evidence=tuple(
                    EvidenceRef(
                        document_id=doc.document_id,
                        kind=EvidenceKind(doc.kind),
                        sha256=doc.sha256,
                        verified=doc.status == "verified",
                    )
                    for doc in documents
                    if doc.status != "rejected"
                ),
            ),
            requested_options=tuple(OptionKind(option) for option in application.requested_options),
            agent_id=application.agent_id,
            submitted_at=now,
            basis=basis,
        )
    )
    return await _update(store, application, state=state, updated_at=now)


async def _current_offer(store: IntakeStore, application: Application) -> PlanOffered:
    offers = await store.offers(application.application_id)
    if not offers:
        raise ConflictError(f"application {application.application_id} has no offer yet")
    return offers[-1]


def _option(offer: PlanOffered, option_id: str) -> PlanOption:
    option = next((option for option in offer.options if option.option_id == option_id), None)
    if option is None:
        raise NotFoundError(f"offer {offer.offer_id} has no option {option_id}")
    return option


async def choose(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, offer_id: uuid.UUID, option_id: str, agent: Agent
) -> Application:
    """The borrower's choice of an option of the current offer. An option beyond the agent's
    authority waits in the supervisor queue before the written plan can be sent."""
    offer = await _current_offer(store, application)
    if offer.offer_id != offer_id:
        raise ConflictError(f"offer {offer_id} is not the application's current offer ({offer.offer_id})")
    option = _option(offer, option_id)
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
    return await _update(
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
    return await _update(
        store,
        application,
        state=state,
        updated_at=clock.now(),
        approved_by=supervisor.agent_id if approved else None,
        approval_note=note,
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
    offer = await _current_offer(store, application)
    option = _option(offer, application.option_id)
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
            plan=WrittenPlan(
                option_id=option.option_id,
                kind=option.kind,
                schedule=option.schedule,
                total_payable=option.total_payable,
                waived=option.waived,
                waiver_conditional=option.waiver_conditional,
                first_due_date=option.schedule[0].due_date,
                effect=option.effect or EFFECT_OF_KIND[option.kind],
                basis_business_date=offer.basis_business_date,
                continuing_installments=option.continuing_installments,
                plan_rate=option.plan_rate,
            ),
            confirmation_code=code,
            code_expires_at=expires,
            contact=ContactRef.model_validate(loan.snapshot["contact"]),
            sent_at=now,
        ),
        secret=True,
    )
    updated = await _update(
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
        updated = await _update(store, application, code_tries=tries, updated_at=now)
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
    updated = await _update(store, application, state=state, updated_at=now)
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


async def decline(store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, reason: str) -> Application:
    """The borrower refuses the plan."""
    state = transition(application.state, Action.DECLINE)
    offer_id = application.offer_id or (await _current_offer(store, application)).offer_id
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
    return await _update(store, application, state=state, updated_at=now)


async def withdraw(store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, reason: str) -> Application:
    state = transition(application.state, Action.WITHDRAW)
    now = clock.now()
    await outbox(
        NegotiationWithdrawn(
            application_id=application.application_id, loan_id=application.loan_id, reason=reason, withdrawn_at=now
        )
    )
    return await _update(store, application, state=state, updated_at=now)
