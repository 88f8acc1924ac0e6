"""*I need help* on the borrower's page (issue 21): the hardship application the borrower confirmed
with their code, made through the same use cases the agents' console uses (applications.py,
evidence.py), by the page's own caller `FROM_THE_BORROWER`, so that it reaches the agents' queue as
an application from the borrower — a draft whose proof an agent verifies and submits as today."""

from __future__ import annotations

import uuid
from decimal import Decimal

from negotiation_intake.application import applications, evidence
from negotiation_intake.application.borrower_changes import Apply, ChangeFile
from negotiation_intake.application.ports import Agent, DocumentCheck, IntakeStore, Ledger
from negotiation_intake.domain.access import BORROWER_PAGE, Role
from negotiation_intake.domain.borrower_changes import PendingChange
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason
from tideover_contracts.money import Money
from tideover_runtime.clock import Clock

#: Who made an application on the borrower's page: its `agent_id` and its documents'
#: `uploaded_by` (the console says "From the borrower's page"); reserved (domain/access.py).
__all__ = ["BORROWER_PAGE", "applying_for_help", "from_the_borrower", "hardship_details"]


def from_the_borrower(loan_id: uuid.UUID) -> Agent:
    """The borrower of `loan_id` as the caller of the use cases (and the scope of their
    Idempotency-Keys in `changes.perform`)."""
    return Agent(agent_id=BORROWER_PAGE, role=Role.AGENT, key_id=f"borrower-loan:{loan_id}")


def hardship_details(
    reason: HardshipReason, income: Decimal, expenses: Decimal, currency: str, description: str
) -> dict[str, str]:
    """What a pending hardship application keeps (JSON: decimal strings)."""
    return {
        "reason": reason.value,
        "monthly_income": str(income),
        "essential_expenses": str(expenses),
        "currency": currency,
        "description": description,
    }


def applying_for_help(store: IntakeStore, clock: Clock, check: DocumentCheck, ledger: Ledger | None = None) -> Apply:
    """Applies a pending hardship application: opened (one at a time, early hardship and the
    loan's currency checked as for an agent) with each file as its evidence, checked again."""

    async def apply(change: PendingChange, files: list[ChangeFile]) -> uuid.UUID:
        details = change.details
        agent = from_the_borrower(change.loan_id)
        command = applications.OpenApplication(
            loan_id=change.loan_id,
            reason=HardshipReason(details["reason"]),
            description=details["description"],
            monthly_income=Money.of(Decimal(details["monthly_income"]), details["currency"]),
            essential_expenses=Money.of(Decimal(details["essential_expenses"]), details["currency"]),
            requested_options=(),
        )
        application = await applications.open_application(store, clock, command, agent, ledger)
        for file in files:
            kind = EvidenceKind(file.kind)
            await evidence.upload_evidence(store, clock, application, kind, file.filename, file.content, agent, check)
        return application.application_id

    return apply
