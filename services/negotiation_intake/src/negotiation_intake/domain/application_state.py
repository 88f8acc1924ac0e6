"""The life of a hardship application and the transitions an agent, a supervisor, the borrower
or an event may make (issue: draft → submitted → offered → chosen → awaiting approval → sent →
accepted | declined | expired | withdrawn; rejected when no plan can be offered)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OFFERED = "offered"
    CHOSEN = "chosen"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    RECEIVE_OFFER = "receive_offer"
    RECEIVE_REJECTION = "receive_rejection"
    CHOOSE = "choose"
    CHOOSE_NEEDING_APPROVAL = "choose_needing_approval"
    APPROVE = "approve"
    REFUSE_APPROVAL = "refuse_approval"
    SEND = "send"
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


#: Where an offer stands, and so where a new one (a re-quote) or its expiry may arrive.
_WITH_AN_OFFER = (State.OFFERED, State.CHOSEN, State.AWAITING_APPROVAL, State.SENT)

_TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.RECEIVE_OFFER): State.OFFERED,
    (State.SUBMITTED, Action.RECEIVE_REJECTION): State.REJECTED,
    **{(state, Action.RECEIVE_OFFER): State.OFFERED for state in _WITH_AN_OFFER},  # a re-quote replaces the offer
    **{(state, Action.RECEIVE_REJECTION): State.REJECTED for state in _WITH_AN_OFFER},
    **{(state, Action.EXPIRE): State.EXPIRED for state in _WITH_AN_OFFER},
    # The borrower may change their mind before the written plan is confirmed.
    **{(state, Action.CHOOSE): State.CHOSEN for state in (State.OFFERED, State.CHOSEN, State.SENT)},
    **{(state, Action.CHOOSE_NEEDING_APPROVAL): State.AWAITING_APPROVAL for state in (State.OFFERED, State.CHOSEN, State.SENT)},
    (State.AWAITING_APPROVAL, Action.APPROVE): State.CHOSEN,
    (State.AWAITING_APPROVAL, Action.REFUSE_APPROVAL): State.OFFERED,
    (State.CHOSEN, Action.SEND): State.SENT,
    (State.SENT, Action.SEND): State.SENT,  # sent again with a fresh code
    (State.SENT, Action.ACCEPT): State.ACCEPTED,
    (State.SENT, Action.DECLINE): State.DECLINED,
    (State.OFFERED, Action.DECLINE): State.DECLINED,
    (State.CHOSEN, Action.DECLINE): State.DECLINED,
    # After the borrower's confirmation, plan-calculation may still refuse (offer expired)
    # or quote again (the loan changed materially).
    (State.ACCEPTED, Action.RECEIVE_REJECTION): State.REJECTED,
    (State.ACCEPTED, Action.RECEIVE_OFFER): State.OFFERED,
}
_WITHDRAWABLE = {State.DRAFT, State.SUBMITTED, *_WITH_AN_OFFER}


class InvalidTransitionError(Exception):
    def __init__(self, state: State, action: Action) -> None:
        super().__init__(f"cannot {action.value.replace('_', ' ')} an application that is {state.value}")
        self.state = state
        self.action = action


def transition(state: State, action: Action) -> State:
    if action == Action.WITHDRAW and state in _WITHDRAWABLE:
        return State.WITHDRAWN
    try:
        return _TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransitionError(state, action) from None


def allowed_actions(state: State) -> frozenset[Action]:
    """What may be done to an application in `state`: the one source of the buttons a page
    offers (the console's templates ask this, never the states by name)."""
    return frozenset(action for action in Action if _allowed(state, action))


def _allowed(state: State, action: Action) -> bool:
    if action == Action.WITHDRAW:
        return state in _WITHDRAWABLE
    return (state, action) in _TRANSITIONS


#: A confirmation code may be tried 5 times and is valid 24 hours (DESIGN.md §4).
CODE_TRIES = 5
CODE_VALID_HOURS = 24
#: The written plan is sent at most 3 times an application a business day: each sending makes a
#: fresh code with fresh tries, so resending without a limit would give a guesser endless tries
#: (issue 17, L1). 3 × 5 tries a day leave a random guess a 1 in 66,667 chance.
SENDS_A_DAY = 3


class ResendLimitError(Exception):
    """The written plan was sent as often today as it may be."""

    def __init__(self, today: date) -> None:
        super().__init__(
            f"the written plan was sent {SENDS_A_DAY} times on {today.isoformat()}, as often as a day allows; "
            f"send it again from {(today + timedelta(days=1)).isoformat()}"
        )


def sends_after_one_more(sends_on: date | None, sends_that_day: int, today: date) -> int:
    """How many times the plan will have been sent `today` once sent now; ResendLimitError if
    it may not be sent again today."""
    sent_today = sends_that_day if sends_on == today else 0
    if sent_today >= SENDS_A_DAY:
        raise ResendLimitError(today)
    return sent_today + 1


def code_hash(secret: bytes, application_id: str, code: str) -> str:
    """Codes are stored as an HMAC keyed with the server's secret (TIDEOVER_CODE_SECRET): a copy
    of the table without the secret does not reveal them, though a million codes are quickly
    tried (DESIGN.md §5). The application is in the message, so equal codes hash differently."""
    return hmac.new(secret, f"{application_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(secret: bytes, application_id: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(secret, application_id, code), stored_hash)
