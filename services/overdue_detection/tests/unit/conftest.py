"""Use cases driven on the fakes: the in-memory loan book (adapters/memory.py) and the runtime's
MemoryOutbox, one shared as the Postgres book shares its transaction with the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from overdue_detection.adapters.memory import MemoryLoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from tideover_contracts.common import PlanInstallmentLine, WaivedAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.clock import BusinessClock
from tideover_runtime.unit import Unit
from tideover_testkit.memory import MemoryOutbox, unit_of

USE_CASES: dict[type[Event], Any] = {
    BorrowerContactChanged: handlers.when_contact_changed_update_it,
    LoanClosed: handlers.when_loan_closed_stop_tracking,
    BusinessDayClosed: handlers.when_business_day_closed_settle_overdue,
    PlanActivated: handlers.when_plan_activated_apply_it,
    PlanBroken: handlers.when_plan_broken_resume_clock,
    PlanCompleted: handlers.when_plan_completed_cure_loan,
}


FEB_18 = date(2026, 2, 18)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def close(day: date, catching_up_to: date | None = None) -> BusinessDayClosed:
    closed_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return BusinessDayClosed(business_date=day, closed_at=closed_at, catching_up_to=catching_up_to)


def pay(loan_id: uuid.UUID, amount: str, on: date, payment_id: str | None = None, currency: str = "CNY") -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id,
        payment_id=payment_id or f"P-{uuid.uuid4()}",
        amount=Money.of(amount, currency),
        value_date=on,
        received_at=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
    )


def arrears_plan(loan_id: uuid.UUID, activated_on: date = date(2026, 2, 19)) -> PlanActivated:
    """Installment 1 (1,000.00 + 45.00, penalty 0.31 on 18 Feb waived) over three months."""
    parts = [("333.33", "15.00"), ("333.33", "15.00"), ("333.34", "15.00")]
    schedule = tuple(
        PlanInstallmentLine(
            sequence=n,
            due_date=date(2026, 2 + n, 18),
            principal=cny(p),
            interest=cny(i),
            penalty=cny("0.00"),
            fee=cny("0.00"),
            total=cny(str(Decimal(p) + Decimal(i))),
        )
        for n, (p, i) in enumerate(parts, start=1)
    )
    waiver = WaivedAmounts(penalty=cny("0.31"), interest=cny("0.00"), fee=cny("0.00"), total=cny("0.31"))
    return PlanActivated(
        plan_id=uuid.uuid4(),
        offer_id=uuid.uuid4(),
        option_id="waiver-arrears-3",
        application_id=uuid.uuid4(),
        loan_id=loan_id,
        kind=OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS,
        activated_on=activated_on,
        schedule=schedule,
        total_payable=cny("1045.00"),
        conditional_waiver=waiver,
        effect=PlanEffect.ARREARS,
        basis_business_date=FEB_18,
        replaced_installments=(1,),
    )


@dataclass
class World:
    """The service's ports as fakes; `handle` runs an event's use case as the runtime would."""

    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    clock: BusinessClock = field(default_factory=BusinessClock)

    def __post_init__(self) -> None:
        self.book = MemoryLoanBook(self.outbox)
        self.ctx = Overdue(self.book, ChargeCaps())

    def unit(self, event: Event) -> Unit[Any]:
        return unit_of(event, producer="overdue-detection", outbox=self.outbox, clock=self.clock)

    async def handle(self, event: Event) -> list[Event]:
        """What the event's use case staged (the events new to the outbox)."""
        before = set(self.outbox.staged)
        if isinstance(event, BusinessDayClosed):
            await self.book.record_business_day(event)
            self.clock.advance(event.business_date, event.closed_at)
        if isinstance(event, LoanBooked):
            await handlers.when_loans_booked_record_them([self.unit(event)], self.ctx)
        elif isinstance(event, RepaymentReceived):
            await handlers.when_repayments_received_apply_them([self.unit(event)], self.ctx)
        else:
            await USE_CASES[type(event)](self.unit(event), self.ctx)
        return [envelope.payload for event_id, envelope in self.outbox.staged.items() if event_id not in before]

    async def booked(self, booked_on: date = date(2026, 1, 15)) -> LoanBooked:
        """3,000.00 over 3 × (1,000.00 + 45.00), due on the 15th from the month after `booked_on`."""
        loan = loan_booked(loan_id=uuid.uuid4(), booked_on=booked_on)
        await self.handle(loan)
        return loan

    def owed(self, loan_id: uuid.UUID) -> dict[int, Decimal]:
        day_count = self.book.loans[loan_id]["day_count"]
        return {sequence: line.outstanding(day_count) for sequence, line in sorted(self.book.installments[loan_id].items())}


@pytest.fixture
def world() -> World:
    return World()
