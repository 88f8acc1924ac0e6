"""*How we contact you* (issue 21): what notification offers the borrower (its
/v1/loans/{id}/contact-choices: the legal window, the channels allowed and on file, upstream's
opt-outs, the choice so far) read into what the section shows, and the form read and checked
against that offer, each refusal by field.

The law stays in notification: the page offers only the half hours notification says the legal
window allows (`slots`) and only the channels it says are allowed and on file, and refuses what
is not among them; the contract (tideover_contracts PreferredHours) checks the hours once more.
A channel opted out upstream (by the lender, at the borrower's request) is shown as such and not
offered: the page adds opt-outs, never lifts them. At least one channel stays: the borrower is
told of what they owe only through one, and asking us to stop all contact is a request to the
lender (do-not-contact), not a choice of this page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from pydantic import ValidationError

from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import PreferredHours

OFF = "off"
#: A form field may hold at most this much text: a rank, an HH:MM, the form token.
_MOST_TEXT = 100


@dataclass(frozen=True)
class Chosen:
    """The borrower's choice as notification keeps it, or as the page just confirmed it."""

    preferred: tuple[Channel, ...]
    opted_out: tuple[Channel, ...]
    hours: PreferredHours | None
    chosen_at: datetime | None = None


@dataclass(frozen=True)
class ContactOffer:
    """What notification says the page may offer for the loan."""

    time_zone: str
    quiet_from: str
    quiet_until: str
    slots: tuple[time, ...]
    on_file: tuple[tuple[Channel, str], ...]  # allowed channels with an address, the address masked
    upstream_opted_out: frozenset[Channel]
    do_not_contact: bool
    code_reaches: bool
    chosen: Chosen | None

    @property
    def choosable(self) -> tuple[Channel, ...]:
        """The channels the form offers: on file, allowed, not opted out upstream."""
        return tuple(channel for channel, _ in self.on_file if channel not in self.upstream_opted_out)

    @property
    def ends(self) -> tuple[time, ...]:
        """The ends a borrower may choose: each slot's end (within one day)."""
        return tuple(end for slot in self.slots if (end := _half_hour_after(slot)) is not None)

    @property
    def why_no_form(self) -> str | None:
        """`do_not_contact`, `code_unreachable` (a change code cannot be sent to the phone on
        file), `no_channel` (nothing on file the page may offer), or None."""
        if self.do_not_contact:
            return "do_not_contact"
        if not self.code_reaches:
            return "code_unreachable"
        return None if self.choosable else "no_channel"


@dataclass(frozen=True)
class ContactForm:
    """The form as filled in: the values to show again, the refusals by field (words' keys), and
    the choice when there is none."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    chosen: Chosen | None = None


def offer_of(answer: Any) -> ContactOffer | None:
    """Notification's answer as the page uses it; None when it is not one (never an error)."""
    try:
        chosen = answer["chosen"]
        return ContactOffer(
            time_zone=str(answer["time_zone"]),
            quiet_from=str(answer["quiet_hours"]["from"]),
            quiet_until=str(answer["quiet_hours"]["until"]),
            slots=tuple(time.fromisoformat(slot) for slot in answer["slots"]),
            on_file=tuple(
                (Channel(item["channel"]), str(item["address"]))
                for item in answer["on_file"]
                if item["channel"] in answer["allowed_channels"]
            ),
            upstream_opted_out=frozenset(Channel(channel) for channel in answer["upstream_opted_out"]),
            do_not_contact=bool(answer["do_not_contact"]),
            code_reaches=bool(answer["code_reaches"]),
            chosen=_chosen(chosen) if chosen else None,
        )
    except (KeyError, TypeError, ValueError, ValidationError):
        return None


def _chosen(chosen: Any) -> Chosen:
    hours = chosen["preferred_hours"]
    return Chosen(
        preferred=tuple(Channel(channel) for channel in chosen["preferred_channels"]),
        opted_out=tuple(Channel(channel) for channel in chosen["opted_out_channels"]),
        hours=PreferredHours(start=time.fromisoformat(hours["start"]), end=time.fromisoformat(hours["end"])) if hours else None,
        chosen_at=datetime.fromisoformat(chosen["chosen_at"]) if chosen.get("chosen_at") else None,
    )


