"""A written plan's one-time code, forgotten once it expired (application/codes.py): the event
read back keeps every other field, never renders the code, and tells that it has expired."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from notification.application.codes import (
    FORGOTTEN,
    code_expiry,
    forget,
    forget_expired,
    forgotten,
    is_forgotten,
    live_code,
    secret_until,
)
from notification.domain.messages import StoredMessage
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import golden_events

CODE = "731904"


def plan() -> PlanSentToBorrower:
    event = next(event for event in golden_events() if isinstance(event, PlanSentToBorrower))
    return event.model_copy(update={"confirmation_code": CODE})


def message_of(event: PlanSentToBorrower) -> StoredMessage:
    return StoredMessage(uuid.uuid4(), event.loan_id, Purpose.WRITTEN_PLAN, event, event.sent_at, "sent", frozenset(), None)


def test_a_live_code_is_kept_until_it_expires() -> None:
    sent = plan()

    assert (live_code(sent), secret_until(sent), is_forgotten(sent)) == (CODE, sent.code_expires_at, False)
    assert code_expiry(message_of(sent)) == sent.code_expires_at
    assert forget_expired(sent, sent.code_expires_at - timedelta(seconds=1)) is sent


def test_a_forgotten_code_is_stored_masked_and_read_back_with_every_other_field() -> None:
    sent = plan()
    stored = json.loads(forget(sent).model_dump_json())

    assert stored["confirmation_code"] == FORGOTTEN
    assert CODE not in json.dumps(stored)
    read = forgotten(stored)
    assert read == sent.model_copy(update={"confirmation_code": FORGOTTEN})
    assert (live_code(read), secret_until(read), is_forgotten(read)) == (None, None, True)


def test_a_forgotten_code_has_expired_at_any_instant() -> None:
    read = forget(plan())
    expiry = code_expiry(message_of(read))

    assert expiry is not None
    assert expiry < read.sent_at  # the contact rules suppress it whatever the clock says


def test_a_code_read_after_its_expiry_is_not_kept() -> None:
    sent = plan()

    assert is_forgotten(forget_expired(sent, sent.code_expires_at))
    assert live_code(forget_expired(sent, sent.code_expires_at + timedelta(days=1))) is None
