"""*My plan* (issue 21): the written plan to confirm with the code (or confirmed), then the plan's
progress: the months paid, the next one, what is left.

- The written plan is the one the borrower was sent: application/written_plan.py `written_plan`
  of the application's current offer and chosen option, as `send` builds PlanSentToBorrower; its
  months by the contracts' one rule (`WrittenPlan.months()`: for an arrears plan, the regular
  installments due beside each plan installment and their sum). It states every term
  notification's written plan states (templates/written_plan): the plan's rules are the policy's
  (tideover_contracts.policy.PlanRules, TIDEOVER_PLAN_*, those repayment-tracking judges by), how
  to pay is the lender's (TIDEOVER_PAYMENT_INSTRUCTIONS), the code's validity the application's.
- Progress is repayment-tracking's, the book of record for plan months (DESIGN.md §3a), asked as
  the console's loan page asks it (console/upstream.py): each month's amount, what was paid and
  what is left on it and its status, as it judges them. The months paid, the next month to pay
  and what is left in all are read off those months, never recomputed. When it does not answer,
  intake's copy tells only the plan's status.
- Which one: the application whose written plan was sent (one open at a time); else the latest
  accepted one, until a plan activated since it was opened is heard of; else the loan's latest plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from negotiation_intake.application.borrower_help import BORROWER_PAGE
from negotiation_intake.application.written_plan import written_plan
from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.application_state import CODE_TRIES, CODE_VALID_HOURS, State
from negotiation_intake.domain.statuses import PlanStatus
from negotiation_intake.entrypoints.console.i18n import DEFAULT_TIME_ZONE
from negotiation_intake.entrypoints.console.loan_summary import OverdueFigures, borrower_time_zone, overdue_figures
from tideover_contracts.common import Language, PlanMonth
from tideover_contracts.events.negotiation import PlanEffect, WrittenPlan
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.money import Money
from tideover_contracts.policy import PlanRules

#: The states of an application whose written plan the borrower has: sent to confirm, or confirmed.
WRITTEN = (State.SENT, State.ACCEPTED)
#: repayment-tracking's status of a plan that ended with its loan (its domain/statuses.py), beside
#: those intake hears of too (domain/statuses.py PlanStatus).
PLAN_CLOSED = "closed"
#: repayment-tracking's status of a month met (its domain/plan_rules.py MonthStatus), and of one
#: announced missed and still short beyond the tolerance.
MONTH_PAID, MONTH_MISSED = "paid", "missed"
#: A business date may be a day behind the date of a moment of it (a lender west of Greenwich): a
#: plan activated that day before is still the accepted application's. A plan before it ended long
#: before: one plan and one application at a time, and a plan breaks a month after a due date at
#: the earliest.
ACTIVATION_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class PlanTerms:
    """The terms the written plan states that the plan itself does not carry."""

    rules: PlanRules
    how_to_pay: Mapping[Language, str]


@dataclass(frozen=True)
class WrittenPlanView:
    """The written plan as the borrower was sent it, to confirm (`accepted` False) or confirmed."""

    application_id: uuid.UUID
    loan_id: uuid.UUID
    plan: WrittenPlan
    months: tuple[PlanMonth, ...]
    accepted: bool
    code_expires_at: datetime | None
    time_zone: str
    rules: PlanRules
    how_to_pay: str
    code_valid_hours: int = CODE_VALID_HOURS
    code_tries: int = CODE_TRIES
    #: Chosen by the borrower on this page (application/borrower_options.py), not with an agent.
    chosen_here: bool = False

    @property
    def arrears(self) -> bool:
        return self.plan.plan_effect is PlanEffect.ARREARS

    @property
    def total_with_regular(self) -> Money:
        """What the borrower pays during the plan: every month's total, regular installments included."""
        return sum((month.total for month in self.months[1:]), start=self.months[0].total)

    @property
    def regular_total(self) -> Money:
        """The regular installments due beside the plan's (an arrears plan's; none otherwise)."""
        regular = (item.amount for month in self.months for item in month.continuing)
        return sum(regular, start=Money.zero(self.plan.total_payable.currency))

    @property
    def tolerance_floor(self) -> Money:
        return Money.rounded(self.rules.tolerance_floor, self.plan.total_payable.currency)

    @property
    def reinstated_on_break(self) -> Money | None:
        """The waiver a break makes payable again: one given on condition of the plan."""
        return reinstated(self.plan)


