"""application/overdue_status.py on the fakes: many loans' overdue status read at once (the
console's work queue, issue 20 finding 9) as one loan's is read (the loan page), each the figure
the ledger prices a plan on."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from overdue_detection.application.overdue_status import overdue_statuses
from overdue_detection.application.queries import ledger_position
from overdue_detection.domain.ledger import COMPONENTS
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason

from .conftest import World, arrears_plan, close, pay

D = Decimal
DAY = date(2026, 2, 18)


async def test_before_any_close_a_booked_loan_owes_nothing_overdue_and_an_unknown_one_is_left_out(world: World) -> None:
    loan = await world.booked()
    statuses = await overdue_statuses(world.book, [uuid.uuid4(), loan.loan_id])
    assert list(statuses) == [loan.loan_id]
    status = statuses[loan.loan_id]
    assert (status.business_date, status.oldest_due, status.overdue, status.days_past_due) == (None, None, False, 0)
    assert dict(status.amounts) == dict.fromkeys(COMPONENTS, D(0))


async def test_many_loans_in_the_order_asked_each_once_as_of_the_last_close(world: World) -> None:
    late, paid, later = await world.booked(), await world.booked(), await world.booked(date(2026, 1, 20))
    await world.handle(pay(paid.loan_id, "1045.00", date(2026, 2, 15)))
    await world.handle(close(DAY))
    asked = [later.loan_id, late.loan_id, paid.loan_id, late.loan_id]
    statuses = await overdue_statuses(world.book, asked)
    assert list(statuses) == [later.loan_id, late.loan_id, paid.loan_id]
    assert {status.business_date for status in statuses.values()} == {DAY}
    owed = statuses[late.loan_id]
    assert (owed.overdue, owed.oldest_due, owed.days_past_due) == (True, date(2026, 2, 15), 3)
    assert dict(owed.amounts) == {"principal": D("1000.00"), "interest": D("45.00"), "fee": D("0.00"), "penalty": D("0.31")}
    assert not statuses[paid.loan_id].overdue
    assert sum(statuses[paid.loan_id].amounts.values(), start=D(0)) == 0
    assert not statuses[later.loan_id].overdue  # due on 20 Feb: not yet


async def test_each_loans_figures_are_those_the_ledger_prices_a_plan_on(world: World) -> None:
    """One meaning of "owed today": at the close, the work queue's figures equal the ledger
    position's, a plan's days past due standing still."""
    first, second = await world.booked(), await world.booked()
    await world.handle(close(DAY))
    await world.handle(arrears_plan(second.loan_id))
    await world.handle(pay(first.loan_id, "100.00", date(2026, 2, 20)))  # after the close: not in it
    await world.handle(close(date(2026, 3, 1)))
    statuses = await overdue_statuses(world.book, [first.loan_id, second.loan_id])
    for loan_id, status in statuses.items():
        position = await ledger_position(world.book, loan_id)
        assert position is not None
        assert status.days_past_due == position.days_past_due
        assert status.oldest_due == position.oldest_overdue_due_date
        assert {part: status.amounts[part] for part in COMPONENTS} == {
            part: getattr(position.overdue, part).amount for part in COMPONENTS
        }
    assert statuses[second.loan_id].loan.under_plan
    assert statuses[second.loan_id].days_past_due == 4  # stood still from the plan's start on 19 Feb
    assert statuses[first.loan_id].days_past_due == 14


async def test_a_payment_since_the_close_counts_at_once_as_on_the_loan_page(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(DAY))
    await world.handle(pay(loan.loan_id, "45.41", date(2026, 2, 19)))  # penalty to the 19th, then interest
    status = (await overdue_statuses(world.book, [loan.loan_id]))[loan.loan_id]
    assert (status.business_date, status.days_past_due) == (DAY, 3)
    assert dict(status.amounts) == {"principal": D("1000.00"), "interest": D("0.00"), "fee": D("0.00"), "penalty": D("0.00")}


async def test_a_closed_loan_is_answered_with_nothing_overdue(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(DAY))
    await world.handle(LoanClosed(loan_id=loan.loan_id, closed_on=DAY, reason=LoanClosureReason.WRITTEN_OFF))
    status = (await overdue_statuses(world.book, [loan.loan_id]))[loan.loan_id]
    assert status.loan.status == "closed"
    assert not status.overdue
    assert sum(status.amounts.values(), start=D(0)) == 0


async def test_nothing_asked_nothing_read(world: World) -> None:
    await world.booked()
    await world.handle(close(DAY))
    assert await overdue_statuses(world.book, []) == {}
