"""ContactPreferencesChosen (issue 21, How we contact you): preferred hours on whole or half hours,
ending after they start within one day; each channel named once, preferred or opted out."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from pydantic import ValidationError

from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import ContactPreferencesChosen, PreferredHours
from tideover_contracts.examples import golden_events


def golden() -> ContactPreferencesChosen:
    return next(event for event in golden_events() if isinstance(event, ContactPreferencesChosen))


@pytest.mark.parametrize(("start", "end"), [(time(8), time(22)), (time(9, 30), time(10)), (time(0), time(23, 30))])
def test_whole_and_half_hours_in_order_are_preferred_hours(start: time, end: time) -> None:
    assert PreferredHours(start=start, end=end).end == end


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (time(9, 15), time(12)),  # a quarter hour
        (time(9), time(12, 0, 30)),  # seconds
        (time(12), time(12)),  # empty
        (time(21), time(8)),  # across midnight
    ],
)
def test_other_hours_are_refused(start: time, end: time) -> None:
    with pytest.raises(ValidationError):
        PreferredHours(start=start, end=end)


def test_hours_read_from_the_wire_are_checked_too() -> None:
    payload: dict[str, Any] = golden().model_dump(mode="json")
    payload["preferred_hours"] = {"start": "10:00:00", "end": "09:30:00"}
    with pytest.raises(ValidationError):
        ContactPreferencesChosen.model_validate(payload)


def test_a_channel_is_either_preferred_or_opted_out() -> None:
    payload = golden().model_dump() | {"preferred_channels": (Channel.SMS,), "opted_out_channels": (Channel.SMS,)}
    with pytest.raises(ValidationError):
        ContactPreferencesChosen.model_validate(payload)
    twice = golden().model_dump() | {"preferred_channels": (Channel.SMS, Channel.SMS), "opted_out_channels": ()}
    with pytest.raises(ValidationError):
        ContactPreferencesChosen.model_validate(twice)
