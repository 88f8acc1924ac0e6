"""Early hardship (DESIGN.md §4, seed 4.1 提前沟通): a borrower may ask for help before anything
is overdue — an application may be opened up to 30 days before the next due date, and is
submitted with verified evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: An application may be opened this many days before the next due date at the earliest.
EARLY_DAYS = 30


@dataclass(frozen=True)
class EarlyRefusal:
    rule: str
    message: str


def refusal_to_open_early(business_date: date, next_due_date: date | None) -> EarlyRefusal | None:
    """Why an application may not be opened on a loan with nothing overdue, or None."""
    if next_due_date is None:
        return EarlyRefusal("early_hardship", "nothing is overdue and no installment is left to fall due")
    days = (next_due_date - business_date).days
    if days > EARLY_DAYS:
        return EarlyRefusal(
            "early_hardship",
            f"nothing is overdue; an application may be opened up to {EARLY_DAYS} days before the next due date "
            f"({next_due_date.isoformat()}, {days} days after {business_date.isoformat()})",
        )
    return None


def refusal_to_submit_early(evidence_verified: bool) -> EarlyRefusal | None:
    """Why an application on a loan with nothing overdue may not be submitted yet, or None."""
    if evidence_verified:
        return None
    return EarlyRefusal(
        "early_hardship_evidence",
        "nothing is overdue yet: an early application is submitted with verified evidence of the hardship",
    )
