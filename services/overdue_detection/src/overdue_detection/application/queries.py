"""What overdue-detection answers about one loan from its ledger, the book of record: the
position a hardship request is priced on (DESIGN.md §3a), and the days past due it shows."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import LoanBook
from overdue_detection.domain.delinquency import days_past_due
from tideover_contracts.common import OverdueAmounts
from tideover_contracts.events.overdue import LedgerPosition, RemainingInstallment
from tideover_contracts.money import Money


def shown_days_past_due(
    business_date: date | None, oldest_due: date | None, position: Any, overdue_since: date | None, paused_since: date | None
) -> int:
    """While a plan is in force the days past due stand still where they were when it began
    (DESIGN.md §3); otherwise they leave out the days under plans after the oldest unpaid due date."""
    if business_date is None:
        return 0
    if paused_since is not None:
        return days_past_due(paused_since, overdue_since)
    return days_past_due(business_date, oldest_due, position.get("paused_days", 0))


class ClosedLoanError(Exception):
    """The loan left the book (paid off, written off, sold): it has no position to negotiate on."""


async def ledger_position(book: LoanBook, loan_id: uuid.UUID) -> LedgerPosition | None:
    """The loan at the last closed business day; None if it is not booked here (or no day was
    closed yet: nothing to price on)."""
    loan = await book.get(loan_id)
    business_date = await book.last_business_date()
    if loan is None or business_date is None:
        return None
    if loan.status != "active":
        raise ClosedLoanError(f"loan {loan_id} is {loan.status}")
    positions = await book.positions(business_date, [loan_id], include_under_plan=True)
    position: Any = positions[0] if positions else {}
    oldest_due = position.get("oldest_due")
    remaining = (await book.remaining_schedules([loan_id])).get(loan_id, [])
    paused_since = await book.open_pause(loan_id) if loan.under_plan else None

    def money(amount: Decimal) -> Money:
        return Money.of(amount, loan.currency)

    parts = {
        part: money(position[part] if oldest_due is not None else Decimal(0))
        for part in ("principal", "interest", "fee", "penalty")
    }
    return LedgerPosition(
        loan_id=loan_id,
        business_date=business_date,
        days_past_due=shown_days_past_due(business_date, oldest_due, position, loan.overdue_since, paused_since),
        oldest_overdue_due_date=oldest_due,
        next_due_date=min((item.due_date for item, _ in remaining if item.due_date >= business_date), default=None),
        overdue=OverdueAmounts(**parts, total=sum(parts.values(), start=money(Decimal(0)))),
        outstanding_principal=money(await book.outstanding_principal(loan_id)),
        contract_rate=loan.policy.contract_rate,
        overdue_rate=loan.policy.overdue_rate,
        under_plan=loan.under_plan,
        remaining_schedule=tuple(RemainingInstallment(installment=item, outstanding=money(owed)) for item, owed in remaining),
        contact=loan.contact,
    )
