"""Days past due and delinquency buckets (DESIGN.md §4: M1 1–30, M2 31–60, M3 61–90, M4 91–180, M5+ 181+)."""

from __future__ import annotations

from datetime import date

import pytest

from overdue_detection.domain.delinquency import bucket_for, days_past_due
from tideover_contracts.common import Bucket

DUE = date(2026, 2, 15)


class TestDaysPastDue:
    def test_nothing_unpaid_is_zero(self) -> None:
        assert days_past_due(date(2026, 6, 1), None) == 0

    def test_before_and_on_the_due_date_is_zero(self) -> None:
        assert days_past_due(date(2026, 2, 14), DUE) == 0
        assert days_past_due(DUE, DUE) == 0

    def test_overdue_from_the_day_after_the_due_date(self) -> None:
        assert days_past_due(date(2026, 2, 16), DUE) == 1

    def test_counts_calendar_days_across_months(self) -> None:
        # 13 days left in February 2026 (28 days) + 31 in March + 1 April = 45
        assert days_past_due(date(2026, 4, 1), DUE) == 45


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (-3, Bucket.CURRENT),
        (0, Bucket.CURRENT),
        (1, Bucket.M1),
        (30, Bucket.M1),
        (31, Bucket.M2),
        (60, Bucket.M2),
        (61, Bucket.M3),
        (90, Bucket.M3),
        (91, Bucket.M4),
        (180, Bucket.M4),
        (181, Bucket.M5_PLUS),
        (1000, Bucket.M5_PLUS),
    ],
)
def test_bucket_boundaries(dpd: int, bucket: Bucket) -> None:
    assert bucket_for(dpd) is bucket


def test_days_past_due_and_bucket_together() -> None:
    # due 15 Feb; 17 Mar is 13 + 17 = 30 DPD (still M1), 18 Mar is 31 DPD (M2)
    assert bucket_for(days_past_due(date(2026, 3, 17), DUE)) is Bucket.M1
    assert bucket_for(days_past_due(date(2026, 3, 18), DUE)) is Bucket.M2
