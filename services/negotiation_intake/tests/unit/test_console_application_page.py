"""The application page tells the agent when the plan the borrower confirmed was not put in
force: refused (with plan-calculation's reasons, and what to do next) or quoted again (the new
offer says so). The approval step names what the supervisor approves: a waiver, a payment
holiday, or the plan beyond the agent's authority."""

from __future__ import annotations

import uuid
from html import unescape
from typing import Any

import pytest

from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.pages import Approval, approval_of, offer_view
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.plans import PlanOffered, PlanOption, PlanRejected, RejectionReason
from tideover_contracts.examples import OFFER_ID, golden_events
from tideover_contracts.money import Money


def application(state: str, rejection: dict[str, Any] | None = None) -> dict[str, Any]:
    money = {"amount": "9000.00", "currency": "CNY"}
    return {
        "application_id": str(uuid.uuid4()),
        "loan_id": str(uuid.uuid4()),
        "state": state,
        "reason": "unemployment",
        "description": "Laid off",
        "monthly_income": money,
        "essential_expenses": money,
        "requested_options": [],
        "agent_id": "agent-1",
        "version": 3,
        "offer_id": None,
        "option_id": None,
        "needs_supervisor": False,
        "approved_by": None,
        "approval_note": None,
        "code_tries_left": None,
        "rejection": rejection,
    }


def render(app: dict[str, Any], offer: PlanOffered | None, lang: str = "en") -> str:
    chosen = next((option for option in offer.options if option.option_id == app["option_id"]), None) if offer else None
    return TEMPLATES.get_template("application.html").render(
        t=Words(lang),
        lang=lang,
        base=PREFIX,
        agent=None,
        may_work=False,
        may_approve=False,
        may_audit=False,
        csrf="token",
        here="/",
        flash=None,
        application=app,
        documents=[],
        offer=offer_view(offer) if offer else None,
        kinds=[],
        errors={},
        values={},
        waiting=False,
        approval=approval_of(chosen),
    )


def render_supervisor_queue(app: dict[str, Any], option: PlanOption, lang: str = "en", own: bool = False) -> str:
    item = {**app, "option": option.model_dump(mode="json"), "approval": approval_of(option), "own": own}
    return TEMPLATES.get_template("supervisor.html").render(
        t=Words(lang),
        lang=lang,
        base=PREFIX,
        agent=None,
        may_work=False,
        may_approve=True,
        may_audit=False,
        csrf="token",
        here="/",
        flash=None,
        items=[item],
        after=None,
        errors={},
    )


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


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def needing_a_supervisor(option_id: str, waived: str = "0.00") -> PlanOption:
    """The golden offer's option as `option_id`, beyond the agent's authority, waiving `waived` of interest."""
    option: PlanOption = golden(PlanOffered).options[0]
    zero = cny("0.00")
    waivers = WaivedAmounts(penalty=zero, interest=cny(waived), fee=zero, total=cny(waived))
    return option.model_copy(update={"option_id": option_id, "needs_supervisor": True, "waived": waivers})


HOLIDAY = needing_a_supervisor("holiday-3-extension-6")
WAIVER = needing_a_supervisor("waiver-arrears-6-supervisor", waived="22.50")
PLAIN = needing_a_supervisor("arrears-12")


def awaiting_approval_of(option: PlanOption) -> tuple[dict[str, Any], PlanOffered]:
    offer = golden(PlanOffered)
    offer = offer.model_copy(update={"options": (*offer.options, option)})
    app = {**application("awaiting_approval"), "offer_id": str(offer.offer_id), "option_id": option.option_id}
    return {**app, "needs_supervisor": True}, offer


@pytest.mark.parametrize(
    ("option", "approval"), [(HOLIDAY, Approval.PAYMENT_HOLIDAY), (WAIVER, Approval.WAIVER), (PLAIN, Approval.PLAN)]
)
def test_what_is_approved_is_told_by_the_chosen_options_data(option: PlanOption, approval: Approval) -> None:
    assert approval_of(option) is approval


def test_a_holiday_that_waived_something_would_be_approved_as_a_waiver_and_no_option_as_the_plan() -> None:
    assert approval_of(needing_a_supervisor("holiday-3", waived="0.01")) is Approval.WAIVER
    assert approval_of(None) is Approval.PLAN


# (the chosen option, what the page says in English, in Chinese, and what it must not say)
APPROVALS = [
    (HOLIDAY, "approve the payment holiday", "审批还款假期", ("waiver", "减免")),
    (WAIVER, "approve the waiver", "审批减免", ("holiday", "假期")),
    (PLAIN, "approve the plan beyond the agent's authority", "审批超出坐席权限的方案", ("waiver", "减免")),
]


@pytest.mark.parametrize(("option", "en", "zh", "unsaid"), APPROVALS, ids=[case[0].option_id for case in APPROVALS])
def test_the_application_awaiting_approval_names_what_the_supervisor_approves(
    option: PlanOption, en: str, zh: str, unsaid: tuple[str, str]
) -> None:
    app, offer = awaiting_approval_of(option)

    english, chinese = unescape(render(app, offer)), render(app, offer, lang="zh-CN")

    assert f"Waiting for a supervisor to {en}." in english
    assert f"等待主管{zh}。" in chinese
    assert "Waiting for a supervisor to approve the " + unsaid[0] not in english
    assert "等待主管审批" + unsaid[1] not in chinese


@pytest.mark.parametrize(
    ("option", "en", "zh"),
    [
        (HOLIDAY, "Approve the payment holiday", "批准还款假期"),
        (WAIVER, "Approve the waiver", "批准减免"),
        (PLAIN, "Approve the plan", "批准方案"),
    ],
    ids=["holiday", "waiver", "plain"],
)
def test_the_supervisor_queue_names_what_each_approval_approves(option: PlanOption, en: str, zh: str) -> None:
    app, _ = awaiting_approval_of(option)

    english, chinese = render_supervisor_queue(app, option), render_supervisor_queue(app, option, lang="zh-CN")

    assert f'class="primary">{en}</button>' in english
    assert f'class="primary">{zh}</button>' in chinese
    assert "Plans awaiting approval" in english
    assert "待审批的方案" in chinese
    if option is not WAIVER:
        assert "waiver" not in english.lower()
        assert "减免</button>" not in chinese


def test_a_supervisor_is_not_offered_to_approve_what_they_opened_or_chose_but_may_refuse_it() -> None:
    """Four eyes (issue 17, H2): the service refuses such an approval (403 four_eyes); the queue
    does not offer it, says why, and keeps Refuse."""
    app = application("awaiting_approval")
    own, others = render_supervisor_queue(app, WAIVER, own=True), render_supervisor_queue(app, WAIVER)
    own_zh = render_supervisor_queue(app, WAIVER, lang="zh-CN", own=True)

    assert 'name="approved" value="true"' not in own
    assert 'name="approved" value="false"' in own
    assert "another supervisor must approve it" in own
    assert "另一位主管" in own_zh
    assert 'name="approved" value="true"' in others
    assert "another supervisor must approve it" not in others
