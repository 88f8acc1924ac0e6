"""Intake's commands on the fakes (adapters/memory.py): a store, a ledger and an outbox, the
business clock, agents of each role, and applications brought to each state by the commands."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.memory import MemoryIntakeStore, MemoryLedger, RecordingOutbox
from negotiation_intake.application import applications, decisions, evidence, written_plan
from negotiation_intake.application.ports import Agent
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from tideover_contracts.common import OverdueAmounts
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason, OptionKind
from tideover_contracts.events.overdue import LedgerPosition, LoanBecameOverdue
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.examples import golden_events, ledger_position
from tideover_contracts.money import Money
from tideover_runtime.clock import BusinessClock
from tideover_testkit.journeys import PROOF_PDF

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
SECRET = b"a test's code secret"
AGENT = Agent("agent-a", Role.AGENT, "key-a")
OTHER_AGENT = Agent("agent-b", Role.AGENT, "key-b")
SUPERVISOR = Agent("supervisor-s", Role.SUPERVISOR, "key-s")


def golden(event_class: type[Any], **changes: Any) -> Any:
    event = next(event for event in golden_events() if type(event) is event_class)
    return event.model_copy(update=changes)


def cny(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="CNY")


def opening(
    loan_id: uuid.UUID, reason: HardshipReason = HardshipReason.UNEMPLOYMENT, **changes: Any
) -> applications.OpenApplication:
    fields: dict[str, Any] = {
        "loan_id": loan_id,
        "reason": reason,
        "description": "lost the job in February",
        "monthly_income": cny("5000.00"),
        "essential_expenses": cny("3000.00"),
        "requested_options": (OptionKind.ARREARS_INSTALLMENTS,),
    }
    return applications.OpenApplication(**{**fields, **changes})


class World:
    """The fakes a command runs on, and shortcuts to an application in each state."""

    def __init__(self) -> None:
        self.store = MemoryIntakeStore()
        self.ledger = MemoryLedger()
        self.outbox = RecordingOutbox()
        self.clock = BusinessClock()
        self.clock.advance(TODAY, AT)

    def later(self, **delta: float) -> None:
        self.clock.tick(self.clock.now() + timedelta(**delta))

    def next_day(self) -> None:
        day = self.clock.today() + timedelta(days=1)
        self.clock.advance(day, datetime.combine(day, AT.timetz()))

    async def overdue_loan(self) -> uuid.UUID:
        """A loan intake heard of as overdue (LoanBecameOverdue)."""
        loan_id = uuid.uuid4()
        event = golden(LoanBecameOverdue, loan_id=loan_id)
        await self.store.upsert_loan(loan_id, event.contact.borrower_id, True, event.business_date, event.model_dump_json())
        return loan_id

    def position(self, loan_id: uuid.UUID, overdue: bool = True, next_due_days: int | None = 13) -> LedgerPosition:
        """The loan in the ledger (`overdue`: the example's arrears, else none)."""
        golden_position = ledger_position()
        zero = cny("0.00")
        nothing = OverdueAmounts(principal=zero, interest=zero, fee=zero, penalty=zero, total=zero)
        amounts = golden_position.overdue if overdue else nothing
        next_due = TODAY + timedelta(days=next_due_days) if next_due_days is not None else None
        return golden_position.model_copy(
            update={"loan_id": loan_id, "business_date": TODAY, "overdue": amounts, "next_due_date": next_due}
        )

    async def draft(self, reason: HardshipReason = HardshipReason.FAMILY_EMERGENCY, by: Agent = AGENT) -> Application:
        loan_id = await self.overdue_loan()
        return await applications.open_application(self.store, self.clock, opening(loan_id, reason), by)

    async def current(self, application: Application) -> Application:
        kept = await self.store.application(application.application_id)
        assert kept is not None
        return kept

    async def upload(self, application: Application, kind: EvidenceKind = EvidenceKind.INCOME_PROOF) -> uuid.UUID:
        document = await evidence.upload_evidence(
            self.store, self.clock, application, kind, "pay.pdf", PROOF_PDF, AGENT, checked_document
        )
        return document.document_id

    async def submitted(self, by: Agent = AGENT) -> Application:
        draft = await self.draft(by=by)
        return await applications.submit(self.store, self.outbox, self.clock, draft)

    async def offered(self, needs_supervisor: bool = False, by: Agent = AGENT) -> tuple[Application, PlanOffered]:
        """A submitted application and the offer it got (its option `arrears-3` needs a
        supervisor if `needs_supervisor`)."""
        application = await self.submitted(by)
        golden_offer = golden(PlanOffered)
        option = golden_offer.options[0].model_copy(update={"needs_supervisor": needs_supervisor})
        offer = golden_offer.model_copy(
            update={
                "offer_id": uuid.uuid4(),
                "application_id": application.application_id,
                "loan_id": application.loan_id,
                "options": (option,),
                "valid_until": AT + timedelta(days=7),
            }
        )
        await self.store.add_offer(offer, self.clock.now())
        await self.store.update_application(application.application_id, state=State.OFFERED)
        return await self.current(application), offer

    async def chosen(self, needs_supervisor: bool = False, by: Agent = AGENT) -> Application:
        application, offer = await self.offered(needs_supervisor, by)
        option_id = offer.options[0].option_id
        return await decisions.choose(self.store, self.outbox, self.clock, application, offer.offer_id, option_id, by)

    async def sent(self) -> tuple[Application, str]:
        return await written_plan.send(self.store, self.outbox, self.clock, await self.chosen(), SECRET)
