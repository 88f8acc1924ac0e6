"""What the notification use cases need from storage (adapters/contacts.py implements it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tideover_contracts.common import Channel, Jurisdiction, Locale
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked


@dataclass(frozen=True)
class Contact:
    loan_id: uuid.UUID
    borrower_id: str
    phone: str
    email: str | None
    locale: Locale
    time_zone: str
    jurisdiction: Jurisdiction
    preferred_channels: tuple[Channel, ...]
    opted_out_channels: tuple[Channel, ...]
    do_not_contact: bool


@dataclass(frozen=True)
class Decision:
    notification_id: uuid.UUID
    loan_id: uuid.UUID
    purpose: str
    channel: Channel
    decision: str  # sent | held | suppressed
    rule: str | None
    body: str | None
    decided_at: datetime


class Contacts(Protocol):
    async def add(self, loan: LoanBooked) -> None: ...
    async def change(self, change: BorrowerContactChanged) -> bool: ...
    async def get(self, loan_id: uuid.UUID) -> Contact | None: ...
    async def log(self, decision: Decision) -> bool: ...
    async def receipt(self, notification_id: uuid.UUID, receipt: str, reason: str | None, at: datetime) -> bool: ...
