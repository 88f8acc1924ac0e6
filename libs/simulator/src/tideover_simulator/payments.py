"""What the simulated borrowers pay each day: by their payer profile, and once a plan is active
by their plan profile (DESIGN.md §3a)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

import httpx

from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.money import Money
from tideover_simulator.book import Borrower, Keeper, Payer
from tideover_simulator.observer import Observer, Standing
from tideover_simulator.scenario import at
from tideover_simulator.tally import Tally

CENT = Decimal("0.01")
#: How late a borrower who misses a plan installment once pays it.
MISSES_ONCE_LATE = 12


async def payments_on(
    day: date, book: Sequence[Borrower], observer: Observer, overdue: httpx.AsyncClient, tally: Tally
) -> list[RepaymentReceived]:
    """The book's payments received on `day` (02:00 UTC), added to what `tally` counts as paid
    and, for loans overdue or under a running plan, as recovered."""
    payments = []
    for borrower in book:
        standing = observer.standing[borrower.loan_id]
        amount = await due_from(borrower, standing, day, overdue)
        if amount > 0:
            payments.append(
                RepaymentReceived(
                    loan_id=borrower.loan_id,
                    payment_id=f"SIM-{borrower.loan_id}-{day.isoformat()}",
                    amount=Money.of(amount, "CNY"),
                    received_at=at(day, 2),
                    value_date=day,
                )
            )
            tally.paid += amount
            if standing.bucket or (standing.plan is not None and standing.plan_ended is None):
                tally.recovered += amount
    return payments


async def due_from(borrower: Borrower, standing: Standing, day: date, overdue: httpx.AsyncClient) -> Decimal:
    """What `borrower` pays on `day`, by their profile and what the services told them."""
    plan = standing.plan
    if plan is not None:
        if standing.plan_ended == "broken" or borrower.keeper == Keeper.BREAKS:
            return Decimal(0)  # neither the plan nor the loan's installments
        under_plan = Decimal(0) if standing.plan_ended == "completed" else _plan_payment(borrower.keeper, plan, day)
        return under_plan + _installments_after(borrower, plan, day)
    if borrower.payer == Payer.LATE:
        late = any(i.due_date + timedelta(days=borrower.days_late) == day for i in borrower.loan.installments)
        return await _everything_overdue(overdue, borrower.loan) if late else Decimal(0)
    return _installments_paid(borrower, day)


def _installments_paid(borrower: Borrower, day: date) -> Decimal:
    """What a borrower who is not late and has no plan pays of the loan's installments falling due on `day`."""
    due_today = [i for i in borrower.loan.installments if i.due_date == day]
    if borrower.payer == Payer.PARTIAL:
        return sum(((i.total.amount / 2).quantize(CENT, ROUND_HALF_EVEN) for i in due_today), start=Decimal(0))
    if borrower.payer == Payer.STOPS:
        due_today = [i for i in due_today if i.sequence <= borrower.pays_first]
    return sum((i.total.amount for i in due_today), start=Decimal(0))


def _plan_payment(keeper: Keeper, plan: PlanActivated, day: date) -> Decimal:
    """What of a plan's months the borrower pays on `day`, as their plan profile says: each
    month's total on its due date; the first month's total MISSES_ONCE_LATE days late (missed
    after the grace, paid before the plan breaks); or nothing at all."""
    if keeper == Keeper.BREAKS:
        return Decimal(0)
    first, *rest = plan.months()  # each month as the written plan states it (DESIGN.md §3a)
    if keeper == Keeper.MISSES_ONCE and first.line.due_date + timedelta(days=MISSES_ONCE_LATE) == day:
        return first.total.amount
    on_time = rest if keeper == Keeper.MISSES_ONCE else [first, *rest]
    return sum((month.total.amount for month in on_time if month.line.due_date == day), start=Decimal(0))


def _installments_after(borrower: Borrower, plan: PlanActivated, day: date) -> Decimal:
    """The loan's regular installments due on `day` after the plan's last month, which a borrower
    who did not break the plan keeps up with (on time); those the plan re-dated, replaced or
    asked for in its months are not paid again."""
    last = plan.schedule[-1].due_date
    taken = {*plan.replaced_installments, *(c.sequence for c in plan.continuing_installments)}
    due = (i for i in borrower.loan.installments if i.due_date == day and i.due_date > last and i.sequence not in taken)
    return sum((i.total.amount for i in due), start=Decimal(0))


async def _everything_overdue(overdue: httpx.AsyncClient, loan: LoanBooked) -> Decimal:
    """What the overdue-status API says is overdue, rounded up to the yuan and one more: the
    penalty of the day of payment is not in yesterday's figure (the rest is credit)."""
    response = await overdue.get(f"/v1/loans/{loan.loan_id}/overdue-status")
    response.raise_for_status()
    status = response.json()
    if not status["overdue"]:
        return Decimal(0)
    total = sum((Decimal(part["amount"]) for part in status["overdue_amounts"].values()), start=Decimal(0))
    return total.quantize(Decimal(1), ROUND_CEILING) + 1
