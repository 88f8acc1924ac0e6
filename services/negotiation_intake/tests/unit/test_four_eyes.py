"""Maker-checker (issue 17, H2): whoever opened the application or chose the option does not
approve it; anyone else with the right does."""

from __future__ import annotations

import pytest

from negotiation_intake.domain.access import refusal_to_approve, refusal_to_issue


def test_another_supervisor_may_approve() -> None:
    assert refusal_to_approve("supervisor-s", opened_by="agent-a", chosen_by="agent-b") is None


def test_an_option_chosen_before_the_chooser_was_kept_is_judged_by_the_opener_alone() -> None:
    assert refusal_to_approve("supervisor-s", opened_by="agent-a", chosen_by=None) is None


@pytest.mark.parametrize(
    ("opened_by", "chosen_by", "what"),
    [("supervisor-s", "agent-b", "opened"), ("agent-a", "supervisor-s", "chose"), ("supervisor-s", "supervisor-s", "opened")],
)
def test_the_maker_may_not_check(opened_by: str, chosen_by: str, what: str) -> None:
    refusal = refusal_to_approve("supervisor-s", opened_by=opened_by, chosen_by=chosen_by)
    assert refusal is not None
    assert refusal.startswith(f"supervisor-s {what} this")
    assert "another supervisor must decide" in refusal


@pytest.mark.parametrize("agent_id", ["borrower-page", "Borrower-Page", " borrower", "borrowers-desk"])
def test_no_key_is_issued_to_an_id_that_names_the_borrowers_own_page(agent_id: str) -> None:
    assert refusal_to_issue(agent_id) is not None


@pytest.mark.parametrize("agent_id", ["agent-042", "supervisor-007", "sim-agent"])
def test_agents_ids_are_issued(agent_id: str) -> None:
    assert refusal_to_issue(agent_id) is None
