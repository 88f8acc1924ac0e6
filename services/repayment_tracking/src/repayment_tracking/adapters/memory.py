"""Plans in memory: the fake of the Plans port for unit tests, with the semantics of
adapters/plans.py (the contract suite tests/contract/test_plans.py runs both)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from repayment_tracking.application.ports import ActivePlan
from repayment_tracking.domain.plan_rules import ZERO, Line, LineRef, Month, PlanBook, Report, Rules
from repayment_tracking.domain.statuses import PlanStatus
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated


@dataclass
class StoredPlan:
    """One row of `plans`, its months and what their lines still owe (`left_now`, `paid`)."""

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    currency: str
    activated_on: date
    conditional_waiver: WaivedAmounts
    effect: str
    basis_date: date | None
    months: tuple[Month, ...]
    status: str = PlanStatus.ACTIVE
    closed_through: date | None = None
    ended_on: date | None = None
    missed_on: dict[int, date] = field(default_factory=dict)
    left_now: dict[LineRef, Decimal] = field(default_factory=dict)
    paid: dict[LineRef, Decimal] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)

    @property
    def judged(self) -> date:
        """The last day judged (the day before activation when none was)."""
        return self.closed_through or self.activated_on - timedelta(days=1)

    def active(self) -> ActivePlan:
        return ActivePlan(
            self.plan_id, self.loan_id, self.currency, self.conditional_waiver, self.activated_on, self.closed_through
        )


@dataclass(frozen=True)
class StoredPayment:
    plan_id: uuid.UUID
    amount: Decimal
    value_date: date


class MemoryPlans:
    def __init__(self) -> None:
        self.plans: dict[uuid.UUID, StoredPlan] = {}
        self.payments: dict[str, StoredPayment] = {}
        self.early: dict[tuple[uuid.UUID, str], tuple[int, RepaymentApplied]] = {}
        self.told: date | None = None
        self._kept = itertools.count(1)

    async def add(self, plan: PlanActivated, months: Sequence[Month]) -> bool:
        if plan.plan_id in self.plans:
            return False
        if any(other.loan_id == plan.loan_id and other.status == PlanStatus.ACTIVE for other in self.plans.values()):
            raise ValueError(f"loan {plan.loan_id} has an active plan already")  # the unique index one_active_plan_per_loan
        lines = [line for month in months for line in month.lines]
        self.plans[plan.plan_id] = StoredPlan(
            plan.plan_id,
            plan.loan_id,
            plan.total_payable.currency,
            plan.activated_on,
            plan.conditional_waiver,
            plan.plan_effect.value,
            plan.basis_business_date,
            tuple(months),
            left_now={line.ref: line.amount for line in lines},
            paid=dict.fromkeys((line.ref for line in lines), ZERO),
        )
        return True

    async def active_for_loans(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ActivePlan]:
        return {
            plan.loan_id: plan.active()
            for plan in self._sorted()
            if plan.loan_id in loan_ids and plan.status == PlanStatus.ACTIVE
        }

    async def known(self, plan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        return {plan_id for plan_id in plan_ids if plan_id in self.plans}

    async def keep_early(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> None:
        for plan_id, payment in payments:
            self.early.setdefault((plan_id, payment.payment_id), (next(self._kept), payment))

    async def take_early(self, plan_id: uuid.UUID) -> list[RepaymentApplied]:
        taken = sorted((kept, key) for key, (kept, _) in self.early.items() if key[0] == plan_id)
        return [self.early.pop(key)[1] for _, key in taken]

    async def plans_to_judge(self, business_date: date, rules: Rules, since: date | None = None) -> list[ActivePlan]:
        """The same selection as the Postgres adapter's (its docstring says why these)."""
        return [
            plan.active()
            for plan in self._sorted()
            if plan.status == PlanStatus.ACTIVE and plan.judged < business_date and _may_change(plan, business_date, rules, since)
        ]

    async def tell_close(self, business_date: date) -> date | None:
        before, self.told = self.told, max(self.told or business_date, business_date)
        return before + timedelta(days=1) if before is not None and before < business_date else None

    async def books(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PlanBook]:
        return {plan_id: self._book(plan_id) for plan_id in plan_ids}

    async def forget_reports(self, payments: Sequence[tuple[uuid.UUID, str]]) -> None:
        for plan_id, payment_id in payments:
            if plan_id in self.plans:
                plan = self.plans[plan_id]
                plan.reports = [report for report in plan.reports if report.payment_id != payment_id]

    async def record_payments(self, payments: Sequence[tuple[uuid.UUID, RepaymentApplied]]) -> set[str]:
        new: set[str] = set()
        for plan_id, payment in payments:
            if payment.payment_id not in self.payments:
                self.payments[payment.payment_id] = StoredPayment(plan_id, payment.amount.amount, payment.value_date)
                new.add(payment.payment_id)
        return new

    async def record_reports(self, reports: Mapping[uuid.UUID, Sequence[Report]]) -> None:
        for plan_id, plan_reports in reports.items():
            plan = self.plans[plan_id]
            taken = {report.arrival for report in plan.reports}
            if any(report.arrival in taken for report in plan_reports):
                raise ValueError(f"plan {plan_id}: an arrival reported twice")  # the primary key (plan_id, arrival)
            plan.reports.extend(plan_reports)

    async def set_lines(self, books: Mapping[uuid.UUID, PlanBook], touched: Mapping[uuid.UUID, Collection[LineRef]]) -> None:
        for plan_id, refs in touched.items():
            left, paid = books[plan_id].left_on(date.max), books[plan_id].paid_on_lines()
            plan = self.plans.get(plan_id)
            for ref in refs:
                if plan is not None and ref in plan.left_now:
                    plan.left_now[ref], plan.paid[ref] = left[ref], paid[ref]

    async def mark_missed(self, missed: Mapping[uuid.UUID, Mapping[int, date]]) -> None:
        for plan_id, by_sequence in missed.items():
            plan = self.plans.get(plan_id)
            for sequence, day in by_sequence.items():
                if plan is not None and any(month.sequence == sequence for month in plan.months):
                    plan.missed_on[sequence] = day

    async def end(self, ended: Mapping[uuid.UUID, date], status: str) -> None:
        for plan_id, day in ended.items():
            if plan_id in self.plans:
                self.plans[plan_id].status, self.plans[plan_id].ended_on = status, day

    async def close_for_loan(self, loan_id: uuid.UUID, closed_on: date) -> None:
        for plan in self.plans.values():
            if plan.loan_id == loan_id and plan.status == PlanStatus.ACTIVE:
                plan.status, plan.ended_on = PlanStatus.CLOSED, closed_on

    async def close_all(self, business_date: date) -> None:
        for plan in self.plans.values():
            if plan.status == PlanStatus.ACTIVE and plan.judged < business_date:
                plan.closed_through = business_date

    def _sorted(self) -> list[StoredPlan]:
        return [self.plans[plan_id] for plan_id in sorted(self.plans)]

    def _book(self, plan_id: uuid.UUID) -> PlanBook:
        plan = self.plans.get(plan_id)
        if plan is None:
            return PlanBook(())
        months = tuple(
            Month(month.sequence, month.due_date, month.plan_line, tuple(sorted(month.regular, key=_by_due_date)))
            for month in sorted(plan.months, key=lambda month: month.sequence)
        )
        return PlanBook(months, tuple(plan.reports), frozenset(plan.missed_on))


def _by_due_date(line: Line) -> tuple[date, int]:
    return line.due_date, line.ref.sequence


def _may_change(plan: StoredPlan, business_date: date, rules: Rules, since: date | None) -> bool:
    """Whether something may happen in `plan` by `business_date`, judged on its lines as they
    stand now: a month past its grace and short beyond the tolerance (a miss, or 30 days unpaid),
    a month to remind of, a month falling due within the tolerance, or a report value-dated after
    the last day judged."""
    for month in plan.months:
        short = sum((plan.left_now[line.ref] for line in month.lines), start=ZERO)
        tolerance, due = rules.tolerance(month.total), month.due_date
        missed = month.sequence in plan.missed_on
        if (
            due + timedelta(days=rules.grace_days) < business_date
            and short > tolerance
            and (not missed or due + timedelta(days=rules.unpaid_days_to_break) <= business_date)
        ):
            return True
        first = since or business_date
        reminded = any(first <= due - timedelta(days=before) <= business_date for before in rules.reminder_days)
        if due > business_date and short > 0 and reminded:
            return True
        if plan.judged < due <= business_date and short <= tolerance:
            return True
    return any(report.value_date > plan.judged for report in plan.reports)
