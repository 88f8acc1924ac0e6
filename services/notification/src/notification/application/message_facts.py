"""The facts a message states, taken from the event that calls for it.

Amounts stay `Money` and days stay `date` (the templates format them in the borrower's locale);
a datetime stays aware (the templates show it in the borrower's time zone). Each function
returns the facts of one purpose; `facts_for` picks the purpose and the function for an event.
"""

from __future__ import annotations

from datetime import timedelta

from notification.application.ports import LedgerStatus
from notification.application.written_plan import WrittenPlanTerms, compact, month_runs, months_to_pay, percent
from tideover_contracts.common import OverdueAmounts, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.negotiation import BorrowerCodeRequested, PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import (
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueSnapshot,
    OverdueStatusChanged,
)
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import (
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
)
from tideover_contracts.money import Money

Facts = dict[str, object]
DEFAULT_TERMS = WrittenPlanTerms()


class NoMessageForEventError(TypeError):
    """The event calls for no message to the borrower."""


def reminder_facts(event: InstallmentDueSoon | PlanInstallmentDueSoon) -> Facts:
    """Before a loan's installment (pre-due reminder) or a plan's (plan installment reminder)."""
    return {
        "installment_number": event.sequence,
        "due_date": event.due_date,
        "amount_due": event.amount_due,
        "days_before": event.days_before,
    }


def overdue_notice_facts(event: OverdueSnapshot) -> Facts:
    """From LoanBecameOverdue and OverdueStatusChanged alike: the amount and the days overdue."""
    return {
        "days_past_due": event.days_past_due,
        "oldest_due_date": event.oldest_overdue_due_date,
        "as_of": event.business_date,
        **_overdue(event.overdue),
    }


def cured_confirmation_facts(event: LoanCured) -> Facts:
    return {
        "cured_on": event.business_date,
        "cure_reason": event.reason.value,
        "outstanding_principal": event.outstanding_principal,
    }


def written_plan_facts(event: PlanSentToBorrower, terms: WrittenPlanTerms = DEFAULT_TERMS) -> Facts:
    """Every term of the plan the borrower confirms (application/written_plan.py): the plan's
    own, and the rules and payment instructions of `terms`. Its months one by one (`months`), as
    runs (`month_runs`), and as a text that must be short tells them (`compact_runs`). `effect`
    is "arrears" or "reschedule"; `arrears_as_of` and `plan_rate` are None for a plan sent
    before they were carried."""
    plan, rules = event.plan, terms.rules
    months = months_to_pay(plan.months())
    runs = month_runs(months)
    regular_total = sum((month.regular_part for month in months), start=Money.zero(plan.total_payable.currency))
    return {
        **_schedule(plan.schedule),
        "first_due_date": plan.first_due_date,
        "total_payable": plan.total_payable,
        **_waiver("waived", plan.waived),
        "waiver_conditional": plan.waiver_conditional,
        "confirmation_code": event.confirmation_code,
        "code_expires_at": event.code_expires_at,
        "code_valid_hours": (event.code_expires_at - event.sent_at) // timedelta(hours=1),
        "loan_reference": str(event.loan_id),
        "effect": plan.plan_effect.value,
        "arrears_as_of": plan.basis_business_date,
        "months": months,
        "month_runs": runs,
        "compact_runs": compact(runs),
        "first_month_total": months[0].total,
        "regular_total": regular_total,
        "total_with_regular": plan.total_payable + regular_total,
        "plan_rate": None if plan.plan_rate is None else percent(plan.plan_rate, places=2),
        "how_to_pay": terms.how_to_pay,
        "grace_days": rules.grace_days,
        "tolerance_floor": Money.of(rules.tolerance_floor, plan.total_payable.currency),
        "tolerance_percent": percent(rules.tolerance_share),
        "misses_to_break": rules.misses_to_break,
        "unpaid_days_to_break": rules.unpaid_days_to_break,
    }


