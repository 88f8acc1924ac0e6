"""*How we contact you* on the borrower's page (issue 21): the borrower's choice of channels,
opt-outs and preferred hours, kept pending with its code, and once confirmed published as
ContactPreferencesChosen for notification, which honours it within the law (its
domain/contact_rules.py). Intake keeps nothing of it beyond the pending change: notification's
answer is what the page shows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from negotiation_intake.application.borrower_changes import Apply, ChangeFile
from negotiation_intake.application.ports import Outbox
from negotiation_intake.domain.borrower_changes import PendingChange
from tideover_contracts.common import Channel
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.negotiation import ContactPreferencesChosen, PreferredHours
from tideover_runtime.clock import Clock


def preferences_details(
    preferred: Sequence[Channel], opted_out: Sequence[Channel], hours: PreferredHours | None
) -> dict[str, Any]:
    """What a pending choice keeps (JSON): the channels in order, the opt-outs, the hours as HH:MM."""
    return {
        "preferred_channels": [channel.value for channel in preferred],
        "opted_out_channels": [channel.value for channel in opted_out],
        "preferred_hours": None
        if hours is None
        else {"start": hours.start.isoformat("minutes"), "end": hours.end.isoformat("minutes")},
    }


def preferences_of(change: PendingChange, chosen_at: datetime) -> ContactPreferencesChosen:
    """The event a confirmed choice publishes (the contract checks it again: hours, channels once)."""
    details = change.details
    hours = details.get("preferred_hours")
    return ContactPreferencesChosen(
        change_id=change.change_id,
        loan_id=change.loan_id,
        borrower_id=change.borrower_id,
        preferred_channels=tuple(Channel(c) for c in details["preferred_channels"]),
        opted_out_channels=tuple(Channel(c) for c in details["opted_out_channels"]),
        preferred_hours=PreferredHours(start=time.fromisoformat(hours["start"]), end=time.fromisoformat(hours["end"]))
        if hours
        else None,
        chosen_at=chosen_at,
    )


def applying_preferences(outbox: Outbox, clock: Clock) -> Apply:
    """Applies a pending choice: ContactPreferencesChosen staged in the code's transaction, its
    event id derived from the change (a replay stages the same fact); the change's id is what it made."""

    async def apply(change: PendingChange, _: list[ChangeFile]) -> uuid.UUID:
        event = preferences_of(change, clock.now())
        await outbox(event, event_id=deterministic_id(ContactPreferencesChosen.event_type, change.change_id))
        return change.change_id

    return apply
