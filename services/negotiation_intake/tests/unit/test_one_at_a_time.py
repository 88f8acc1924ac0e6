"""One negotiation per loan at a time (DESIGN.md §3a): which applications are still open, and the
refusal of a new one, in the API's words and the console's."""

from __future__ import annotations

import uuid

import pytest

from negotiation_intake.application.errors import OneAtATimeError
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.one_at_a_time import ENDED, OPEN, refusal_to_open
from negotiation_intake.entrypoints.changes import Outcome, _refusal
from negotiation_intake.entrypoints.console.forms import refusal_errors
from negotiation_intake.entrypoints.console.i18n import Words

LOAN, PLAN = uuid.UUID(int=1), uuid.UUID(int=2)
EARLIER, LATER = uuid.UUID(int=3), uuid.UUID(int=4)


def test_an_application_is_open_until_accepted_declined_expired_withdrawn_or_rejected() -> None:
    assert {State.ACCEPTED, State.DECLINED, State.EXPIRED, State.WITHDRAWN, State.REJECTED} == ENDED
    assert {State.DRAFT, State.SUBMITTED, State.OFFERED, State.CHOSEN, State.AWAITING_APPROVAL, State.SENT} == OPEN


def test_a_loan_whose_applications_all_ended_and_without_a_plan_may_get_another() -> None:
    assert refusal_to_open(LOAN, [], None) is None
    assert refusal_to_open(LOAN, [(EARLIER, state) for state in ENDED], None) is None


@pytest.mark.parametrize("state", sorted(OPEN))
def test_an_open_application_refuses_a_second_naming_it(state: State) -> None:
    refusal = refusal_to_open(LOAN, [(EARLIER, State.WITHDRAWN), (LATER, state)], None)
    assert refusal is not None
    assert (refusal.rule, refusal.names) == ("application_open", {"application_id": str(LATER), "application_state": state})
    assert str(LATER) in refusal.message


def test_a_plan_in_force_refuses_a_new_application_before_anything_else() -> None:
    refusal = refusal_to_open(LOAN, [(EARLIER, State.DRAFT)], PLAN)
    assert refusal is not None
    assert (refusal.rule, refusal.names) == ("plan_active", {"plan_id": str(PLAN)})
    assert str(PLAN) in refusal.message


def test_the_api_answers_409_with_the_rule_and_what_stands_in_the_way() -> None:
    refusal = refusal_to_open(LOAN, [(EARLIER, State.SENT)], None)
    assert refusal is not None
    answered = _refusal(OneAtATimeError(refusal))
    assert answered is not None
    status, body = answered
    assert (status, body["status"], body["rule"], body["application_id"]) == (409, 409, "application_open", str(EARLIER))
    assert body["detail"] == refusal.message


@pytest.mark.parametrize(("language", "words"), [("en", "A new application can be opened once it ends"), ("zh-CN", "计划结束后")])
def test_the_console_says_the_refusal_in_the_agents_language(language: str, words: str) -> None:
    refusal = refusal_to_open(LOAN, [], PLAN)
    assert refusal is not None
    _, body = _refusal(OneAtATimeError(refusal)) or (0, {})
    [(field, message)] = refusal_errors(Outcome(409, body), Words(language)).items()
    assert field == "_form"
    assert words in message
    assert str(PLAN) in message