def change_code_facts(event: BorrowerCodeRequested) -> Facts:
    """The code the borrower asked for on their page, what it confirms and how long it holds."""
    return {
        "confirmation_code": event.confirmation_code,
        "code_expires_at": event.code_expires_at,
        "code_valid_minutes": max(1, (event.code_expires_at - event.requested_at) // timedelta(minutes=1)),
        "change": event.change,
    }


def plan_activated_facts(event: PlanActivated) -> Facts:
    """The waiver of an active plan is conditional by definition: a broken plan reinstates it."""
    return {
        "activated_on": event.activated_on,
        **_schedule(event.schedule),
        "first_due_date": event.schedule[0].due_date,
        "total_payable": event.total_payable,
        **_waiver("waived", event.conditional_waiver),
    }


def plan_installment_missed_facts(event: PlanInstallmentMissed) -> Facts:
    return {
        "installment_number": event.sequence,
        "due_date": event.due_date,
        "amount_unpaid": event.shortfall,
        "days_late": (event.business_date - event.due_date).days,
        "missed_count": event.missed_count,
        "as_of": event.business_date,
    }


def plan_broken_facts(event: PlanBroken, ledger: LedgerStatus | None = None) -> Facts:
    """The days past due and the overdue total are the ledger's after the break (DESIGN.md §3a: a
    number a borrower is told equals the number in the book of record): PlanBroken carries
    neither; the message states them only when they are known."""
    return {
        "broken_on": event.business_date,
        "break_reason": event.reason.value,
        "amount_unpaid": event.unpaid,
        "days_past_due": ledger.days_past_due if ledger else None,
        "overdue_total": ledger.overdue_total if ledger else None,
        **_waiver("reinstated", event.reinstated_waiver),
    }


def plan_completed_facts(event: PlanCompleted) -> Facts:
    return {
        "completed_on": event.completed_on,
        "total_paid": event.total_paid,
        **_waiver("waived", event.final_waiver),
    }


#: The refusal code of a confirmed plan quoted again instead (the loan changed materially since
#: the offer, DESIGN.md §3a): the borrower is to confirm the updated plan an agent sends.
REQUOTED = "requoted"


def plan_refused_facts(event: PlanRejected | PlanOffered) -> Facts:
    """The plan the borrower confirmed is not in force: its acceptance was refused (PlanRejected,
    with plan-calculation's reason codes) or it was quoted again (PlanOffered superseding it).
    The templates explain each code and what comes next; any other code reads as "contact us"."""
    if isinstance(event, PlanOffered):
        return {"refusals": [REQUOTED]}
    return {"refusals": [reason.code for reason in event.reasons]}


def loan_assigned_facts(event: LoanClosed) -> Facts:
    return {"assigned_on": event.closed_on, "assignee": event.assignee}


#: The message each event calls for.
PURPOSES: dict[type[Event], Purpose] = {
    InstallmentDueSoon: Purpose.PRE_DUE_REMINDER,
    LoanBecameOverdue: Purpose.OVERDUE_NOTICE,
    OverdueStatusChanged: Purpose.OVERDUE_NOTICE,
    LoanCured: Purpose.CURED_CONFIRMATION,
    PlanSentToBorrower: Purpose.WRITTEN_PLAN,
    PlanActivated: Purpose.PLAN_ACTIVATED,
    PlanInstallmentDueSoon: Purpose.PLAN_INSTALLMENT_REMINDER,
    PlanInstallmentMissed: Purpose.PLAN_INSTALLMENT_MISSED,
    PlanBroken: Purpose.PLAN_BROKEN,
    PlanCompleted: Purpose.PLAN_COMPLETED,
    PlanRejected: Purpose.PLAN_REFUSED,
    PlanOffered: Purpose.PLAN_REFUSED,
    LoanClosed: Purpose.LOAN_ASSIGNED,
    BorrowerCodeRequested: Purpose.CHANGE_CODE,
}


def purpose_of(event: Event) -> Purpose:
    """The purpose of the message `event` calls for; NoMessageForEventError if none. Of the
    rejections, only an acceptance refused is told (an application without a plan is the agent's
    to explain); of the offers, only one that replaces a confirmed plan (the first offer reaches
    the borrower as the written plan the agent sends); of the closures, only a sale (the borrower
    must know whom to pay)."""
    purpose = PURPOSES.get(type(event))
    if isinstance(event, PlanRejected) and event.offer_id is None:
        purpose = None
    if isinstance(event, PlanOffered) and event.supersedes_offer_id is None:
        purpose = None
    if isinstance(event, LoanClosed) and event.reason is not LoanClosureReason.SOLD:
        purpose = None
    if purpose is None:
        raise NoMessageForEventError(f"{event.event_type} calls for no message to the borrower")
    return purpose


def facts_for(
    event: Event, *, ledger: LedgerStatus | None = None, terms: WrittenPlanTerms = DEFAULT_TERMS
) -> tuple[Purpose, Facts]:
    """The purpose of the message `event` calls for, and its facts.

    `ledger` is used only for PlanBroken (see `plan_broken_facts`), `terms` only for the written
    plan (see `written_plan_facts`). Raises NoMessageForEventError for an event that calls for
    no message.
    """
    purpose = purpose_of(event)
    match event:
        case InstallmentDueSoon() | PlanInstallmentDueSoon():
            facts = reminder_facts(event)
        case LoanBecameOverdue() | OverdueStatusChanged():
            facts = overdue_notice_facts(event)
        case LoanCured():
            facts = cured_confirmation_facts(event)
        case PlanSentToBorrower():
            facts = written_plan_facts(event, terms)
        case PlanActivated():
            facts = plan_activated_facts(event)
        case PlanInstallmentMissed():
            facts = plan_installment_missed_facts(event)
        case PlanBroken():
            facts = plan_broken_facts(event, ledger)
        case PlanRejected() | PlanOffered():
            facts = plan_refused_facts(event)
        case LoanClosed():
            facts = loan_assigned_facts(event)
        case BorrowerCodeRequested():
            facts = change_code_facts(event)
        case _:
            assert isinstance(event, PlanCompleted)
            facts = plan_completed_facts(event)
    return purpose, facts


def _overdue(amounts: OverdueAmounts) -> Facts:
    return {
        "overdue_total": amounts.total,
        "overdue_principal": amounts.principal,
        "overdue_interest": amounts.interest,
        "overdue_fee": amounts.fee,
        "overdue_penalty": amounts.penalty,
    }


def _schedule(lines: tuple[PlanInstallmentLine, ...]) -> Facts:
    return {
        "schedule": lines,
        "installment_count": len(lines),
        "first_amount": lines[0].total,
        "last_due_date": lines[-1].due_date,
    }


def _waiver(prefix: str, waived: WaivedAmounts) -> Facts:
    return {
        f"{prefix}_total": waived.total,
        f"{prefix}_penalty": waived.penalty,
        f"{prefix}_interest": waived.interest,
        f"{prefix}_fee": waived.fee,
    }
