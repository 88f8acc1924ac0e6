"""When an overdue episode reports its status: DPD 1 (it starts), 3 and 7, then weekly, and on
every bucket change (DESIGN.md §4: the overdue notices follow these reports)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from overdue_detection.domain.episodes import EpisodeState, Position, Trigger, decide
from tideover_contracts.common import Bucket
from tideover_contracts.events.overdue import OverdueChangeReason

DUE = date(2026, 2, 15)
OWED = Position(DUE, Decimal("1000.00"), Decimal("45.00"), Decimal(0), Decimal("0.10"))


def test_reports_on_dpd_1_3_and_7_then_weekly_and_on_each_bucket_change() -> None:
    state = EpisodeState(0, None, Bucket.CURRENT, None, 0)
    reported: list[tuple[int, str, tuple[OverdueChangeReason, ...]]] = []
    for dpd in range(1, 40):
        decision = decide(state, OWED, DUE + timedelta(days=dpd), Trigger.CLOSE)
        if decision.kind != "none":
            reported.append((decision.days_past_due, decision.kind, decision.reasons))
        state = decision.state

    weekly, bucket = (OverdueChangeReason.WEEKLY,), (OverdueChangeReason.BUCKET_CHANGED,)
    assert reported == [
        (1, "start", ()),
        (3, "change", weekly),
        (7, "change", weekly),
        (14, "change", weekly),
        (21, "change", weekly),
        (28, "change", weekly),
        (31, "change", bucket),  # M1 → M2
        (38, "change", weekly),
    ]
