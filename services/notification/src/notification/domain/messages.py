"""The entities notification keeps: the borrower's contact as upstream stated it, and a message
as decided so far."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tideover_contracts.common import Channel, Jurisdiction, Language, Locale
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import PreferredHours
from tideover_contracts.events.notifications import Purpose


@dataclass(frozen=True)
class Contact:
    loan_id: uuid.UUID
    borrower_id: str
    phone: str
    email: str | None
    push_token: str | None
    locale: Locale
    #: As upstream stated it (LoanBooked, BorrowerContactChanged); None: never stated.
    language: Language | None
    time_zone: str
    jurisdiction: Jurisdiction
    preferred_channels: tuple[Channel, ...]
    opted_out_channels: tuple[Channel, ...]
    do_not_contact: bool

    @property
    def written_in(self) -> Language:
        """The language messages to the borrower are written in (the contracts' one rule)."""
        return Language.of(self.locale, self.language)

    def address(self, channel: Channel) -> str | None:
        """Where a channel reaches the borrower, if it does."""
        return {
            Channel.SMS: self.phone,
            Channel.VOICE_CALL: self.phone,
            Channel.EMAIL: self.email,
            Channel.PUSH: self.push_token,
        }.get(channel)


@dataclass(frozen=True)
class PagePreferences:
    """What the borrower chose on their page (ContactPreferencesChosen): the latest choice kept."""

    loan_id: uuid.UUID
    change_id: uuid.UUID
    preferred_channels: tuple[Channel, ...]
    opted_out_channels: tuple[Channel, ...]
    hours: PreferredHours | None
    chosen_at: datetime


@dataclass(frozen=True)
class StoredMessage:
    """A message as decided so far, with the event it tells of."""

    notification_id: uuid.UUID
    loan_id: uuid.UUID
    purpose: Purpose
    source: Event
    created_at: datetime
    status: str  # MessageStatus: waiting (for a fact from another topic, application/waiting.py) | held | sent | suppressed
    failed_channels: frozenset[Channel]
    channel: Channel | None
