"""When a business day closes (DESIGN.md §6): at the lender's cut-off in its time zone, every
calendar day by default, or per a business calendar (weekdays, and holidays as data).

Pure: every function takes the instant it judges, so the scheduler's loop and its tests decide
alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

#: A cut-off before this time of day is after midnight: it closes the day before (a lender
#: closing at 00:30 closes Monday's business at 00:30 on Tuesday), never a day not yet lived.
LATE_CUT_OFF_UNTIL = time(6, 0)
#: The most dates one catch-up closes: a scheduler down longer than this (or a first start
#: without a first date) starts from the latest date instead, and says so.
MAX_CATCH_UP_DAYS = 366


class CalendarKind(StrEnum):
    #: Every calendar day: internet lenders collect seven days a week (the default).
    EVERY_DAY = "every-day"
    #: Monday to Friday, holidays left out.
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class CloseCalendar:
    """The days the lender closes, and the cut-off when each closes."""

    cutoff: time = time(18, 0)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    kind: CalendarKind = CalendarKind.EVERY_DAY
    #: Dates not closed (their ledger is settled with the next date closed).
    holidays: frozenset[date] = frozenset()

    def closes_on(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return self.kind is CalendarKind.EVERY_DAY or day.weekday() < 5

    def cutoff_at(self, day: date) -> datetime:
        """The instant `day` closes, in UTC: its cut-off, or the next morning's for a cut-off
        after midnight (LATE_CUT_OFF_UNTIL)."""
        on = day + timedelta(days=1) if self.cutoff < LATE_CUT_OFF_UNTIL else day
        return datetime.combine(on, self.cutoff, tzinfo=self.zone).astimezone(UTC)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def latest_due(self, now: datetime) -> date | None:
        """The latest date the calendar closes whose cut-off has passed at `now`."""
        day = self.local_date(now)
        for _ in range(MAX_CATCH_UP_DAYS):
            if self.closes_on(day) and self.cutoff_at(day) <= now:
                return day
            day -= timedelta(days=1)
        return None

    def next_close(self, after: date) -> tuple[date, datetime]:
        """The next date the calendar closes after `after`, and when."""
        day = after + timedelta(days=1)
        while not self.closes_on(day):
            day += timedelta(days=1)
        return day, self.cutoff_at(day)

    def dates_between(self, after: date, through: date) -> Iterator[date]:
        """The dates the calendar closes after `after`, through `through`, oldest first."""
        day = after + timedelta(days=1)
        while day <= through:
            if self.closes_on(day):
                yield day
            day += timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """The dates to close now, oldest first, and the latest of them (a catch-up's target)."""

    dates: tuple[date, ...]
    #: Dates past that were never closed and will not be: the scheduler was down longer than
    #: MAX_CATCH_UP_DAYS (the ledger settles them with the first date closed).
    skipped_from: date | None = None

    @property
    def catching_up_to(self) -> date | None:
        return self.dates[-1] if len(self.dates) > 1 else None


def due(calendar: CloseCalendar, last_closed: date | None, now: datetime, first_date: date | None = None) -> Due:
    """What to close at `now`: each date since `last_closed` whose cut-off has passed, in order.
    Nothing closed yet: from `first_date` if set, else the latest date due alone."""
    latest = calendar.latest_due(now)
    if latest is None:
        return Due(())
    if last_closed is None:
        if first_date is None:
            return Due((latest,))
        last_closed = first_date - timedelta(days=1)
    if latest <= last_closed:
        return Due(())
    if (latest - last_closed).days > MAX_CATCH_UP_DAYS:
        return Due((latest,), skipped_from=last_closed + timedelta(days=1))
    return Due(tuple(calendar.dates_between(last_closed, latest)))


def refusal_to_close(calendar: CloseCalendar, day: date, last_closed: date | None, now: datetime) -> str | None:
    """Why an operator may not close `day` by hand now, or None. Only the next date the calendar
    closes may be closed (never one closed already, never out of order), and not before its
    local date has begun."""
    if not calendar.closes_on(day):
        return f"{day} is not a date the business calendar closes"
    if last_closed is not None and day <= last_closed:
        return f"{day} is closed already (the last date closed is {last_closed})"
    if last_closed is not None and (expected := next(calendar.dates_between(last_closed, day), day)) != day:
        return f"{day} is out of order: {expected} must be closed first"
    if day > calendar.local_date(now):
        return f"{day} has not begun in {calendar.zone.key}"
    return None


def tick_due(last_tick: datetime | None, now: datetime, every: timedelta) -> datetime | None:
    """The tick to publish at `now`, or None: one per period of `every`, at its start (so that
    every replica and a restarted one name the same tick)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    slot = epoch + ((now - epoch) // every) * every
    if last_tick is not None and slot <= last_tick:
        return None
    return slot
