"""What a plan does to the loan's ledger, on the real Postgres (DESIGN.md §3a): an arrears plan
re-dates the arrears and leaves the regular installments due; completing it settles nothing that
was not paid or waived; breaking it undoes it and reinstates its waiver; every line balances."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    LoanCured,
    OverdueStatusChanged,
    RepaymentApplied,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.tracking import PlanBreakReason, PlanBroken
from tideover_contracts.examples import loan_booked
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

from .plan_journeys import MIGRATIONS, D, arrears_plan, balanced, close, cny, completed, handle, lines, pay, under_an_arrears_plan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "plans_in_the_ledger") as pool:
        yield pool


async def test_an_arrears_plan_paid_month_by_month_completes_with_every_installment_paid(pool: asyncpg.Pool) -> None:
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))  # 3 × (1,000.00 + 45.00) from 15 Feb
    await handle(pool, loan)
    await handle(pool, close(date(2026, 2, 18)))
    plan = arrears_plan(loan.loan_id)

    granted, honoured = await handle(pool, plan)
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
        await handle(pool, close(day))
        events = await handle(pool, pay(loan.loan_id, amount, day))
        applied = next(event for event in events if isinstance(event, RepaymentApplied))
        assert sum((line.left.amount for line in applied.covered), start=D(0)) == 0
    assert all(row["owed"] == 0 for row in (await lines(pool, loan.loan_id)).values())

    events = await handle(pool, completed(plan))
    final = [event for event in events if isinstance(event, WaiverGranted)]
    assert [(e.status, e.waived.total) for e in final] == [(WaiverStatus.FINAL, cny("0.31")), (WaiverStatus.FINAL, cny("0.10"))]
    book = await lines(pool, loan.loan_id)
    assert (book[1]["paid_principal"], book[1]["rescheduled_principal"]) == (0, D(1000))  # paid through the plan
    assert (book[2]["paid_principal"], book[3]["paid_principal"]) == (D(1000), D(1000))
    await balanced(pool, loan.loan_id)


async def test_paying_only_the_plan_parts_leaves_the_regular_installments_owed(pool: asyncpg.Pool) -> None:
    loan, plan = await under_an_arrears_plan(pool)
    for day, amount in ((date(2026, 3, 18), "348.33"), (date(2026, 4, 18), "348.33"), (date(2026, 5, 18), "348.34")):
        await handle(pool, close(day))
        await handle(pool, pay(loan.loan_id, amount, day))
    # Oldest obligation first: each payment went to the regular installment due before the plan's line.
    book = await lines(pool, loan.loan_id)
    assert sum(row["owed"] for row in book.values()) == D("2090.00")  # two installments' worth never paid
    events = await handle(pool, completed(plan))
    # Completion settles nothing: the loan is overdue on what was not paid, never cured by the plan
    # (penalty accrues on it again from the day after the plan completed).
    assert not any(isinstance(event, LoanCured) for event in events)
    assert sum(row["owed"] for row in (await lines(pool, loan.loan_id)).values()) == D("2090.00")
    await handle(pool, close(date(2026, 5, 19)))
    assert sum(row["owed"] for row in (await lines(pool, loan.loan_id)).values()) == D("2090.10")
    await balanced(pool, loan.loan_id)


async def test_a_broken_plan_is_undone_and_its_waiver_reinstated(pool: asyncpg.Pool) -> None:
    loan, plan = await under_an_arrears_plan(pool)
    await handle(pool, pay(loan.loan_id, "100.00", date(2026, 3, 1)))
    await handle(pool, close(date(2026, 3, 21)))

    events = await handle(
        pool,
        PlanBroken(
            plan_id=plan.plan_id,
            loan_id=loan.loan_id,
            reason=PlanBreakReason.TWO_MISSED,
            business_date=date(2026, 3, 21),
            reinstated_waiver=plan.conditional_waiver,
            unpaid=cny("945.00"),
        ),
    )
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
    await handle(pool, loan)
    await handle(pool, close(date(2026, 2, 16)))  # 1,045.10 overdue (0.10 of penalty)
    await handle(pool, pay(loan.loan_id, "1045.10", date(2026, 2, 17)))  # a day late: 0.11 left
    events = await handle(pool, close(date(2026, 2, 17)))
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
    await handle(pool, pay(loan.loan_id, "1045.00", date(2026, 3, 15)))
    assert (await lines(pool, loan.loan_id))[1]["written_off_principal"] == D("0.11")


async def test_a_payment_value_dated_earlier_makes_the_ledger_restate_the_payments_it_moved(pool: asyncpg.Pool) -> None:
    """What the ledger tells of a payment stays its word only until the ledger applies the loan's
    payments anew: then it restates each (DESIGN.md §3a: tracking judges from the ledger)."""
    loan, _ = await under_an_arrears_plan(pool)
    later = pay(loan.loan_id, "1393.33", date(2026, 3, 18))  # March's month: installment 2 and the plan's line
    [first] = [e for e in await handle(pool, later) if isinstance(e, RepaymentApplied)]
    assert [(c.line.sequence, c.line.plan_id is None, c.left) for c in first.covered] == [
        (2, True, cny("0.00")),
        (1, False, cny("0.00")),
    ]
    earlier = pay(loan.loan_id, "100.00", date(2026, 3, 1))
    restated = {e.payment_id: e for e in await handle(pool, earlier) if isinstance(e, RepaymentApplied)}
    assert set(restated) == {earlier.payment_id, later.payment_id}
    # The 100.00 of 1 March went to installment 2 first; March's payment now runs on into the next line.
    moved = restated[later.payment_id].covered
    assert [(c.line.sequence, c.line.plan_id is None) for c in moved] == [(2, True), (1, False), (3, True)]
    assert moved[2].left == cny("945.00")
    assert [c.left for c in restated[earlier.payment_id].covered] == [cny("945.00")]
    # Told once: the same restatement is not told again when nothing changed.
    assert not [e for e in await handle(pool, close(date(2026, 3, 20))) if isinstance(e, RepaymentApplied)]