@dataclass(frozen=True)
class Progress:
    """The plan as repayment-tracking reports it (`months` its months, wire amounts), or only its
    status as intake last heard (`available` False)."""

    status: str
    available: bool
    months: tuple[dict[str, Any], ...] = ()
    activated_on: date | None = None
    ended_on: date | None = None
    judged_through: date | None = None
    paid: dict[str, str] | None = None
    #: The written plan it came from, where known (what is waived and on what condition).
    written: WrittenPlan | None = None
    #: overdue-detection's figures now: what a broken plan leaves overdue.
    overdue: OverdueFigures | None = None

    @property
    def months_paid(self) -> int:
        return sum(1 for month in self.months if month["status"] == MONTH_PAID)

    @property
    def next_month(self) -> dict[str, Any] | None:
        """The first month not paid: its due date, its amount and what is left on it."""
        return next((month for month in self.months if month["status"] != MONTH_PAID), None)

    @property
    def missed(self) -> tuple[dict[str, Any], ...]:
        return tuple(month for month in self.months if month["status"] == MONTH_MISSED)

    @property
    def left(self) -> dict[str, str] | None:
        """What is left to pay on the plan's months, in all."""
        if not self.months:
            return None
        left = sum((Decimal(month["left"]["amount"]) for month in self.months), Decimal(0))
        return {"amount": str(left), "currency": self.months[0]["left"]["currency"]}

    @property
    def reinstated(self) -> Money | None:
        """The waiver a break made payable again, where the written plan is known."""
        return reinstated(self.written) if self.written else None


@dataclass(frozen=True)
class MyPlan:
    """What *My plan* shows: a written plan, or a plan's progress, or neither (nothing yet)."""

    written: WrittenPlanView | None = None
    progress: Progress | None = None


def reinstated(plan: WrittenPlan) -> Money | None:
    """What a break makes payable again: a waiver given on condition of the plan (DESIGN.md §3a)."""
    return plan.waived.total if plan.waiver_conditional and not plan.waived.total.is_zero else None


def shows_my_plan(loan: LoanView, applications: Sequence[Application]) -> bool:
    """Whether *My plan* has something to show: a written plan sent or confirmed, or a plan."""
    return loan.plan_status is not None or any(application.state in WRITTEN for application in applications)


def written_application(applications: Sequence[Application]) -> Application | None:
    """The loan's latest application whose written plan the borrower has (`applications` oldest first)."""
    return next((application for application in reversed(applications) if application.state in WRITTEN), None)


def asks_tracking(application: Application | None) -> bool:
    """Whether the page needs repayment-tracking: not for a written plan still to confirm."""
    return application is None or application.state is not State.SENT


def my_plan(
    loan: LoanView,
    application: Application | None,
    offer: PlanOffered | None,
    upstream: Mapping[str, Any] | None,
    terms: PlanTerms,
    language: Language,
) -> MyPlan:
    """*My plan* of `loan`: `application` its `written_application` and `offer` that one's current
    offer; `upstream` what console/upstream.py answered (None when not asked)."""
    written = _written(loan, application, offer, terms, language) if application and offer else None
    if application is not None and application.state is State.SENT:
        return MyPlan(written=written)
    plans = (upstream or {}).get("plans")
    tracked = plans.get("plans") if isinstance(plans, dict) else None
    latest = tracked[-1] if tracked else None
    if application is not None and _awaits_activation(application, latest, loan, tracked is not None):
        return MyPlan(written=written)
    if latest is not None:
        figures = overdue_figures((upstream or {}).get("overdue"), loan.snapshot)
        return MyPlan(progress=_progress(latest, written.plan if written else None, figures))
    if loan.plan_status is not None:
        return MyPlan(progress=Progress(status=loan.plan_status, available=False, written=written.plan if written else None))
    return MyPlan()


def _awaits_activation(application: Application, latest: dict[str, Any] | None, loan: LoanView, answered: bool) -> bool:
    """Whether the accepted `application`'s plan is not yet in force: no plan was activated since
    it was opened (as repayment-tracking tells, when it `answered`; else as intake last heard)."""
    if not answered:
        return loan.plan_status is None
    if latest is None:
        return True
    return date.fromisoformat(latest["activated_on"]) < application.created_at.date() - ACTIVATION_SLACK


def _written(
    loan: LoanView, application: Application, offer: PlanOffered, terms: PlanTerms, language: Language
) -> WrittenPlanView | None:
    option = next((option for option in offer.options if option.option_id == application.option_id), None)
    if option is None:
        return None
    plan = written_plan(offer, option)
    return WrittenPlanView(
        application_id=application.application_id,
        loan_id=loan.loan_id,
        plan=plan,
        months=plan.months(),
        accepted=application.state is State.ACCEPTED,
        code_expires_at=application.code_expires_at,
        time_zone=borrower_time_zone(loan.snapshot) or DEFAULT_TIME_ZONE,
        rules=terms.rules,
        how_to_pay=terms.how_to_pay[language],
        chosen_here=application.chosen_by == BORROWER_PAGE,
    )


def _progress(plan: dict[str, Any], written: WrittenPlan | None, figures: OverdueFigures) -> Progress:
    def day(name: str) -> date | None:
        return date.fromisoformat(plan[name]) if plan.get(name) else None

    status = str(plan["status"])
    return Progress(
        status=status,
        available=True,
        months=tuple(plan.get("installments") or ()),
        activated_on=day("activated_on"),
        ended_on=day("ended_on"),
        judged_through=day("judged_through"),
        paid=plan.get("paid"),
        written=written,
        overdue=figures if status == PlanStatus.BROKEN else None,
    )
