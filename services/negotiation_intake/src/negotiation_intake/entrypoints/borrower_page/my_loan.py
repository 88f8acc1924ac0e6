"""*My loan* (issue 21): what is overdue by component and in all, the days overdue, the next due
date, what happens if nothing is paid and when, and how and where to pay.

The figures are exactly the console's loan page's (console/loan_summary.py `overdue_figures`):
overdue-detection's, the book of record, asked through console/upstream.py; only when it does
not answer, intake's copy of the last status event, said to be a copy as of its business date.
What happens if nothing is paid is domain/if_unpaid.py's; how to pay is what the written plan
states (tideover_contracts.policy.HOW_TO_PAY, TIDEOVER_PAYMENT_INSTRUCTIONS)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from negotiation_intake.domain.application import LoanView
from negotiation_intake.domain.if_unpaid import NextStage, next_due, next_stage, penalty_per_day
from negotiation_intake.domain.statuses import PlanStatus
from negotiation_intake.entrypoints.console.loan_summary import OverdueFigures, overdue_figures
from tideover_contracts.common import Language

#: overdue-detection's status of a loan it follows no more (paid off, written off, sold).
CLOSED = "closed"
UNDER_PLAN = "under_plan"


@dataclass(frozen=True)
class MyLoan:
    """What *My loan* shows (money as the wire writes it: {"amount", "currency"})."""

    loan_id: uuid.UUID
    figures: OverdueFigures
    overdue: bool
    closed: bool
    under_plan: bool
    #: The next installment not yet overdue: its due date and what it asks.
    next_due: tuple[date, dict[str, str]] | None
    #: The penalty rate a year where known (the copy has none when the jurisdiction's cap binds).
    penalty_rate: Decimal | None
    penalty_base: dict[str, str] | None
    penalty_per_day: dict[str, str] | None
    next_stage: NextStage | None
    how_to_pay: str


def my_loan(loan: LoanView, live: dict[str, Any] | None, how_to_pay: Mapping[Language, str], language: Language) -> MyLoan:
    """*My loan* from overdue-detection's answer (`live`, None when it did not answer) or intake's copy."""
    figures = overdue_figures(live, loan.snapshot)
    facts = _ledger_facts(live) if figures.live and live else _copy_facts(loan)
    currency = (figures.total or {}).get("currency") or _currency(loan.snapshot)
    as_of = date.fromisoformat(figures.as_of) if figures.as_of else None
    overdue = bool(facts["overdue"]) and not facts["closed"]
    pressing = overdue and not facts["under_plan"]
    base = _principal_and_interest(figures) if pressing else None
    rate: Decimal | None = facts["penalty_rate"]
    following = next_due(facts["schedule"], as_of) if as_of and not facts["closed"] else None
    return MyLoan(
        loan_id=loan.loan_id,
        figures=figures,
        overdue=overdue,
        closed=bool(facts["closed"]),
        under_plan=bool(facts["under_plan"]) and not facts["closed"],
        next_due=(following[0], _money(following[1], currency)) if following else None,
        penalty_rate=rate,
        penalty_base=_money(base, currency) if base is not None else None,
        penalty_per_day=_money(penalty_per_day(base, rate), currency) if base and rate else None,
        next_stage=next_stage(figures.days_past_due or 0, as_of) if pressing and as_of else None,
        how_to_pay=how_to_pay[language],
    )


def _ledger_facts(live: dict[str, Any]) -> dict[str, Any]:
    status = live.get("status")
    return {
        "overdue": bool(live.get("overdue")),
        "closed": status == CLOSED,
        "under_plan": status == UNDER_PLAN,
        "penalty_rate": Decimal(live["penalty_rate"]) if live.get("penalty_rate") else None,
        "schedule": [
            (date.fromisoformat(item["due_date"]), Decimal(item["outstanding"]["amount"]))
            for item in live.get("remaining_schedule") or []
        ],
    }


def _copy_facts(loan: LoanView) -> dict[str, Any]:
    """What intake's copy says: overdue as intake last heard; a cured loan's copy keeps the last
    overdue figures, so it is not overdue whatever they say."""
    snapshot = loan.snapshot
    capped = bool(snapshot.get("charges_cap_applied"))
    return {
        "overdue": loan.overdue,
        "closed": False,
        "under_plan": bool(snapshot.get("under_plan")) or loan.plan_status == PlanStatus.ACTIVE,
        # Where the cap binds, the rate charged is the cap's, which intake does not know.
        "penalty_rate": Decimal(snapshot["overdue_rate"]) if snapshot.get("overdue_rate") and not capped else None,
        "schedule": [
            (date.fromisoformat(item["installment"]["due_date"]), Decimal(item["outstanding"]["amount"]))
            for item in snapshot.get("remaining_schedule") or []
        ],
    }


def _principal_and_interest(figures: OverdueFigures) -> Decimal:
    """What penalty interest accrues on: the overdue principal and interest (never fees or penalty)."""
    return sum((Decimal(part["amount"]) for name in ("principal", "interest") if (part := figures.components[name])), Decimal(0))


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def _currency(snapshot: dict[str, Any]) -> str:
    principal = snapshot.get("outstanding_principal")
    return principal["currency"] if isinstance(principal, dict) else "CNY"
