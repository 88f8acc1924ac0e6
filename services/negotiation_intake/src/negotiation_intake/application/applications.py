"""Opening, loading, submitting and withdrawing an application (the agents' commands)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from negotiation_intake.application.errors import ConflictError, NotFoundError, OneAtATimeError, RuleError, StaleVersionError
from negotiation_intake.application.ports import Agent, IntakeStore, Ledger, Outbox
from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.application_state import Action, State, transition
from negotiation_intake.domain.early_hardship import refusal_to_open_early, refusal_to_submit_early
from negotiation_intake.domain.evidence import PROOF_FOR
from negotiation_intake.domain.one_at_a_time import refusal_to_open
from negotiation_intake.domain.statuses import DocumentStatus
from tideover_contracts.events.negotiation import (
    EvidenceKind,
    EvidenceRef,
    Hardship,
    HardshipReason,
    NegotiationRequested,
    NegotiationWithdrawn,
    OptionKind,
)
from tideover_contracts.money import Money
from tideover_runtime.clock import Clock


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


async def update(store: IntakeStore, application: Application, **fields: object) -> Application:
    await store.update_application(application.application_id, **fields)
    return replace(application, **fields, version=application.version + 1)  # type: ignore[arg-type]


async def submit(
    store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, ledger: Ledger | None = None
) -> Application:
    """NegotiationRequested, carrying the loan's position in the `ledger` today: the basis the
    offer is priced on (DESIGN.md §3a). Without a ledger to ask, the request carries none."""
    state = transition(application.state, Action.SUBMIT)
    documents = await store.documents(application.application_id)
    reason = HardshipReason(application.reason)
    needed = PROOF_FOR.get(reason)
    if needed and not any(doc.status == DocumentStatus.VERIFIED and EvidenceKind(doc.kind) in needed for doc in documents):
        kinds = " or ".join(sorted(kind.value for kind in needed))
        raise RuleError("proof_required", f"a {reason.value} application needs a verified {kinds} document")
    basis = await ledger.position(application.loan_id) if ledger else None
    if ledger is not None and basis is None:
        raise ConflictError(f"loan {application.loan_id} is no longer open in the ledger; there is nothing to negotiate")
    if basis is not None and basis.overdue.total.amount == 0:  # nothing overdue (any more): early rules
        verified = any(doc.status == DocumentStatus.VERIFIED for doc in documents)
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
                        verified=doc.status == DocumentStatus.VERIFIED,
                    )
                    for doc in documents
                    if doc.status != DocumentStatus.REJECTED
                ),
            ),
            requested_options=tuple(OptionKind(option) for option in application.requested_options),
            agent_id=application.agent_id,
            submitted_at=now,
            basis=basis,
        )
    )
    return await update(store, application, state=state, updated_at=now)


async def withdraw(store: IntakeStore, outbox: Outbox, clock: Clock, application: Application, reason: str) -> Application:
    state = transition(application.state, Action.WITHDRAW)
    now = clock.now()
    await outbox(
        NegotiationWithdrawn(
            application_id=application.application_id, loan_id=application.loan_id, reason=reason, withdrawn_at=now
        )
    )
    return await update(store, application, state=state, updated_at=now)