def shown_values(offer: ContactOffer, chosen: Chosen | None) -> dict[str, str]:
    """The form's fields as the choice so far fills them in (none yet: the channels in the order
    on file, no preferred hours)."""
    choosable = offer.choosable
    order = [c for c in chosen.preferred if c in choosable] if chosen else list(choosable)
    if chosen is None:
        off: list[Channel] = []
    else:
        off = [c for c in choosable if c not in order]
    values = {f"rank_{channel.value}": str(order.index(channel) + 1) for channel in order}
    values |= {f"rank_{channel.value}": OFF for channel in off}
    hours = chosen.hours if chosen else None
    values["start"] = hours.start.strftime("%H:%M") if hours else ""
    values["end"] = hours.end.strftime("%H:%M") if hours else ""
    return values


def read_contact(fields: dict[str, str], offer: ContactOffer) -> ContactForm:
    """The form's fields checked against the offer; every refusal, by field (`channels`, `hours`)."""
    choosable = offer.choosable
    names = [f"rank_{channel.value}" for channel in choosable]
    values = {name: fields.get(name, "").strip()[:_MOST_TEXT] for name in (*names, "start", "end")}
    errors: dict[str, str] = {}
    preferred, opted_out, channel_error = _channels(values, choosable)
    if channel_error:
        errors["channels"] = channel_error
    hours, hours_error = _hours(values["start"], values["end"], offer)
    if hours_error:
        errors["hours"] = hours_error
    if errors:
        return ContactForm(values, errors)
    return ContactForm(values, {}, Chosen(preferred, opted_out, hours))


def _channels(
    values: dict[str, str], choosable: Sequence[Channel]
) -> tuple[tuple[Channel, ...], tuple[Channel, ...], str | None]:
    """The channels in the order ranked, those turned off, or the refusal."""
    allowed_ranks = {str(rank) for rank in range(1, len(choosable) + 1)}
    ranks: dict[Channel, int] = {}
    off: list[Channel] = []
    for channel in choosable:
        value = values[f"rank_{channel.value}"]
        if value == OFF:
            off.append(channel)
        elif value in allowed_ranks:
            ranks[channel] = int(value)
        else:
            return (), (), "contact_error_rank"
    if not ranks:
        return (), (), "contact_error_no_channel"
    if len(set(ranks.values())) != len(ranks):
        return (), (), "contact_error_rank_twice"
    return tuple(sorted(ranks, key=ranks.__getitem__)), tuple(off), None


def _hours(start: str, end: str, offer: ContactOffer) -> tuple[PreferredHours | None, str | None]:
    """The preferred hours, none (both left empty), or the refusal: both or neither; each among
    the half hours the legal window allows, and every half hour between them too."""
    if not start and not end:
        return None, None
    if not start or not end:
        return None, "contact_error_hours_both"
    try:
        first, last = time.fromisoformat(start), time.fromisoformat(end)
        refusal = _hours_refusal(first, last, offer)
        return (None, refusal) if refusal else (PreferredHours(start=first, end=last), None)
    except (ValueError, ValidationError):  # not a time; or not hours the contract takes
        return None, "contact_error_hours_outside"


def _hours_refusal(first: time, last: time, offer: ContactOffer) -> str | None:
    if first not in offer.slots or last not in offer.ends:
        return "contact_error_hours_outside"
    if last <= first:
        return "contact_error_hours_order"
    slot: time | None = first
    while slot is not None and slot < last:
        if slot not in offer.slots:
            return "contact_error_hours_outside"
        slot = _half_hour_after(slot)
    return None


def _half_hour_after(slot: time) -> time | None:
    """Half an hour after `slot`; None at 23:30 (the day's end, which a local time cannot name)."""
    minutes = slot.hour * 60 + slot.minute + 30
    return None if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)
