"""The application page tells the agent when the plan the borrower confirmed was not put in
force: refused (with plan-calculation's reasons, and what to do next) or quoted again (the new
offer says so)."""

from __future__ import annotations

import uuid
from typing import Any

from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.pages import offer_view
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.events.plans import PlanOffered, PlanRejected, RejectionReason
from tideover_contracts.examples import OFFER_ID, golden_events


def application(state: str, rejection: dict[str, Any] | None = None) -> dict[str, Any]:
    money = {"amount": "9000.00", "currency": "CNY"}
    return {
        "application_id": str(uuid.uuid4()), "loan_id": str(uuid.uuid4()), "state": state, "reason": "unemployment",
        "description": "Laid off", "monthly_income": money, "essential_expenses": money, "requested_options": [],
        "agent_id": "agent-1", "version": 3, "offer_id": None, "option_id": None, "needs_supervisor": False,
        "approved_by": None, "approval_note": None, "code_tries_left": None, "rejection": rejection,
    }  # fmt: skip


def render(app: dict[str, Any], offer: PlanOffered | None, lang: str = "en") -> str:
    return TEMPLATES.get_template("application.html").render(
        t=Words(lang), lang=lang, base=PREFIX, agent=None, may_work=False, may_approve=False, may_audit=False,
        csrf="token", here="/", flash=None, application=app, documents=[], offer=offer_view(offer) if offer else None,
        kinds=[], errors={}, values={}, waiting=False,
    )  # fmt: skip


def golden(kind: type[Any]) -> Any:
    return next(event for event in golden_events() if type(event) is kind)


def test_an_acceptance_refused_says_the_confirmed_plan_is_not_in_force_why_and_what_next() -> None:
    refused = golden(PlanRejected).model_copy(
        update={"offer_id": OFFER_ID, "reasons": (RejectionReason(code="loan_cured", message="loan was cured on 2026-04-20"),)}
    )
    html = render(application("rejected", refused.model_dump(mode="json")), None)

    assert "The plan the borrower confirmed was not put in force" in html
    assert "loan was cured on 2026-04-20" in html
    assert "open a new application" in html
    assert "No plan could be offered" not in html


def test_an_application_without_a_plan_says_no_plan_could_be_offered() -> None:
    html = render(application("rejected", golden(PlanRejected).model_dump(mode="json")), None)

    assert "No plan could be offered" in html
    assert "was not put in force" not in html


def test_a_requote_tells_the_agent_to_send_the_updated_plan() -> None:
    first = golden(PlanOffered)
    requote = first.model_copy(update={"offer_id": uuid.uuid4(), "supersedes_offer_id": first.offer_id})

    assert "Quoted again" in render(application("offered"), requote)
    assert "已重新报价" in render(application("offered"), requote, lang="zh-CN")
    assert "Quoted again" not in render(application("offered"), first)
