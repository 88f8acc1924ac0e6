"""A one-time code, kept in clear no longer than it is of use (DESIGN.md §5; issue 17, M4): a
written plan's, and the change code a borrower asked for on their page (issue 21).

A message keeps the event it tells of, so that it is rendered again when a hold ends or a channel
fails: for a written plan, the PlanSentToBorrower and the borrower's code in it; for a change
code, the BorrowerCodeRequested. The code is of use until `code_expires_at` (24 hours after a
written plan was sent, 10 minutes after a change code was asked for); from then on:

- the first clock event at or after that instant forgets it (`NotificationStore.forget_codes`):
  the stored event's code becomes `FORGOTTEN` (the contact log's mask), and the message's
  `secret_until` (the instant up to which its stored event holds a code in clear) is cleared;
- a message whose code expired, or was forgotten, is never sent: still held or waiting when the
  code expires, or tried again on another channel after a failure, it is suppressed (contact rule
  `code_expired`, `code_expiry` below) and the contact log says so. Nothing renders a forgotten
  code (`live_code`).

`FORGOTTEN` does not match the contract's pattern for a code (six digits): the store reads such
an event back with `forgotten` (adapters/messages_store.py), never as a code a borrower could be sent.
Both events name their code `confirmation_code`, so the store forgets either alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from notification.domain.masking import MASK
from notification.domain.messages import StoredMessage
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import BorrowerCodeRequested, PlanSentToBorrower

#: The events that carry a one-time code.
CodeEvent = PlanSentToBorrower | BorrowerCodeRequested
CODE_EVENTS: tuple[type[CodeEvent], ...] = (PlanSentToBorrower, BorrowerCodeRequested)

#: What a stored written plan holds in place of its code once the code expired.
FORGOTTEN = MASK
#: The expiry of a code forgotten: it has expired at any instant it is asked about.
_LONG_AGO = datetime.min.replace(tzinfo=UTC)
#: Stands in for the code while the rest of a forgotten plan's event is validated; never kept.
_PLACEHOLDER = "000000"


def is_forgotten(event: Event) -> bool:
    return isinstance(event, CODE_EVENTS) and event.confirmation_code == FORGOTTEN


def live_code(event: Event) -> str | None:
    """The one-time code `event` carries in clear, if any."""
    if isinstance(event, CODE_EVENTS) and not is_forgotten(event):
        return event.confirmation_code
    return None


def secret_until(event: Event) -> datetime | None:
    """Until when `event`, stored, holds a code in clear: its expiry; None for none."""
    return event.code_expires_at if isinstance(event, CODE_EVENTS) and live_code(event) else None


def code_expiry(message: StoredMessage) -> datetime | None:
    """When the message's one-time code expires (the contact rules suppress it from then on); a
    code forgotten has expired whenever it is asked. None: the message carries no code."""
    source = message.source
    if not isinstance(source, CODE_EVENTS):
        return None
    return _LONG_AGO if is_forgotten(source) else source.code_expires_at


def forget(event: CodeEvent) -> CodeEvent:
    """`event` with its code forgotten."""
    return event.model_copy(update={"confirmation_code": FORGOTTEN})


def forget_expired(event: Event, now: datetime) -> Event:
    """`event`, with its code forgotten if it carries one expired by `now` (a written plan read
    after its code expired is kept without it from the start)."""
    if isinstance(event, CODE_EVENTS) and live_code(event) and event.code_expires_at <= now:
        return forget(event)
    return event


def forgotten(data: dict[str, Any], event_class: type[CodeEvent] = PlanSentToBorrower) -> CodeEvent:
    """A stored event of `event_class` whose code was forgotten (`data`, its JSON), read back:
    every other field validated by the contract, the code `FORGOTTEN`."""
    return forget(event_class.model_validate({**data, "confirmation_code": _PLACEHOLDER}))
