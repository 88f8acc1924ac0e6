"""The life of a hardship application and the transitions an agent or an event may make."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OFFERED = "offered"
    REJECTED = "rejected"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    RECEIVE_OFFER = "receive_offer"
    RECEIVE_REJECTION = "receive_rejection"
    CHOOSE_AND_SEND = "choose_and_send"
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.RECEIVE_OFFER): State.OFFERED,
    (State.SUBMITTED, Action.RECEIVE_REJECTION): State.REJECTED,
    (State.OFFERED, Action.RECEIVE_OFFER): State.OFFERED,
    (State.SENT, Action.RECEIVE_OFFER): State.OFFERED,  # a re-quote replaces the sent plan
    (State.SENT, Action.RECEIVE_REJECTION): State.REJECTED,
    (State.OFFERED, Action.RECEIVE_REJECTION): State.REJECTED,
    # plan-calculation may still refuse a confirmed plan (offer expired) or quote again (loan changed).
    (State.ACCEPTED, Action.RECEIVE_REJECTION): State.REJECTED,
    (State.ACCEPTED, Action.RECEIVE_OFFER): State.OFFERED,
    (State.OFFERED, Action.CHOOSE_AND_SEND): State.SENT,
    (State.SENT, Action.CHOOSE_AND_SEND): State.SENT,
    (State.SENT, Action.ACCEPT): State.ACCEPTED,
    (State.SENT, Action.DECLINE): State.DECLINED,
    (State.OFFERED, Action.DECLINE): State.DECLINED,
    (State.OFFERED, Action.EXPIRE): State.EXPIRED,
    (State.SENT, Action.EXPIRE): State.EXPIRED,
}
_WITHDRAWABLE = {State.DRAFT, State.SUBMITTED, State.OFFERED, State.SENT}


class InvalidTransitionError(Exception):
    def __init__(self, state: State, action: Action) -> None:
        super().__init__(f"cannot {action.value} an application that is {state.value}")
        self.state = state
        self.action = action


def transition(state: State, action: Action) -> State:
    if action == Action.WITHDRAW and state in _WITHDRAWABLE:
        return State.WITHDRAWN
    try:
        return _TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransitionError(state, action) from None


#: A confirmation code may be tried 5 times and is valid 24 hours (DESIGN.md §4).
CODE_TRIES = 5
CODE_VALID_HOURS = 24


def code_hash(application_id: str, code: str) -> str:
    """Codes are stored hashed, keyed by the application so equal codes hash differently."""
    return hmac.new(application_id.encode(), code.encode(), hashlib.sha256).hexdigest()


def code_matches(application_id: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(application_id, code), stored_hash)
