"""What a plan does to the loan's ledger, on the real Postgres (DESIGN.md §3a): an arrears plan
re-dates the arrears and leaves the regular installments due; completing it settles nothing that
was not paid or waived; breaking it undoes it and reinstates its waiver; every line balances."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from overdue_detection.adapters.ledger_sql import OWED
from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from tideover_contracts.common import PlanInstallmentLine, WaivedAmounts
from tideover_contracts.envelope import Event, parse_message, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RepaymentApplied,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBreakReason, PlanBroken, PlanCompleted
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_contracts.topics import OVERDUE_STATUS
from tideover_runtime.clock import BusinessClock, record_business_day
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.unit import Unit
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "overdue_detection" / "migrations"
D = Decimal


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans_in_the_ledger") as pool:
        yield pool


async def _booked(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_loans_booked_record_them([unit], ctx)


async def _repaid(unit: Unit[Any], ctx: Overdue) -> None:
    await handlers.when_repayments_received_apply_them([unit], ctx)


HANDLERS: dict[str, Any] = {
    "LoanBooked": _booked,
    "RepaymentReceived": _repaid,
    "BusinessDayClosed": handlers.when_business_day_closed_settle_overdue,
    "PlanActivated": handlers.when_plan_activated_apply_it,
    "PlanBroken": handlers.when_plan_broken_resume_clock,
    "PlanCompleted": handlers.when_plan_completed_cure_loan,
}


async def _handle(pool: asyncpg.Pool, event: Event) -> list[Any]:
    envelope = wrap(event, producer="test", occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    async with pool.acquire() as connection, connection.transaction():
        before = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        if isinstance(event, BusinessDayClosed):
            await record_business_day(connection, event)
        unit = Unit(envelope, "overdue-detection", BusinessClock(), PostgresOutbox(connection))
        await HANDLERS[event.event_type](unit, Overdue(LoanBook(connection), ChargeCaps()))
        rows = await connection.fetch(
            "SELECT value FROM outbox WHERE id > $1 AND topic = 'overdue.status.v1' ORDER BY id", before
        )
    return [parse_message(row["value"], OVERDUE_STATUS.event_classes()).payload for row in rows]


def close(day: date) -> BusinessDayClosed:
    return BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


def pay(loan_id: uuid.UUID, amount: str, on: date) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan_id, payment_id=f"P-{uuid.uuid4()}", amount=cny(amount), received_at=datetime(2026, 3, 1, tzinfo=UTC),
        value_date=on,
    )  # fmt: skip


def arrears_plan(loan_id: uuid.UUID) -> PlanActivated:
    """The arrears of 18 Feb (installment 1: 1,000.00 + 45.00, penalty 0.31 waived) over three months."""
    parts = [("333.33", "15.00"), ("333.33", "15.00"), ("333.34", "15.00")]
    schedule = tuple(
        PlanInstallmentLine(
            sequence=n,
            due_date=date(2026, 2 + n, 18),
            principal=cny(p),
            interest=cny(i),
            penalty=cny("0.00"),
            fee=cny("0.00"),
            total=cny(str(D(p) + D(i))),
        )
        for n, (p, i) in enumerate(parts, start=1)
    )
    waiver = WaivedAmounts(penalty=cny("0.31"), interest=cny("0.00"), fee=cny("0.00"), total=cny("0.31"))
    return PlanActivated(
        plan_id=uuid.uuid4(), offer_id=uuid.uuid4(), option_id="waiver-arrears-3", application_id=uuid.uuid4(),
        loan_id=loan_id, kind=OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS, activated_on=date(2026, 2, 19), schedule=schedule,
        total_payable=cny("1045.00"), conditional_waiver=waiver, effect=PlanEffect.ARREARS,
        basis_business_date=date(2026, 2, 18), replaced_installments=(1,),
    )  # fmt: skip


async def under_an_arrears_plan(pool: asyncpg.Pool) -> tuple[LoanBooked, PlanActivated]:
    """A loan of 3 × (1,000.00 + 45.00) from 15 Feb, overdue on 18 Feb, under `arrears_plan` since 19 Feb."""
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await _handle(pool, loan)
    await _handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)
    await _handle(pool, plan)
    return loan, plan


def completed(plan: PlanActivated) -> PlanCompleted:
    return PlanCompleted(
        plan_id=plan.plan_id, loan_id=plan.loan_id, completed_on=date(2026, 5, 18), total_paid=cny("1045.00"),
        final_waiver=plan.conditional_waiver,
    )  # fmt: skip


async def lines(pool: asyncpg.Pool, loan_id: uuid.UUID) -> dict[int, asyncpg.Record]:
    rows = await pool.fetch(
        f"SELECT i.*, {OWED} AS owed FROM installments i JOIN loans l USING (loan_id) WHERE loan_id = $1 ORDER BY sequence",
        loan_id,
    )
    return {row["sequence"]: row for row in rows}


async def balanced(pool: asyncpg.Pool, loan_id: uuid.UUID) -> None:
    """charged = paid + waived + written off + rescheduled + owed, per line and component, and
    every payment is on the lines or kept as credit (DESIGN.md §3a)."""
    for row in (await lines(pool, loan_id)).values():
        for part in ("principal", "interest", "fee"):
            settled = sum(row.get(f"{prefix}_{part}") or 0 for prefix in ("paid", "waived", "written_off", "rescheduled"))
            assert 0 <= settled <= row[part], (row["sequence"], part)
    paid = await pool.fetchval(
        "SELECT sum(paid_principal + paid_interest + paid_fee + paid_penalty) FROM installments WHERE loan_id = $1", loan_id
    )
    received = await pool.fetchval("SELECT coalesce(sum(amount), 0) FROM repayments WHERE loan_id = $1", loan_id)
    credit = await pool.fetchval("SELECT credit FROM loans WHERE loan_id = $1", loan_id)
    assert paid + credit == received


async def test_an_arrears_plan_paid_month_by_month_completes_with_every_installment_paid(pool: asyncpg.Pool) -> None:
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))  # 3 × (1,000.00 + 45.00) from 15 Feb
    await _handle(pool, loan)
    await _handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)

    granted, honoured = await _handle(pool, plan)
    assert isinstance(granted, WaiverGranted)
    assert isinstance(honoured, WaiverGranted)
    assert (granted.status, granted.waived.penalty, granted.plan_id) == (WaiverStatus.CONDITIONAL, cny("0.31"), plan.plan_id)
    # The quote of 18 Feb is honoured: the day of penalty accrued until the activation on 19 Feb is waived.
    assert (honoured.reason, honoured.waived.penalty) == (WaiverReason.QUOTE_HONOURED, cny("0.10"))
    book = await lines(pool, loan.loan_id)
    # Installment 1 is re-dated into the plan: taken over by it, never settled; 2 and 3 stay due.
    assert book[1]["rescheduled_by"] == plan.plan_id
    assert (book[1]["rescheduled_principal"], book[1]["waived_penalty"], book[1]["paid_principal"]) == (D(1000), D("0.41"), 0)
    assert [book[s]["owed"] for s in (1, 2, 3)] == [0, D("1045.00"), D("1045.00")]
    assert [book[s]["owed"] for s in (1001, 1002, 1003)] == [D("348.33"), D("348.33"), D("348.34")]

    # Each month: the regular installment due that month and the plan's line, oldest first.
    for day, amount in ((date(2026, 3, 18), "1393.33"), (date(2026, 4, 18), "1393.33"), (date(2026, 5, 18), "348.34")):
        await _handle(pool, close(day))
        events = await _handle(pool, pay(loan.loan_id, amount, day))
        applied = next(event for event in events if isinstance(event, RepaymentApplied))
        assert sum((line.left.amount for line in applied.covered), start=D(0)) == 0
    assert all(row["owed"] == 0 for row in (await lines(pool, loan.loan_id)).values())

    events = await _handle(pool, completed(plan))
    final = [event for event in events if isinstance(event, WaiverGranted)]
    assert [(e.status, e.waived.total) for e in final] == [(WaiverStatus.FINAL, cny("0.31")), (WaiverStatus.FINAL, cny("0.10"))]
    book = await lines(pool, loan.loan_id)
    assert (book[1]["paid_principal"], book[1]["rescheduled_principal"]) == (0, D(1000))  # paid through the plan
    assert (book[2]["paid_principal"], book[3]["paid_principal"]) == (D(1000), D(1000))
    await balanced(pool, loan.loan_id)


async def test_paying_only_the_plan_parts_leaves_the_regular_installments_owed(pool: asyncpg.Pool) -> None:
    loan, plan = await under_an_arrears_plan(pool)
    for day, amount in ((date(2026, 3, 18), "348.33"), (date(2026, 4, 18), "348.33"), (date(2026, 5, 18), "348.34")):
        await _handle(pool, close(day))
        await _handle(pool, pay(loan.loan_id, amount, day))
    # Oldest obligation first: each payment went to the regular installment due before the plan's line.
    book = await lines(pool, loan.loan_id)
    assert sum(row["owed"] for row in book.values()) == D("2090.00")  # two installments' worth never paid
    events = await _handle(pool, completed(plan))
    # Completion settles nothing: the loan is overdue on what was not paid, never cured by the plan
    # (penalty accrues on it again from the day after the plan completed).
    assert not any(isinstance(event, LoanCured) for event in events)
    assert sum(row["owed"] for row in (await lines(pool, loan.loan_id)).values()) == D("2090.00")
    await _handle(pool, close(date(2026, 5, 19)))
    assert sum(row["owed"] for row in (await lines(pool, loan.loan_id)).values()) == D("2090.10")
    await balanced(pool, loan.loan_id)


async def test_a_broken_plan_is_undone_and_its_waiver_reinstated(pool: asyncpg.Pool) -> None:
    loan, plan = await under_an_arrears_plan(pool)
    await _handle(pool, pay(loan.loan_id, "100.00", date(2026, 3, 1)))
    await _handle(pool, close(date(2026, 3, 21)))

    events = await _handle(pool, PlanBroken(plan_id=plan.plan_id, loan_id=loan.loan_id, reason=PlanBreakReason.TWO_MISSED,
                                            business_date=date(2026, 3, 21), reinstated_waiver=plan.conditional_waiver,
                                            unpaid=cny("945.00")))  # fmt: skip
    reinstated = [event for event in events if isinstance(event, WaiverGranted)]
    assert [(e.status, e.reason, e.waived.penalty) for e in reinstated] == [
        (WaiverStatus.REINSTATED, WaiverReason.PLAN, cny("0.31")),
        (WaiverStatus.REINSTATED, WaiverReason.QUOTE_HONOURED, cny("0.10")),
    ]
    resumed = next(event for event in events if isinstance(event, OverdueStatusChanged))
    # Oldest unpaid: 15 Feb; 34 days later, less the 29 days under the plan (20 Feb – 20 Mar):
    # collection resumes on the day it broke.
    assert (resumed.days_past_due, resumed.oldest_overdue_due_date) == (5, date(2026, 2, 15))
    book = await lines(pool, loan.loan_id)
    assert set(book) == {1, 2, 3}  # the plan's lines are gone
    assert (book[1]["rescheduled_by"], book[1]["rescheduled_principal"], book[1]["waived_penalty"]) == (None, 0, 0)
    # Penalty for 16–19 Feb (1,045.00 × 3.6% × 4 / 365 = 0.41) and for 21 Mar, when the plan broke
    # (945.41 × 3.6% / 365 = 0.09, rounded with the rest: 0.51 in all); the 100.00 paid penalty and interest first.
    assert book[1]["owed"] == D("1045.51") - D("100.00")
    await balanced(pool, loan.loan_id)


async def test_a_residual_under_the_de_minimis_is_written_off_as_a_recorded_act(pool: asyncpg.Pool) -> None:
    """Paying the notice's amount a day late leaves a few cents of penalty: written off and
    recorded, never kept overdue for months (DESIGN.md §4, de-minimis)."""
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await _handle(pool, loan)
    await _handle(pool, close(date(2026, 2, 16)))  # 1,045.10 overdue (0.10 of penalty)
    await _handle(pool, pay(loan.loan_id, "1045.10", date(2026, 2, 17)))  # a day late: 0.11 left
    events = await _handle(pool, close(date(2026, 2, 17)))
    written = next(event for event in events if isinstance(event, BalanceWrittenOff))
    assert (written.written_off.total, written.written_off.principal, written.reason) == (cny("0.11"), cny("0.11"), "de_minimis")
    cured = next(event for event in events if isinstance(event, LoanCured))
    assert cured.business_date == date(2026, 2, 17)
    book = await lines(pool, loan.loan_id)
    assert (book[1]["owed"], book[1]["written_off_principal"]) == (0, D("0.11"))
    act = await pool.fetchrow("SELECT * FROM ledger_acts WHERE loan_id = $1", loan.loan_id)
    assert (act["kind"], act["reason"], act["principal"]) == ("write_off", "de_minimis", D("0.11"))
    await balanced(pool, loan.loan_id)
    # Replayed from scratch (a later payment, here), the act stays applied.
    await _handle(pool, pay(loan.loan_id, "1045.00", date(2026, 3, 15)))
    assert (await lines(pool, loan.loan_id))[1]["written_off_principal"] == D("0.11")


async def test_a_payment_value_dated_earlier_makes_the_ledger_restate_the_payments_it_moved(pool: asyncpg.Pool) -> None:
    """What the ledger tells of a payment stays its word only until the ledger applies the loan's
    payments anew: then it restates each (DESIGN.md §3a: tracking judges from the ledger)."""
    loan, _ = await under_an_arrears_plan(pool)
    later = pay(loan.loan_id, "1393.33", date(2026, 3, 18))  # March's month: installment 2 and the plan's line
    [first] = [e for e in await _handle(pool, later) if isinstance(e, RepaymentApplied)]
    assert [(c.line.sequence, c.line.plan_id is None, c.left) for c in first.covered] == [
        (2, True, cny("0.00")),
        (1, False, cny("0.00")),
    ]
    earlier = pay(loan.loan_id, "100.00", date(2026, 3, 1))
    restated = {e.payment_id: e for e in await _handle(pool, earlier) if isinstance(e, RepaymentApplied)}
    assert set(restated) == {earlier.payment_id, later.payment_id}
    # The 100.00 of 1 March went to installment 2 first; March's payment now runs on into the next line.
    moved = restated[later.payment_id].covered
    assert [(c.line.sequence, c.line.plan_id is None) for c in moved] == [(2, True), (1, False), (3, True)]
    assert moved[2].left == cny("945.00")
    assert [c.left for c in restated[earlier.payment_id].covered] == [cny("945.00")]
    # Told once: the same restatement is not told again when nothing changed.
    assert not [e for e in await _handle(pool, close(date(2026, 3, 20))) if isinstance(e, RepaymentApplied)]


async def test_a_plans_end_read_before_its_activation_is_applied_once_the_activation_comes(pool: asyncpg.Pool) -> None:
    """PlanBroken (plans.tracking.v1) may be read before PlanActivated (plans.offers.v1): the same
    ledger either way (DESIGN.md §3a), not a dead letter and a plan in force for ever."""
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    await _handle(pool, loan)
    await _handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)
    broken = PlanBroken(
        plan_id=plan.plan_id, loan_id=loan.loan_id, reason=PlanBreakReason.UNPAID_30_DAYS, business_date=date(2026, 4, 17),
        reinstated_waiver=plan.conditional_waiver, unpaid=cny("1045.00"),
    )  # fmt: skip
    await _handle(pool, close(date(2026, 4, 17)))
    assert await _handle(pool, broken) == []  # kept until the activation is read
    events = await _handle(pool, plan)
    assert [(e.status, e.reason) for e in events if isinstance(e, WaiverGranted)] == [
        (WaiverStatus.CONDITIONAL, WaiverReason.PLAN),
        (WaiverStatus.CONDITIONAL, WaiverReason.QUOTE_HONOURED),
        (WaiverStatus.REINSTATED, WaiverReason.PLAN),
        (WaiverStatus.REINSTATED, WaiverReason.QUOTE_HONOURED),
    ]
    assert any(isinstance(e, OverdueStatusChanged) and OverdueChangeReason.PLAN_BROKEN in e.reasons for e in events)
    assert set(await lines(pool, loan.loan_id)) == {1, 2, 3}  # undone: the plan's lines are gone
    assert await pool.fetchval("SELECT outcome FROM plans WHERE plan_id = $1", plan.plan_id) == "broken"
    assert not await pool.fetchval("SELECT under_plan FROM loans WHERE loan_id = $1", loan.loan_id)
    await balanced(pool, loan.loan_id)


async def test_an_activation_read_before_the_previous_plans_end_waits_for_it(pool: asyncpg.Pool) -> None:
    """plan-calculation activates one plan at a time, but overdue detection may read the next
    activation (plans.offers.v1) before the end of the plan before it (plans.tracking.v1)."""
    loan, first = await under_an_arrears_plan(pool)
    second = arrears_plan(loan.loan_id).model_copy(update={"activated_on": date(2026, 3, 25)})
    assert await _handle(pool, second) == []  # held: the first plan is in force here
    broken = PlanBroken(
        plan_id=first.plan_id, loan_id=loan.loan_id, reason=PlanBreakReason.TWO_MISSED, business_date=date(2026, 3, 22),
        reinstated_waiver=first.conditional_waiver, unpaid=cny("1045.00"),
    )  # fmt: skip
    events = await _handle(pool, broken)
    granted = [(e.plan_id, e.status) for e in events if isinstance(e, WaiverGranted)]
    assert (first.plan_id, WaiverStatus.REINSTATED) in granted
    assert (second.plan_id, WaiverStatus.CONDITIONAL) in granted
    outcomes = dict(await pool.fetch("SELECT plan_id, outcome FROM plans WHERE loan_id = $1", loan.loan_id))
    assert outcomes == {first.plan_id: "broken", second.plan_id: "active"}
    assert {2001, 2002, 2003} <= set(await lines(pool, loan.loan_id))  # the second plan's lines
    await balanced(pool, loan.loan_id)
