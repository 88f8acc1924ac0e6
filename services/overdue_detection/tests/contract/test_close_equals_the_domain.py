"""The owed/penalty rule of the set-based close (accrue_penalties, positions: SQL in
adapters/closing_sql.py) equals the domain's (domain/ledger.py, domain/replay.py): on a few loans
closed day by day, with payments (one backdated), a pause and a plan, what the book accrued and
reports is what a replay of each loan's ledger says. Both adapters are held to it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from overdue_detection.domain.delinquency import paused_days
from overdue_detection.domain.ledger import COMPONENTS, ZERO, ChargePolicy
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.events.loans import AllocationOrder, RepaymentReceived
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.money import Money

from .conftest import Book

D = Decimal
FIRST = date(2026, 2, 16)
LAST = date(2026, 3, 24)
#: The examples' rates under a cap that binds (penalty at 10% - 7.2%), ACT/360, the other allocation order.
CAPPED = ChargePolicy(D("0.0720"), D("0.0360"), D("0.1000"), 360)


async def _replayed(book: Book, loan_id: uuid.UUID, through: date | None) -> Ledger:
    loan = await book.port.get(loan_id)
    assert loan is not None
    p = (await book.port.ledgers([loan_id]))[loan_id]
    return replay(p.installments, p.payments, through, loan.policy, loan.allocation_order, p.pauses, p.plans, p.write_offs)


async def _rebuild(book: Book, loan_id: uuid.UUID) -> None:
    """What a use case does after a payment or a plan (application/replayed.py rebuild)."""
    through = await book.port.last_business_date()
    before = (await book.port.ledgers([loan_id]))[loan_id]
    ledger = await _replayed(book, loan_id, through)
    lines = tuple(i for i in ledger.installments if i.plan_id is not None or i not in before.installments)
    await book.port.save_ledgers({loan_id: (lines, ledger.credit)}, {loan_id} if before.plans else set())


async def _pay(book: Book, loan_id: uuid.UUID, amount: str, on: date) -> None:
    received = datetime.combine(on, datetime.min.time(), UTC) + timedelta(hours=9)
    payment = RepaymentReceived(
        loan_id=loan_id, payment_id=f"P-{uuid.uuid4()}", amount=Money.of(amount, "CNY"), value_date=on, received_at=received
    )
    await book.port.record_payments([payment])
    await _rebuild(book, loan_id)


async def _activate(book: Book, loan_id: uuid.UUID, on: date) -> None:
    lines = tuple(PlanLine(n, on + timedelta(days=30 * n), D("500.00"), D("22.50"), D(0), D(0)) for n in (1, 2))
    plan = PlanTerms(uuid.uuid4(), 0, PlanEffect.ARREARS, on, on, lines, {"penalty": D("100"), "interest": D(0), "fee": D(0)})
    await book.port.add_plan(loan_id, plan)
    await book.port.start_pause(loan_id, on)
    await book.port.set_status(loan_id, under_plan=True)
    await _rebuild(book, loan_id)


def _expected(ledger: Ledger, loan: Any, pauses: Any, day: date) -> dict[str, Any]:
    """A loan's position on `day` from its replayed ledger: what lines due before it still owe."""
    owed = [(i.due_date, i.owed(loan.policy.day_count)) for i in ledger.installments]
    overdue = [(due, parts) for due, parts in owed if due < day and sum(parts.values(), start=ZERO) > 0]
    oldest = min((due for due, _ in overdue), default=None)
    amounts = {c: sum((parts[c] for _, parts in overdue), start=ZERO) for c in COMPONENTS}
    return {"oldest_due": oldest, **amounts, "paused_days": paused_days(pauses, oldest, day)}


async def test_accrual_and_positions_equal_a_replay_of_each_ledger(book: Book) -> None:
    plain = (await book.book()).loan_id
    paid = (await book.book()).loan_id
    paused = (await book.book()).loan_id
    planned = (await book.book()).loan_id
    capped = (await book.book(CAPPED)).loan_id
    await book.port.set_status(capped, allocation_order=AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY.value)
    accrued = []
    day = FIRST
    while day <= LAST:
        await book.close(day)
        accrued.append(await book.port.accrue_penalties(day))
        if day == date(2026, 2, 20):
            await _pay(book, paid, "300.00", day)
            await _pay(book, capped, "1045.00", day)
        if day == date(2026, 2, 25):
            await book.port.start_pause(paused, day)
            await book.port.set_status(paused, under_plan=True)
        if day == date(2026, 3, 1):
            await _activate(book, planned, day)
        if day == date(2026, 3, 4):
            await book.port.end_pause(paused, day + timedelta(days=1))  # collection resumes on the 5th
            await book.port.set_status(paused, under_plan=False)
        if day == date(2026, 3, 10):
            await _pay(book, paid, "200.00", date(2026, 3, 2))  # backdated: corrects the penalty since
        day += timedelta(days=1)
    assert accrued[:3] == [5, 5, 5]  # every loan's first installment, from the day after it fell due
    rows = {row["loan_id"]: row for row in await book.port.positions(LAST, include_under_plan=True)}
    assert set(rows) == {plain, paid, paused, planned, capped}  # every second installment is owed
    for loan_id in (plain, paid, paused, planned, capped):
        loan = await book.port.get(loan_id)
        ledger = await _replayed(book, loan_id, LAST)
        pauses = (await book.port.ledgers([loan_id]))[loan_id].pauses
        row = rows[loan_id]
        assert {key: row[key] for key in ("oldest_due", *COMPONENTS, "paused_days")} == _expected(ledger, loan, pauses, LAST)
        stored = (await book.port.ledgers([loan_id]))[loan_id].installments
        own = [i for i in ledger.installments if i.plan_id is None]
        assert [i.penalty_charged(loan.policy.day_count) for i in stored] == [  # type: ignore[union-attr]
            i.penalty_charged(loan.policy.day_count)  # type: ignore[union-attr]
            for i in own
        ]
    # 1,045.00 × 3.6% × 37 days / 365 = 3.81 on the first installment, and 9 days on the second: 0.93
    assert rows[plain]["penalty"] == D("4.74")
    assert rows[planned]["penalty"] == 0  # the plan waived it
    assert rows[paused]["paused_days"] == 7  # the 26th of February to the 4th of March
    positions = await book.port.positions(LAST)
    assert planned not in {row["loan_id"] for row in positions}  # under a plan: not closed
