"""Early hardship (DESIGN.md §4): an application may be opened up to 30 days before the next due
date before anything is overdue, and is submitted with verified evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from negotiation_intake.domain.early_hardship import EARLY_DAYS, refusal_to_open_early, refusal_to_submit_early

TODAY = date(2027, 2, 1)


@pytest.mark.parametrize(("days", "opened"), [(0, True), (1, True), (20, True), (30, True), (31, False), (40, False)])
def test_an_application_may_be_opened_up_to_30_days_before_the_next_due_date(days: int, opened: bool) -> None:
    refusal = refusal_to_open_early(TODAY, TODAY + timedelta(days=days))
    assert (refusal is None) is opened
    if refusal is not None:
        assert refusal.rule == "early_hardship"
        assert f"up to {EARLY_DAYS} days before the next due date" in refusal.message
        assert f"{days} days after 2027-02-01" in refusal.message


def test_a_loan_with_nothing_left_to_fall_due_has_no_early_application() -> None:
    refusal = refusal_to_open_early(TODAY, None)
    assert refusal is not None
    assert refusal.rule == "early_hardship"


def test_an_early_application_is_submitted_with_verified_evidence_only() -> None:
    refusal = refusal_to_submit_early(evidence_verified=False)
    assert refusal is not None
    assert refusal.rule == "early_hardship_evidence"
    assert refusal_to_submit_early(evidence_verified=True) is None
