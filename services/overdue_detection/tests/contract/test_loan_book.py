"""The loan book's contract (application/ports.py LoanBook), on the fake and on Postgres: the
loans, their lines and payments, plans, pauses, acts and the calendar, as each method says."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from overdue_detection.domain.ledger import Pause
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.money import Money

from .conftest import POLICY, Book

D = Decimal


def _pay(loan_id: uuid.UUID, payment_id: str, amount: str, on: date) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id,
        payment_id=payment_id,
        amount=Money.of(amount, "CNY"),
        value_date=on,
        received_at=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
    )


def _plan(plan_id: uuid.UUID | None = None) -> PlanTerms:
    return PlanTerms(
        plan_id=plan_id or uuid.uuid4(),
        ordinal=0,
        effect=PlanEffect.ARREARS,
        basis_date=date(2026, 3, 1),
        activated_on=date(2026, 3, 2),
        lines=(PlanLine(1, date(2026, 4, 2), D("500.00"), D("20.00"), D(0), D("0.31")),),
        waiver={"penalty": D("0.31"), "interest": D(0), "fee": D(0)},
    )


async def test_a_loan_is_booked_once_with_its_schedule_and_policy(book: Book) -> None:
    loan = await book.book()
    again = loan.model_copy(update={"installments": loan.installments[:1]})
    await book.port.add_many([(again, POLICY)])  # booked before: left as it is
    row = await book.port.get(loan.loan_id)
    assert row is not None
    assert (row.currency, row.status, row.under_plan, row.episode, row.bucket, row.credit) == (
        "CNY",
        "active",
        False,
        0,
        "current",
        D(0),
    )
    assert row.policy == POLICY
    assert row.contact.borrower_id == loan.borrower.borrower_id
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    assert [(i.sequence, i.due_date, i.principal, i.interest, i.fee) for i in parts.installments] == [
        (i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount) for i in loan.installments
    ]
    assert await book.port.get(uuid.uuid4()) is None


async def test_lock_returns_the_booked_loans_only_and_set_status_changes_them(book: Book) -> None:
    first, second = await book.book(), await book.book()
    await book.port.set_status(first.loan_id, status="closed", under_plan=True)
    locked = await book.port.lock([second.loan_id, uuid.uuid4(), first.loan_id])
    assert list(locked) == sorted([first.loan_id, second.loan_id])
    assert (locked[first.loan_id].status, locked[first.loan_id].under_plan) == ("closed", True)
    assert (locked[second.loan_id].status, locked[second.loan_id].under_plan) == ("active", False)
    contact = locked[first.loan_id].contact.model_copy(update={"time_zone": "Europe/London"})
    await book.port.set_status(first.loan_id, contact=contact.model_dump_json())
    assert (await book.port.get(first.loan_id, for_update=True)).contact == contact  # type: ignore[union-attr]


async def test_a_payment_id_is_recorded_once(book: Book) -> None:
    loan = await book.book()
    first = _pay(loan.loan_id, "P-1", "100.00", date(2026, 2, 20))
    assert await book.port.record_payments([first, _pay(loan.loan_id, "P-2", "50.00", date(2026, 2, 18))]) == {"P-1", "P-2"}
    assert await book.port.record_payments([first, _pay(loan.loan_id, "P-3", "5.00", date(2026, 2, 18))]) == {"P-3"}
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    assert sorted((p.payment_id, p.amount, p.value_date, p.received_at) for p in parts.payments) == [
        ("P-1", D("100.00"), date(2026, 2, 20), datetime(2026, 2, 20, 9, tzinfo=UTC)),
        ("P-2", D("50.00"), date(2026, 2, 18), datetime(2026, 2, 18, 9, tzinfo=UTC)),
        ("P-3", D("5.00"), date(2026, 2, 18), datetime(2026, 2, 18, 9, tzinfo=UTC)),
    ]
    last = await book.port.last_payments(loan.loan_id, limit=2)
    assert [(row["payment_id"], row["amount"]) for row in last] == [("P-1", D("100.00")), ("P-2", D("50.00"))]


async def test_saved_ledgers_update_the_lines_write_plan_lines_anew_and_keep_the_credit(book: Book) -> None:
    loan = await book.book()
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    paid = replace(parts.installments[0], paid_interest=D("45.00"), penalty_basis=D("112.86"), accrued_through=date(2026, 2, 18))
    plan_id = uuid.uuid4()
    await book.port.add_plan(loan.loan_id, _plan(plan_id))
    line = replace(parts.installments[1], sequence=1001, plan_id=plan_id, plan_sequence=1, due_date=date(2026, 4, 2))
    await book.port.save_ledgers({loan.loan_id: ((paid, line), D("12.50"))})
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    assert parts.installments[0] == paid
    assert len(parts.installments) == 3  # the plan's line is not one of the loan's own
    assert (await book.port.get(loan.loan_id)).credit == D("12.50")  # type: ignore[union-attr]
    [owed] = (await book.port.remaining_schedules([loan.loan_id])).values()
    assert [(item.sequence, amount) for item, amount in owed] == [
        (1, D("1000.31")),
        (2, D("1045.00")),
        (3, D("1045.00")),
        (1001, D("1045.00")),
    ]
    await book.port.save_ledgers({loan.loan_id: ((), D(0))}, with_plans={loan.loan_id})  # the plan's lines are gone
    assert [item.sequence for item, _ in (await book.port.remaining_schedules([loan.loan_id]))[loan.loan_id]] == [1, 2, 3]


async def test_plans_are_numbered_per_loan_and_end_once(book: Book) -> None:
    loan = await book.book()
    first = _plan()
    assert await book.port.add_plan(loan.loan_id, first)
    assert not await book.port.add_plan(loan.loan_id, first)
    assert await book.port.active_plan(loan.loan_id) == first.plan_id
    assert await book.port.end_plan(first.plan_id, "broken", date(2026, 3, 20))
    assert not await book.port.end_plan(first.plan_id, "completed", date(2026, 3, 21))
    assert await book.port.plan_outcome(first.plan_id) == "broken"
    assert await book.port.plan_outcome(uuid.uuid4()) is None
    assert await book.port.active_plan(loan.loan_id) is None
    second = _plan()
    assert await book.port.add_plan(loan.loan_id, second)
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    assert [(p.plan_id, p.ordinal, p.outcome, p.ended_on) for p in parts.plans] == [
        (first.plan_id, 1, "broken", date(2026, 3, 20)),
        (second.plan_id, 2, "active", None),
    ]
    assert replace(parts.plans[1], ordinal=0) == second  # lines and waiver as recorded


async def test_messages_kept_for_a_plan_are_taken_once(book: Book) -> None:
    loan, plan_id, later = await book.book(), uuid.uuid4(), uuid.uuid4()
    await book.port.wait_for_activation(plan_id, loan.loan_id, '{"end": 1}')
    await book.port.wait_for_activation(plan_id, loan.loan_id, '{"end": 2}')  # kept once
    assert await book.port.waiting_end(plan_id) == '{"end": 1}'
    assert await book.port.waiting_end(plan_id) is None
    await book.port.hold_activation(later, loan.loan_id, '{"activation": 1}')
    assert await book.port.held_activations(loan.loan_id) == ['{"activation": 1}']
    assert await book.port.held_activations(loan.loan_id) == []


async def test_an_act_is_recorded_once_and_write_offs_are_in_the_ledger(book: Book) -> None:
    loan, plan_id = await book.book(), uuid.uuid4()
    act, write_off = uuid.uuid4(), uuid.uuid4()
    on = date(2026, 3, 2)
    await book.port.record_act(act, loan.loan_id, plan_id, "waiver", "quote_honoured", "conditional", on, {"penalty": D("0.31")})
    await book.port.record_act(act, loan.loan_id, plan_id, "waiver", "quote_honoured", "final", on, {"penalty": D("9")})
    await book.port.record_act(uuid.uuid4(), loan.loan_id, plan_id, "waiver", "plan", "conditional", on, {"interest": D("2")})
    await book.port.record_act(write_off, loan.loan_id, None, "write_off", "de_minimis", "final", on, {"penalty": D("0.40")})
    acts = await book.port.acts(plan_id, "conditional")
    assert [(a["reason"], a["penalty"], a["interest"], a["principal"]) for a in acts] == [
        ("plan", D(0), D("2"), D(0)),
        ("quote_honoured", D("0.31"), D(0), D(0)),
    ]
    assert await book.port.acts(plan_id, "final") == []
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    [written] = parts.write_offs
    assert (written.act_id, written.on) == (write_off, on)
    assert (written.amounts["penalty"], written.amounts["principal"]) == (D("0.40"), D(0))


async def test_a_pause_opens_once_and_ends_with_its_length(book: Book) -> None:
    loan = await book.book()
    assert await book.port.open_pause(loan.loan_id) is None
    await book.port.start_pause(loan.loan_id, date(2026, 3, 2))
    await book.port.start_pause(loan.loan_id, date(2026, 3, 2))
    assert await book.port.open_pause(loan.loan_id) == date(2026, 3, 2)
    assert await book.port.end_pause(loan.loan_id, date(2026, 3, 12)) == 10
    assert await book.port.end_pause(loan.loan_id, date(2026, 3, 13)) == 0  # none open
    assert await book.port.open_pause(loan.loan_id) is None
    [parts] = (await book.port.ledgers([loan.loan_id])).values()
    assert parts.pauses == (Pause(date(2026, 3, 2), date(2026, 3, 12)),)


async def test_many_loans_and_their_open_pauses_are_read_at_once(book: Book) -> None:
    first, second, third = await book.book(), await book.book(), await book.book()
    await book.port.set_status(second.loan_id, status="closed")
    read = await book.port.get_many([second.loan_id, uuid.uuid4(), first.loan_id])
    assert set(read) == {first.loan_id, second.loan_id}
    assert read[first.loan_id] == await book.port.get(first.loan_id)
    assert read[second.loan_id].status == "closed"
    assert await book.port.get_many([]) == {}
    await book.port.start_pause(first.loan_id, date(2026, 3, 2))
    await book.port.start_pause(second.loan_id, date(2026, 3, 1))
    await book.port.end_pause(second.loan_id, date(2026, 3, 5))
    asked = [first.loan_id, second.loan_id, third.loan_id, uuid.uuid4()]
    assert await book.port.open_pauses(asked) == {first.loan_id: date(2026, 3, 2)}


async def test_the_calendar_says_which_days_closed_and_which_close_was_told(book: Book) -> None:
    assert await book.port.last_business_date() is None
    assert await book.port.closed_days_around(date(2026, 3, 2)) == (None, None)
    for day in (date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 9)):
        await book.close(day)
    assert await book.port.last_business_date() == date(2026, 3, 9)
    assert await book.port.closed_days_around(date(2026, 3, 5)) == (date(2026, 3, 2), date(2026, 3, 9))
    assert await book.port.tell_close(date(2026, 3, 5)) is None  # the first close told
    assert await book.port.tell_close(date(2026, 3, 9)) == date(2026, 3, 6)
    assert await book.port.tell_close(date(2026, 3, 9)) is None  # told already
    assert await book.port.tell_close(date(2026, 3, 7)) is None  # before the last told


async def test_a_loan_booked_twice_in_one_run_is_booked_once(book: Book) -> None:
    loan = await book.book()
    other = loan.model_copy(update={"loan_id": uuid.uuid4()})
    await book.port.add_many([(other, POLICY), (other, POLICY)])
    [parts] = (await book.port.ledgers([other.loan_id])).values()
    assert [i.sequence for i in parts.installments] == [1, 2, 3]
