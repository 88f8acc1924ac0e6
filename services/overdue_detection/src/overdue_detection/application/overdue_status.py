"""What overdue-detection answers of a loan's overdue status, for one loan or many at once: the
overdue components and days past due as of the last closed business day, from the ledger (the
book of record, DESIGN.md §3a). The agents' console reads it for the loan page (one loan, with
its schedule and payments) and for the work queue (a page of loans in one request, issue 20
finding 9): one reading, so that both show the same figures."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import LoanBook
from overdue_detection.domain.delinquency import shown_days_past_due
from overdue_detection.domain.ledger import COMPONENTS
from overdue_detection.domain.loan import LoanRow


@dataclass(frozen=True)
class OverdueStatus:
    """A booked loan at `business_date` (None before any close): what is overdue by component
    (all zero when nothing is), since which due date, and the days past due it shows."""

    loan: LoanRow
    business_date: date | None
    oldest_due: date | None
    amounts: Mapping[str, Decimal]
    days_past_due: int

    @property
    def overdue(self) -> bool:
        return self.business_date is not None and self.oldest_due is not None


async def overdue_statuses(book: LoanBook, loan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OverdueStatus]:
    """Each loan of `loan_ids` booked here, in the order asked (a repeated id once, an unknown one
    left out), as of the last closed business day. Read within one snapshot of the book (the
    caller's transaction): a close committing meanwhile is all in or all out, for every loan."""
    asked = list(dict.fromkeys(loan_ids))
    loans = await book.get_many(asked)
    known = [loan_id for loan_id in asked if loan_id in loans]
    business_date = await book.last_business_date()
    rows = await book.positions(business_date, known, include_under_plan=True) if business_date and known else []
    positions = {row["loan_id"]: row for row in rows}
    paused_since = await book.open_pauses([loan_id for loan_id in known if loans[loan_id].under_plan])
    return {
        loan_id: _status(loans[loan_id], business_date, positions.get(loan_id, {}), paused_since.get(loan_id))
        for loan_id in known
    }


def _status(loan: LoanRow, business_date: date | None, position: Mapping[str, Any], paused_since: date | None) -> OverdueStatus:
    """A closed loan, or one with nothing overdue, has no position row: nothing overdue."""
    oldest_due = position.get("oldest_due")
    overdue = business_date is not None and oldest_due is not None
    return OverdueStatus(
        loan=loan,
        business_date=business_date,
        oldest_due=oldest_due,
        amounts={part: position[part] if overdue else Decimal(0) for part in COMPONENTS},
        days_past_due=shown_days_past_due(
            business_date, oldest_due, position.get("paused_days", 0), loan.overdue_since, paused_since
        ),
    )
