"""The loan page's plan section, rendered from what repayment tracking's API answers: the
latest plan with its progress, the earlier ones (a broken plan before a new one) listed below it,
newest first."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any

from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events, ledger_position


def _plan(status: str, activated_on: str, ended_on: str | None, paid: int, installments: int) -> dict[str, Any]:
    """A plan as GET /v1/loans/{id}/plans on repayment tracking gives it."""

    def money(amount: str) -> dict[str, str]:
        return {"amount": amount, "currency": "CNY"}

    return {
        "plan_id": str(uuid.uuid4()),
        "status": status,
        "activated_on": activated_on,
        "ended_on": ended_on,
        "installments": [
            {
                "sequence": n + 1,
                "due_date": f"2026-{n + 4:02d}-15",
                "amount": money("348.33"),
                "paid": money("348.33" if n < paid else "0.00"),
                "status": "paid" if n < paid else "due",
                "missed_on": None,
            }
            for n in range(installments)
        ],
    }


def render(plans: list[dict[str, Any]] | None) -> str:
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    loan = SimpleNamespace(loan_id=overdue.loan_id, borrower_id="B-000123", overdue=True, plan_status="active")
    return TEMPLATES.get_template("loan.html").render(
        t=Words("en"),
        lang="en",
        base=PREFIX,
        agent=None,
        may_work=False,
        may_approve=False,
        may_audit=False,
        csrf="token",
        here="/",
        flash=None,
        loan=loan,
        snapshot=overdue.model_dump(mode="json"),
        applications=[],
        upstream={"overdue": None, "contacts": None, "plans": {"plans": plans}},
        plans=plans,
        reasons=[],
        errors={},
        values={},
    )


def earlier_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-plan="([0-9a-f-]+)">', html)


def test_one_plan_shows_no_earlier_plans() -> None:
    html = render([_plan("active", "2026-03-16", None, 1, 3)])
    assert "1 of 3 installments paid" in html
    assert "Earlier plans" not in html


def test_a_new_plan_after_broken_ones_lists_them_newest_first() -> None:
    first = _plan("broken", "2026-01-10", "2026-03-01", 0, 3)
    second = _plan("broken", "2026-03-20", "2026-05-20", 1, 6)
    latest = _plan("active", "2026-06-02", None, 2, 6)
    html = render([first, second, latest])
    assert "2 of 6 installments paid" in html  # the latest plan's progress
    assert "Earlier plans" in html
    assert earlier_rows(html) == [second["plan_id"], first["plan_id"]]
    assert "1 / 6" in html
    assert "0 / 3" in html


def test_no_plans_and_tracking_not_answering_say_so() -> None:
    assert "No plan." in render([])
    assert "not available" in render(None).lower()


def _status_line(overdue: bool, plan_status: str | None, snapshot: dict[str, Any]) -> str:
    loan = SimpleNamespace(loan_id=uuid.uuid4(), borrower_id="B-000123", overdue=overdue, plan_status=plan_status)
    return TEMPLATES.get_template("loan.html").render(
        t=Words("en"),
        lang="en",
        base=PREFIX,
        agent=None,
        may_work=False,
        may_approve=False,
        may_audit=False,
        csrf="token",
        here="/",
        flash=None,
        loan=loan,
        snapshot=snapshot,
        applications=[],
        upstream={"overdue": None, "contacts": None, "plans": None},
        plans=None,
        reasons=[],
        errors={},
        values={},
    )


def test_a_loan_known_from_an_early_application_says_nothing_is_overdue_yet() -> None:
    """A loan intake knows only from the ledger's position (early hardship) was never overdue:
    not "cured"; under an early plan it is under a plan."""
    position = ledger_position().model_dump(mode="json")
    assert "Nothing overdue yet (early application)" in _status_line(False, None, position)
    assert "Under a plan" in _status_line(False, "active", position)
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue)).model_dump(mode="json")
    assert "Cured" in _status_line(False, "completed", overdue)
