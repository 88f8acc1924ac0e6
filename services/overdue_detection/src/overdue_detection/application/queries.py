"""What overdue-detection answers about one loan from its ledger, the book of record: the
position a hardship request is priced on (DESIGN.md §3a), and the days past due it shows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from overdue_detection.application.ports import LoanBook
from overdue_detection.domain.delinquency import paused_days, shown_days_past_due
from overdue_detection.domain.ledger import Installment
from overdue_detection.domain.replay import as_of
from overdue_detection.domain.statuses import LoanStatus
from tideover_contracts.common import OverdueAmounts, ScheduledInstallment
from tideover_contracts.events.overdue import LedgerPosition, RemainingInstallment
from tideover_contracts.money import Money


class ClosedLoanError(Exception):
    """The loan left the book (paid off, written off, sold): it has no position to negotiate on."""


async def ledger_position(book: LoanBook, loan_id: uuid.UUID) -> LedgerPosition | None:
    """The loan at the close of the last business day, replayed from its ledger as of that day
    (domain/replay.py `as_of`); None if it is not booked here or no day was closed yet (nothing to
    price on). Read within one snapshot of the book (the caller's transaction)."""
    loan = await book.get(loan_id)
    business_date = await book.last_business_date()
    if loan is None or business_date is None:
        return None
    if loan.status != LoanStatus.ACTIVE:
        raise ClosedLoanError(f"loan {loan_id} is {loan.status}")
    parts = (await book.ledgers([loan_id]))[loan_id]
    ledger = as_of(
        business_date,
        parts.installments,
        parts.payments,
        loan.policy,
        loan.allocation_order,
        parts.pauses,
        parts.plans,
        parts.write_offs,
    )
    day_count = loan.policy.day_count
    owed = [(line, line.owed(day_count)) for line in sorted(ledger.installments, key=lambda line: line.sequence)]
    remaining = [(line, parts_owed) for line, parts_owed in owed if sum(parts_owed.values(), start=Decimal(0)) > 0]
    overdue_lines = [(line, parts_owed) for line, parts_owed in remaining if line.due_date < business_date]
    oldest_due = min((line.due_date for line, _ in overdue_lines), default=None)
    paused_since = await book.open_pause(loan_id) if loan.under_plan else None

    def money(amount: Decimal) -> Money:
        return Money.of(amount, loan.currency)

    def total(component: str, lines: list[tuple[Installment, dict[str, Decimal]]]) -> Money:
        return money(sum((parts_owed[component] for _, parts_owed in lines), start=Decimal(0)))

    overdue = {component: total(component, overdue_lines) for component in ("principal", "interest", "fee", "penalty")}
    paused = paused_days(parts.pauses, oldest_due, business_date)
    return LedgerPosition(
        loan_id=loan_id,
        business_date=business_date,
        days_past_due=shown_days_past_due(business_date, oldest_due, paused, loan.overdue_since, paused_since),
        oldest_overdue_due_date=oldest_due,
        next_due_date=min((line.due_date for line, _ in remaining if line.due_date >= business_date), default=None),
        overdue=OverdueAmounts(**overdue, total=sum(overdue.values(), start=money(Decimal(0)))),
        outstanding_principal=total("principal", owed),
        contract_rate=loan.policy.contract_rate,
        overdue_rate=loan.policy.overdue_rate,
        under_plan=loan.under_plan,
        remaining_schedule=tuple(_remaining(line, parts_owed, money) for line, parts_owed in remaining),
        contact=loan.contact,
    )


def _remaining(line: Installment, owed: dict[str, Decimal], money: Callable[[Decimal], Money]) -> RemainingInstallment:
    installment = ScheduledInstallment(
        sequence=line.sequence,
        due_date=line.due_date,
        principal=money(line.principal),
        interest=money(line.interest),
        fee=money(line.fee),
    )
    return RemainingInstallment(installment=installment, outstanding=money(sum(owed.values(), start=Decimal(0))))
