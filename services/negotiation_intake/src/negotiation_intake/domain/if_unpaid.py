"""What the borrower's page says happens to an overdue loan if nothing is paid, and when (issue
21): only what the system does (DESIGN.md §3, §4; overdue-detection's ledger and delinquency).

- Penalty interest accrues every day on each overdue installment's unpaid principal and interest,
  at the loan's penalty rate a year (the overdue rate, or less where the jurisdiction's cap binds),
  except while a plan is kept.
- The days past due grow by one a day, and the loan moves to the next bucket when they reach its
  first day (tideover_contracts.policy: M1 1–30 … M5+ 181+); the borrower is told of each move.
- An installment not yet due becomes overdue the day after its due date if it is not paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tideover_contracts.common import Bucket
from tideover_contracts.policy import BUCKET_LIMITS, next_bucket

#: The penalty's day count unless the loan says otherwise (LoanBooked.day_count, ACT/365 by
#: default): an ACT/360 loan accrues 1/72 more a day, so the page says "about".
DAYS_A_YEAR = 365
CENT = Decimal("0.01")


@dataclass(frozen=True)
class NextStage:
    """The bucket a loan comes to next if nothing is paid: its range of days past due, and the
    business day it begins on."""

    bucket: Bucket
    from_days: int
    to_days: int | None  # None: the last bucket, open-ended
    on: date


def next_stage(days_past_due: int, as_of: date) -> NextStage | None:
    """The next bucket of a loan `days_past_due` days overdue as of `as_of`; None when it is not
    overdue or in the last bucket already."""
    if days_past_due < 1:
        return None
    found = next_bucket(days_past_due)
    if found is None:
        return None
    bucket, starts = found
    upper = next((limit for limit, named in BUCKET_LIMITS if named is bucket), None)
    return NextStage(bucket, starts, upper, as_of + timedelta(days=starts - days_past_due))


def penalty_per_day(overdue_principal_and_interest: Decimal, yearly_rate: Decimal) -> Decimal:
    """About what a day adds in penalty interest (DAYS_A_YEAR), to the cent."""
    return (overdue_principal_and_interest * yearly_rate / DAYS_A_YEAR).quantize(CENT, rounding=ROUND_HALF_UP)


def next_due(schedule: Iterable[tuple[date, Decimal]], as_of: date) -> tuple[date, Decimal] | None:
    """The earliest installment still owed that is not overdue yet (due on `as_of` or later,
    as overdue-detection's LedgerPosition.next_due_date), and what it asks."""
    ahead = sorted((due, owed) for due, owed in schedule if due >= as_of and owed > 0)
    return ahead[0] if ahead else None
