"""Calendar arithmetic for schedules."""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=1024)
def monthly_due_dates(first: date, months: int) -> tuple[date, ...]:
    """`first` and the same day of each following month, `months` dates in all. Cached: every
    option of a menu starts on the same date."""
    return tuple(add_months(first, index) for index in range(months))
