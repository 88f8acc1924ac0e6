"""The loan's own use cases and the close (application/handlers.py, closing.py) on the fakes:
what each stages and what the book holds after, rejections and redeliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from overdue_detection.application import handlers
from tideover_contracts.events.loans import BorrowerContactChanged, LoanClosed, LoanClosureReason
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    CureReason,
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RepaymentApplied,
)
from tideover_runtime.unit import RejectEvent

from .conftest import World, close, cny, pay

D = Decimal
FEB_18 = date(2026, 2, 18)
AT = datetime(2026, 2, 18, 9, tzinfo=UTC)


async def test_a_booked_loan_is_recorded_once(world: World) -> None:
    loan = await world.booked()
    assert await world.handle(loan) == []  # redelivered: nothing new
    row = world.book.loans[loan.loan_id]
    assert (row["status"], row["penalty_rate"], row["cap_binds"], row["day_count"]) == ("active", D("0.0360"), False, 365)
    assert world.owed(loan.loan_id) == {1: D("1045.00"), 2: D("1045.00"), 3: D("1045.00")}


async def test_a_contact_change_updates_what_is_set_and_an_unknown_loan_is_refused(world: World) -> None:
    loan = await world.booked()
    change = BorrowerContactChanged(loan_id=loan.loan_id, borrower_id="B-000123", time_zone="Europe/London", changed_at=AT)
    assert await world.handle(change) == []
    contact = (await world.book.get(loan.loan_id)).contact  # type: ignore[union-attr]
    assert (contact.time_zone, contact.locale) == ("Europe/London", loan.borrower.locale)
    with pytest.raises(RejectEvent):
        await world.handle(BorrowerContactChanged(loan_id=uuid.uuid4(), borrower_id="B-1", time_zone="UTC", changed_at=AT))


async def test_the_close_tells_a_loan_overdue_once_with_its_penalty(world: World) -> None:
    loan = await world.booked()
    [became] = await world.handle(close(FEB_18))  # 16, 17 and 18 February in one go
    assert isinstance(became, LoanBecameOverdue)
    assert (became.episode, became.days_past_due, became.bucket.value) == (1, 3, "M1")
    assert became.overdue.penalty == cny("0.31")  # 1,045.00 × 3.6% × 3 / 365
    assert [item.outstanding for item in became.remaining_schedule] == [cny("1045.31"), cny("1045.00"), cny("1045.00")]
    assert world.book.loans[loan.loan_id]["overdue_since"] == date(2026, 2, 15)
    assert await world.handle(close(date(2026, 2, 17))) == []  # a day before the last closed: covered


async def test_a_catch_up_settles_its_earlier_days_quietly(world: World) -> None:
    loan = await world.booked()
    assert await world.handle(close(FEB_18, catching_up_to=date(2026, 2, 20))) == []
    assert world.book.loans[loan.loan_id]["untold_kind"] == "start"
    [became] = await world.handle(close(date(2026, 2, 20)))
    assert isinstance(became, LoanBecameOverdue)
    assert became.days_past_due == 5
    assert world.book.loans[loan.loan_id]["untold_kind"] is None


async def test_reminders_go_out_before_a_due_date(world: World) -> None:
    loan = await world.booked()
    [reminder] = await world.handle(close(date(2026, 2, 12)))
    assert isinstance(reminder, InstallmentDueSoon)
    assert (reminder.loan_id, reminder.sequence, reminder.days_before, reminder.amount_due) == (
        loan.loan_id,
        1,
        3,
        cny("1045.00"),
    )
    assert await world.handle(close(date(2026, 2, 13))) == []
    [one_day] = await world.handle(close(date(2026, 2, 14)))
    assert isinstance(one_day, InstallmentDueSoon)
    assert one_day.days_before == 1


async def test_payments_are_refused_for_unknown_or_closed_loans_and_other_currencies(world: World) -> None:
    loan = await world.booked()
    with pytest.raises(RejectEvent, match="unknown loan"):
        await world.handle(pay(uuid.uuid4(), "10.00", FEB_18))
    with pytest.raises(RejectEvent, match="USD"):
        await world.handle(pay(loan.loan_id, "10.00", FEB_18, currency="USD"))
    await world.handle(LoanClosed(loan_id=loan.loan_id, closed_on=FEB_18, reason=LoanClosureReason.PAID_OFF))
    with pytest.raises(RejectEvent, match="closed loan"):
        await world.handle(pay(loan.loan_id, "10.00", FEB_18))
    assert world.book.repayments == {}


async def test_a_payment_is_applied_once_and_tells_what_it_covered(world: World) -> None:
    loan = await world.booked()
    [applied] = await world.handle(pay(loan.loan_id, "100.00", date(2026, 2, 10), payment_id="P-1"))  # nothing closed yet
    assert isinstance(applied, RepaymentApplied)
    [line] = applied.covered
    assert (line.line.sequence, line.interest, line.principal, line.left) == (1, cny("45.00"), cny("55.00"), cny("945.00"))
    assert applied.outstanding == cny("3035.00")
    assert await world.handle(pay(loan.loan_id, "100.00", date(2026, 2, 10), payment_id="P-1")) == []  # redelivered
    assert world.owed(loan.loan_id)[1] == D("945.00")


async def test_a_payment_after_the_close_changes_or_cures_the_episode(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    changed, applied = await world.handle(pay(loan.loan_id, "45.31", FEB_18, payment_id="P-1"))
    assert isinstance(changed, OverdueStatusChanged)
    assert isinstance(applied, RepaymentApplied)
    assert changed.reasons == (OverdueChangeReason.PAYMENT_APPLIED,)
    assert changed.overdue.total == cny("1000.00")
    cured, _ = await world.handle(pay(loan.loan_id, "1000.00", FEB_18, payment_id="P-2"))  # after P-1: only it is told
    assert isinstance(cured, LoanCured)
    assert cured.reason == CureReason.PAID
    assert cured.outstanding_principal == cny("2000.00")
    assert world.book.loans[loan.loan_id]["overdue_since"] is None


async def test_a_backdated_payment_corrects_the_penalty_since(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(date(2026, 2, 25)))
    cured, _ = await world.handle(pay(loan.loan_id, "1045.00", date(2026, 2, 15)))  # paid on its due date
    assert isinstance(cured, LoanCured)
    assert cured.reason == CureReason.PAID
    assert world.owed(loan.loan_id)[1] == 0


async def test_a_small_balance_is_written_off_at_the_close_and_the_loan_cured(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    await world.handle(pay(loan.loan_id, "1045.00", FEB_18))  # the penalty first: 0.31 of principal stays owed
    events = await world.handle(close(date(2026, 2, 19)))
    [written] = [e for e in events if isinstance(e, BalanceWrittenOff)]
    assert (written.reason, written.written_off.principal, written.written_off.total) == ("de_minimis", cny("0.31"), cny("0.31"))
    [cured] = [e for e in events if isinstance(e, LoanCured)]
    assert cured.loan_id == loan.loan_id
    assert world.owed(loan.loan_id)[1] == 0
    [act] = world.book.ledger_acts.values()
    assert (act["kind"], act["reason"], act["principal"]) == ("write_off", "de_minimis", D("0.31"))


async def test_a_closed_loan_stops_being_tracked_and_its_episode_ends(world: World) -> None:
    loan = await world.booked()
    await world.handle(close(FEB_18))
    [cured] = await world.handle(LoanClosed(loan_id=loan.loan_id, closed_on=date(2026, 2, 19), reason=LoanClosureReason.SOLD))
    assert isinstance(cured, LoanCured)
    assert cured.reason == CureReason.LOAN_CLOSED
    assert world.book.loans[loan.loan_id]["status"] == "closed"
    assert await world.handle(close(date(2026, 2, 20))) == []  # no longer tracked
    with pytest.raises(RejectEvent):
        await world.handle(LoanClosed(loan_id=uuid.uuid4(), closed_on=FEB_18, reason=LoanClosureReason.SOLD))


async def test_a_run_of_payments_replays_each_loan_once_and_tells_each_payment(world: World) -> None:
    first, second = await world.booked(), await world.booked()
    await world.handle(close(FEB_18))
    run = [
        world.unit(pay(first.loan_id, "45.31", FEB_18, payment_id="P-1")),
        world.unit(pay(first.loan_id, "1000.00", FEB_18, payment_id="P-2")),
        world.unit(pay(second.loan_id, "10.00", FEB_18, payment_id="P-3")),
    ]
    await handlers.when_repayments_received_apply_them(run, world.ctx)
    assert sorted(e.payment_id for e in world.outbox.events(RepaymentApplied)) == ["P-1", "P-2", "P-3"]
    [cured] = world.outbox.events(LoanCured)
    [changed] = world.outbox.events(OverdueStatusChanged)
    assert (cured.loan_id, changed.loan_id) == (first.loan_id, second.loan_id)
    staged = len(world.outbox.staged)
    await handlers.when_repayments_received_apply_them(run, world.ctx)  # the run redelivered
    assert len(world.outbox.staged) == staged
