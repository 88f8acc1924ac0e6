"""The scheduler's use cases (DESIGN.md §6): close what is due and tick, on the leader's turn;
and the operator's commands. Each runs in one transaction of the caller's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from scheduler.application.ports import ClockBook
from scheduler.domain.calendar import CloseCalendar, due, refusal_to_close, tick_due

log = structlog.get_logger(__name__)

SCHEDULER = "scheduler"


@dataclass(frozen=True)
class Turn:
    """What one turn of the scheduler did."""

    closed: tuple[date, ...] = ()
    ticked: datetime | None = None
    paused: bool = False


class RefusedError(ValueError):
    """An operator's command the clock's rules refuse; the message says why."""


async def take_turn(
    book: ClockBook, calendar: CloseCalendar, now: datetime, tick_every: timedelta, first_date: date | None = None
) -> Turn:
    """Close each date due at `now` since the last one closed, oldest first (a catch-up names its
    latest date on each), then tick if a tick period began. Paused: nothing."""
    state = await book.state()
    if state.paused:
        return Turn(paused=True)
    todo = due(calendar, state.last_closed, now, first_date)
    if todo.skipped_from is not None:
        log.warning(
            "dates left unclosed: the scheduler was down longer than a catch-up covers",
            first=str(todo.skipped_from),
            closing=str(todo.dates[-1]),
        )
    closed = tuple([day for day in todo.dates if await book.close(day, calendar.cutoff_at(day), todo.catching_up_to, SCHEDULER)])
    ticked = tick_due(state.last_tick, now, tick_every)
    if ticked is not None:
        await book.tick(ticked)
    return Turn(closed=closed, ticked=ticked)


async def close_by_hand(book: ClockBook, calendar: CloseCalendar, day: date, now: datetime, operator: str) -> None:
    """An operator closes `day` now (`tideover-clock close-day`): only the next date due, once."""
    state = await book.state()
    if (refusal := refusal_to_close(calendar, day, state.last_closed, now)) is not None:
        raise RefusedError(refusal)
    # Behind (paused, or down): the dates after it are due too, and what is told waits for them.
    latest = calendar.latest_due(now)
    await book.close(day, min(now, calendar.cutoff_at(day)), latest if latest and latest > day else None, operator)


async def pause(book: ClockBook, paused: bool, operator: str, now: datetime) -> None:
    """Stop (or start again) closing and ticking; a resumed scheduler catches up what is due."""
    await book.state()  # holds the book: one change at a time
    await book.set_paused(paused, operator, now)
