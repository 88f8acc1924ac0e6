"""application/queries.py on the fakes: a loan's position in the ledger as of the last close."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from overdue_detection.application.queries import ClosedLoanError, ledger_position
from overdue_detection.domain.delinquency import shown_days_past_due
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason

from .conftest import World, arrears_plan, close, cny, pay

D = Decimal
DAY = date(2026, 2, 18)


async def test_no_position_before_a_close_or_for_an_unknown_loan(world: World) -> None:
    loan = await world.booked()
    assert await ledger_position(world.book, loan.loan_id) is None
    await world.handle(close(DAY))
    assert await ledger_position(world.book, uuid.uuid4()) is None


async def test_the_position_is_the_ledger_as_of_the_last_close(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(DAY))
    await world.handle(pay(loan.loan_id, "100.00", date(2026, 2, 19)))  # after the close: not in it
    position = await ledger_position(world.book, loan.loan_id)
    assert position is not None
    assert (position.business_date, position.days_past_due, position.oldest_overdue_due_date) == (DAY, 3, date(2026, 2, 15))
    assert (position.overdue.penalty, position.overdue.total) == (cny("0.31"), cny("1045.31"))
    assert position.next_due_date == date(2026, 3, 15)
    assert position.outstanding_principal == cny("3000.00")
    assert [item.outstanding for item in position.remaining_schedule] == [cny("1045.31"), cny("1045.00"), cny("1045.00")]
    assert not position.under_plan


async def test_under_a_plan_the_days_past_due_stand_still(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(DAY))
    await world.handle(arrears_plan(loan.loan_id))
    await world.handle(close(date(2026, 3, 1)))
    position = await ledger_position(world.book, loan.loan_id)
    assert position is not None
    assert position.under_plan
    assert position.days_past_due == shown_days_past_due(date(2026, 3, 1), None, 0, date(2026, 2, 15), date(2026, 2, 19)) == 4


async def test_a_closed_loan_has_no_position(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(DAY))
    await world.handle(LoanClosed(loan_id=loan.loan_id, closed_on=DAY, reason=LoanClosureReason.PAID_OFF))
    with pytest.raises(ClosedLoanError):
        await ledger_position(world.book, loan.loan_id)


def test_shown_days_past_due_leave_out_the_days_paused() -> None:
    assert shown_days_past_due(None, date(2026, 2, 15), 0, None, None) == 0
    assert shown_days_past_due(DAY, date(2026, 2, 15), 0, None, None) == 3
    assert shown_days_past_due(date(2026, 3, 1), date(2026, 2, 15), 5, None, None) == 9
