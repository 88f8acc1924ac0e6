"""The hours a borrower may be contacted in, in their local time (domain/contact_rules.py rule 5):
the jurisdiction's legal window (outside its quiet hours), narrowed to the hours the borrower
prefers (ContactPreferencesChosen) where the legal window leaves any of them. One home for the
window: the contact rules hold messages by it, and the borrower's page offers only its half hours
(application/contact_choices.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from tideover_contracts.events.negotiation import PreferredHours

if TYPE_CHECKING:
    from notification.domain.contact_rules import Profile


def quiet(moment: time, profile: Profile) -> bool:
    """Whether a local time is inside the profile's quiet hours."""
    if profile.quiet_from > profile.quiet_until:  # across midnight, e.g. 22:00–08:00
        return moment >= profile.quiet_from or moment < profile.quiet_until
    return profile.quiet_from <= moment < profile.quiet_until


def _in_hours(moment: time, hours: PreferredHours | None) -> bool:
    return hours is None or hours.start <= moment < hours.end


def honoured_hours(hours: PreferredHours | None, profile: Profile) -> PreferredHours | None:
    """The borrower's preferred hours if the legal window leaves any instant of them, else None
    (the legal window alone): a window is open from a start to an end, so they overlap when the
    later of the starts is allowed by both."""
    if hours is None:
        return None
    starts = (hours.start, profile.quiet_until)
    return hours if any(may_contact_at(start, profile, hours) for start in starts) else None


def may_contact_at(moment: time, profile: Profile, hours: PreferredHours | None) -> bool:
    """Whether a local time is inside the legal window and the (honoured) preferred hours."""
    return not quiet(moment, profile) and _in_hours(moment, hours)


def first_allowed(local: datetime, profile: Profile, hours: PreferredHours | None) -> datetime:
    """The first instant from `local` (a local instant) that the legal window and the honoured
    preferred hours both allow, in UTC. Both are daily windows: the first instant both allow is
    `local` itself or the start of one of them, on this day or the next two."""
    zone = local.tzinfo
    starts = (profile.quiet_until, *((hours.start,) if hours is not None else ()))
    days = (local.date() + timedelta(days=offset) for offset in range(3))
    candidates = sorted(
        moment
        for day in days
        for start in starts
        if (moment := datetime.combine(day, start, tzinfo=zone).astimezone(UTC)) > local
    )
    for candidate in (local.astimezone(UTC), *candidates):
        if may_contact_at(candidate.astimezone(zone).time(), profile, hours):
            return candidate
    raise ValueError(f"no instant within two days is allowed by {profile.jurisdiction} and {hours}")  # a profile always quiet


def legal_slots(profile: Profile) -> tuple[time, ...]:
    """The half hours of a day the legal window allows whole: the starts a borrower may choose
    preferred hours from on their page (each ends half an hour after its start)."""
    starts = [time(minutes // 60, minutes % 60) for minutes in range(0, 24 * 60, 30)]
    return tuple(start for start in starts if not quiet(start, profile) and not quiet(_half_hour_end(start), profile))


def _half_hour_end(start: time) -> time:
    """The last minute of the half hour from `start` (a minute before the next starts)."""
    minutes = start.hour * 60 + start.minute + 29
    return time(minutes // 60, minutes % 60)
