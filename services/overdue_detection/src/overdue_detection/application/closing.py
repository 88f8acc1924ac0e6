"""The business-day close: penalty accrued, statuses decided, small balances written off and
reminders sent, for every loan at once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import Overdue
from overdue_detection.application.replayed import decide_row, publish_applied, rebuild
from overdue_detection.application.status_events import publish_decisions
from overdue_detection.domain.episodes import Trigger
from overdue_detection.domain.ledger import COMPONENTS, ZERO
from overdue_detection.domain.policy import DE_MINIMIS
from tideover_contracts.common import ContactRef, OverdueAmounts
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.overdue import BalanceWrittenOff, InstallmentDueSoon
from tideover_contracts.money import Money
from tideover_runtime.unit import Unit


async def when_business_day_closed_settle_overdue(unit: Unit[BusinessDayClosed], ctx: Overdue) -> None:
    """Close every calendar day since the last one closed, in order. The ledger is settled for
    each (penalty, de-minimis write-offs), but the overdue statuses and reminders are decided
    once, on the day closed last (DESIGN.md §6, catch-up): days skipped by a business calendar,
    and dates closed in a catch-up ahead of its latest (`caught_up_later`), are settled quietly.
    A status then compares the latest position with the last one reported, so a bucket passed or
    an episode begun in between is told once, with the latest figures."""
    closed = unit.event.business_date
    previous, later = await ctx.book.closed_days_around(closed)
    if later is not None:
        return  # a day arriving after a later one was closed: the catch-up covered it
    day = closed if previous is None else previous + timedelta(days=1)
    while day <= closed:
        await _close_one_day(unit, ctx, day, quietly=day < closed or unit.event.caught_up_later)
        day += timedelta(days=1)


async def _close_one_day(unit: Unit[BusinessDayClosed], ctx: Overdue, day: date, quietly: bool) -> None:
    await ctx.book.accrue_penalties(day)
    rows = await ctx.book.positions(day)
    small = [row for row in rows if row["oldest_due"] is not None and 0 < _total(row) <= DE_MINIMIS]
    decisions = [decide_row(row, day, Trigger.CLOSE, unit, quietly) for row in rows if row not in small]
    await publish_decisions(ctx.book, day, decisions)
    await _write_off(unit, ctx, day, small, quietly)
    if quietly:
        return
    since = await ctx.book.tell_close(day)
    for row in await ctx.book.due_soon(day, ctx.reminder_days, since):
        loan_id = row["loan_id"]
        await unit.publish(
            InstallmentDueSoon(
                loan_id=loan_id,
                sequence=row["sequence"],
                due_date=row["due_date"],
                amount_due=Money.of(row["amount_due"], row["currency"]),
                days_before=row["days_before"],
                business_date=day,
                contact=ContactRef.model_validate_json(row["contact"]),
            ),
            event_id=deterministic_id(InstallmentDueSoon.event_type, loan_id, row["sequence"], row["days_before"]),
        )


def _total(row: Any) -> Decimal:
    return sum((row[c] for c in COMPONENTS), start=ZERO)


async def _write_off(unit: Unit[BusinessDayClosed], ctx: Overdue, day: date, rows: list[Any], quietly: bool) -> None:
    """Small balances off the ledger as recorded acts (DESIGN.md §4, de-minimis), then each such
    loan replayed with its act: cured, told once like any cure."""
    if not rows:
        return
    loans = await ctx.book.lock([row["loan_id"] for row in rows])
    for row in rows:
        amounts = {c: row[c] for c in COMPONENTS}
        act = deterministic_id("write-off", row["loan_id"], day)
        await ctx.book.record_act(act, row["loan_id"], None, "write_off", "de_minimis", "final", day, amounts)
        written_off = OverdueAmounts(
            **{c: Money.of(row[c], row["currency"]) for c in COMPONENTS}, total=Money.of(_total(row), row["currency"])
        )
        event = BalanceWrittenOff(loan_id=row["loan_id"], business_date=day, reason="de_minimis", written_off=written_off)
        await unit.publish(event, event_id=deterministic_id(BalanceWrittenOff.event_type, row["loan_id"], day))
    ledgers = await rebuild(ctx, loans, dict.fromkeys(loans, (unit, Trigger.CLOSE)), day, quietly)
    for loan_id, ledger in ledgers.items():
        await publish_applied(unit, loans[loan_id], ledger)
