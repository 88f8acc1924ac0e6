"""The life of a hardship application, and its one-time confirmation code."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import date, timedelta

import pytest

from negotiation_intake.domain.application_state import (
    SENDS_A_DAY,
    Action,
    InvalidTransitionError,
    ResendLimitError,
    State,
    allowed_actions,
    code_hash,
    code_matches,
    sends_after_one_more,
    transition,
)

#: Every transition the flow needs (DESIGN.md §3 steps 4–6), apart from withdrawal.
WITH_AN_OFFER = (State.OFFERED, State.CHOSEN, State.AWAITING_APPROVAL, State.SENT)
ALLOWED: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.RECEIVE_OFFER): State.OFFERED,
    (State.SUBMITTED, Action.RECEIVE_REJECTION): State.REJECTED,
    **{(state, Action.RECEIVE_OFFER): State.OFFERED for state in WITH_AN_OFFER},
    **{(state, Action.RECEIVE_REJECTION): State.REJECTED for state in WITH_AN_OFFER},
    **{(state, Action.EXPIRE): State.EXPIRED for state in WITH_AN_OFFER},
    (State.OFFERED, Action.CHOOSE): State.CHOSEN,
    (State.CHOSEN, Action.CHOOSE): State.CHOSEN,
    (State.SENT, Action.CHOOSE): State.CHOSEN,
    (State.OFFERED, Action.CHOOSE_NEEDING_APPROVAL): State.AWAITING_APPROVAL,
    (State.CHOSEN, Action.CHOOSE_NEEDING_APPROVAL): State.AWAITING_APPROVAL,
    (State.SENT, Action.CHOOSE_NEEDING_APPROVAL): State.AWAITING_APPROVAL,
    (State.AWAITING_APPROVAL, Action.APPROVE): State.CHOSEN,
    (State.AWAITING_APPROVAL, Action.REFUSE_APPROVAL): State.OFFERED,
    (State.CHOSEN, Action.SEND): State.SENT,
    (State.SENT, Action.SEND): State.SENT,
    (State.SENT, Action.ACCEPT): State.ACCEPTED,
    (State.OFFERED, Action.DECLINE): State.DECLINED,
    (State.CHOSEN, Action.DECLINE): State.DECLINED,
    (State.SENT, Action.DECLINE): State.DECLINED,
    # After the borrower's confirmation, plan-calculation may still refuse (offer expired)
    # or quote again (the loan changed materially).
    (State.ACCEPTED, Action.RECEIVE_REJECTION): State.REJECTED,
    (State.ACCEPTED, Action.RECEIVE_OFFER): State.OFFERED,
}
WITHDRAWABLE = (State.DRAFT, State.SUBMITTED, *WITH_AN_OFFER)
FINAL = (State.REJECTED, State.DECLINED, State.EXPIRED, State.WITHDRAWN)

NOT_ALLOWED = [
    (state, action)
    for state, action in itertools.product(State, Action)
    if (state, action) not in ALLOWED and not (action is Action.WITHDRAW and state in WITHDRAWABLE)
]


def test_the_happy_path_from_draft_to_accepted() -> None:
    state = State.DRAFT
    for action in (Action.SUBMIT, Action.RECEIVE_OFFER, Action.CHOOSE, Action.SEND, Action.ACCEPT):
        state = transition(state, action)

    assert state is State.ACCEPTED


@pytest.mark.parametrize(("start", "action", "end"), [(s, a, e) for (s, a), e in ALLOWED.items()])
def test_valid_transitions(start: State, action: Action, end: State) -> None:
    assert transition(start, action) is end


@pytest.mark.parametrize("state", WITHDRAWABLE)
def test_withdraw_is_allowed_until_the_plan_is_decided(state: State) -> None:
    assert transition(state, Action.WITHDRAW) is State.WITHDRAWN


@pytest.mark.parametrize("state", FINAL)
def test_withdraw_is_refused_once_decided(state: State) -> None:
    with pytest.raises(InvalidTransitionError, match=f"^cannot withdraw an application that is {state.value}$"):
        transition(state, Action.WITHDRAW)


@pytest.mark.parametrize("state", FINAL)
def test_final_states_refuse_every_action(state: State) -> None:
    for action in Action:
        with pytest.raises(InvalidTransitionError):
            transition(state, action)


@pytest.mark.parametrize(("state", "action"), NOT_ALLOWED)
def test_every_other_transition_is_refused_naming_the_current_state(state: State, action: Action) -> None:
    with pytest.raises(InvalidTransitionError) as raised:
        transition(state, action)

    assert str(raised.value) == f"cannot {action.value.replace('_', ' ')} an application that is {state.value}"
    assert raised.value.state is state
    assert raised.value.action is action


def test_accepting_a_plan_that_was_never_sent() -> None:
    with pytest.raises(InvalidTransitionError, match=r"^cannot accept an application that is offered$"):
        transition(State.OFFERED, Action.ACCEPT)


class TestConfirmationCode:
    APPLICATION = "5e0f2c44-98a1-4c3b-8d7e-1b2a3c4d5e6f"
    OTHER_APPLICATION = "0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11"
    SECRET = b"a server secret of thirty-two bytes"
    OTHER_SECRET = b"another server's secret, as long"

    def test_the_hash_is_a_sha256_hex_digest_and_not_the_code(self) -> None:
        stored = code_hash(self.SECRET, self.APPLICATION, "482915")

        assert len(stored) == 64
        assert set(stored) <= set("0123456789abcdef")
        assert "482915" not in stored

    def test_the_hash_is_stable(self) -> None:
        assert code_hash(self.SECRET, self.APPLICATION, "482915") == code_hash(self.SECRET, self.APPLICATION, "482915")

    def test_equal_codes_hash_differently_per_application(self) -> None:
        assert code_hash(self.SECRET, self.APPLICATION, "482915") != code_hash(self.SECRET, self.OTHER_APPLICATION, "482915")

    def test_the_right_code_matches(self) -> None:
        assert code_matches(self.SECRET, self.APPLICATION, "482915", code_hash(self.SECRET, self.APPLICATION, "482915"))

    @pytest.mark.parametrize("attempt", ["482914", "48291", "4829150", "", " 482915"])
    def test_a_wrong_code_does_not_match(self, attempt: str) -> None:
        assert not code_matches(self.SECRET, self.APPLICATION, attempt, code_hash(self.SECRET, self.APPLICATION, "482915"))

    def test_the_code_of_another_application_does_not_match(self) -> None:
        stored = code_hash(self.SECRET, self.OTHER_APPLICATION, "482915")
        assert not code_matches(self.SECRET, self.APPLICATION, "482915", stored)

    def test_without_the_secret_no_code_is_found_by_trying_them_all(self) -> None:
        """A copy of the table is not enough (issue 17, M4): every code of the million, hashed as
        before (keyed with the application id) or with another secret, misses the stored hash."""
        stored = code_hash(self.SECRET, self.APPLICATION, "482915")
        keyed_with_the_id = {
            hmac.new(self.APPLICATION.encode(), f"{n:06d}".encode(), hashlib.sha256).hexdigest() for n in range(1_000_000)
        }
        assert stored not in keyed_with_the_id
        assert not any(code_matches(self.OTHER_SECRET, self.APPLICATION, f"{n:06d}", stored) for n in range(482_000, 483_000))
        assert code_matches(self.SECRET, self.APPLICATION, "482915", stored)


class TestResendLimit:
    TODAY = date(2030, 3, 14)

    def test_the_first_sending_of_a_day_is_the_first_whatever_the_days_before(self) -> None:
        assert sends_after_one_more(None, 0, self.TODAY) == 1
        assert sends_after_one_more(self.TODAY - timedelta(days=1), SENDS_A_DAY, self.TODAY) == 1

    def test_sendings_count_up_to_the_limit_within_a_day(self) -> None:
        counts = [sends_after_one_more(self.TODAY, sent, self.TODAY) for sent in range(SENDS_A_DAY)]
        assert counts == list(range(1, SENDS_A_DAY + 1))

    def test_one_more_than_a_day_allows_is_refused_naming_the_next_day(self) -> None:
        with pytest.raises(ResendLimitError, match=r"sent 3 times on 2030-03-14.*from 2030-03-15$"):
            sends_after_one_more(self.TODAY, SENDS_A_DAY, self.TODAY)


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_are_exactly_the_transitions_that_succeed(state: State) -> None:
    def succeeds(action: Action) -> bool:
        try:
            transition(state, action)
        except InvalidTransitionError:
            return False
        return True

    assert allowed_actions(state) == {action for action in Action if succeeds(action)}


def test_what_the_agent_may_do_to_a_sent_plan() -> None:
    assert {Action.CHOOSE, Action.SEND, Action.ACCEPT, Action.DECLINE, Action.WITHDRAW} <= allowed_actions(State.SENT)
    assert allowed_actions(State.ACCEPTED) == {Action.RECEIVE_OFFER, Action.RECEIVE_REJECTION}
