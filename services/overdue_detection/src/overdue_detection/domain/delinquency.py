"""Days past due and buckets (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from overdue_detection.domain.ledger import Pause
from tideover_contracts.policy import BUCKET_LIMITS, bucket_for

#: The buckets are the contracts' (tideover_contracts.policy): the borrower's page says when the next begins.
__all__ = ["BUCKET_LIMITS", "bucket_for", "days_past_due", "paused_days", "shown_days_past_due"]


def days_past_due(business_date: date, oldest_unpaid_due_date: date | None, paused_days: int = 0) -> int:
    """Overdue from the day after the due date: DPD = business date − due date (Fineract), less
    the days under a plan after that due date (`paused_days`: the delinquency clock stood still)."""
    if oldest_unpaid_due_date is None or business_date <= oldest_unpaid_due_date:
        return 0
    return max(0, (business_date - oldest_unpaid_due_date).days - paused_days)


def paused_days(pauses: Iterable[Pause], after: date | None, through: date) -> int:
    """How many days in (`after`, `through`] plans paused the loan (domain Pause: the days after
    a plan's start, before its end); the SQL of the close counts the same (adapters/ledger_sql.py)."""
    if after is None:
        return 0
    days = 0
    for pause in pauses:
        last = through if pause.end is None else min(pause.end - timedelta(days=1), through)
        days += max(0, (last - max(pause.start, after)).days)
    return days


def shown_days_past_due(
    business_date: date | None, oldest_due: date | None, paused: int, overdue_since: date | None, paused_since: date | None
) -> int:
    """While a plan is in force the days past due stand still where they were when it began
    (DESIGN.md §3); otherwise they leave out the `paused` days under plans after the oldest unpaid
    due date."""
    if business_date is None:
        return 0
    if paused_since is not None:
        return days_past_due(paused_since, overdue_since)
    return days_past_due(business_date, oldest_due, paused)
