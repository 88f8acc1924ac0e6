"""The supervisor queue shows what a decision needs (issue 20, finding 10): the borrower's
disposable income, the share of it the chosen option asks, the best option of the same offer the
agent could have agreed alone, when the offer expires and how long the application has waited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest

from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from negotiation_intake.entrypoints.console.supervisor_view import decision_facts, waited
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanOffered, PlanOption
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.outflow import share_of_income

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def golden_offer() -> PlanOffered:
    return next(event for event in golden_events() if isinstance(event, PlanOffered))


def option(option_id: str, *, monthly: str, affordable: bool, supervisor: bool, months: int = 3) -> PlanOption:
    """An extension (its months are its schedule's lines) asking `monthly` each month, its share of
    the golden offer's disposable income stated as plan-calculation states it."""
    golden = golden_offer().options[0]
    first = golden.schedule[0]
    # The line's principal is what makes its parts add up to `monthly` (an offer states only the parts).
    principal = Money(amount=Decimal(monthly), currency="CNY") - first.interest - first.penalty - first.fee
    lines = tuple(
        first.model_copy(
            update={"sequence": n + 1, "principal": principal, "total": Money(amount=Decimal(monthly), currency="CNY")}
        )
        for n in range(months)
    )
    return golden.model_copy(
        update={
            "total_payable": Money(amount=Decimal(monthly) * months, currency="CNY"),
            "option_id": option_id,
            "kind": OptionKind.TERM_EXTENSION,
            "effect": PlanEffect.RESCHEDULE,
            "months": months,
            "schedule": lines,
            "continuing_installments": (),
            "payment_to_disposable_income": share_of_income(Decimal(monthly), golden_offer().disposable_income.amount),
            "affordable": affordable,
            "needs_supervisor": supervisor,
        }
    )


def offer(*options: PlanOption, valid_until: datetime = NOW + timedelta(days=5)) -> PlanOffered:
    return golden_offer().model_copy(update={"options": options, "valid_until": valid_until})


CHOSEN = option("extension-equal-principal-6", monthly="750.00", affordable=True, supervisor=True, months=6)
TOO_DEAR = option("extension-3", monthly="1800.00", affordable=False, supervisor=False)
FITS = option("extension-12", monthly="1350.00", affordable=True, supervisor=False)
CHEAPER_FIT = option("extension-2", monthly="1350.00", affordable=True, supervisor=False, months=2)
DEEPER = option("holiday-3-extension-6", monthly="450.00", affordable=True, supervisor=True, months=9)


def alternative_to(*options: PlanOption) -> str | None:
    facts = decision_facts(offer(CHOSEN, *options), CHOSEN, application(NOW), NOW)
    return facts["alternative"]["option_id"] if facts["alternative"] else None


def test_the_best_alternative_is_an_affordable_option_the_agent_may_agree_alone() -> None:
    assert alternative_to(TOO_DEAR, FITS, DEEPER) == FITS.option_id
    assert alternative_to(FITS, CHEAPER_FIT) == CHEAPER_FIT.option_id  # as much a month: the cheaper in all
    assert alternative_to(TOO_DEAR) == TOO_DEAR.option_id  # none affordable: the one asking least a month
    assert alternative_to(DEEPER) is None


def test_an_arrears_option_asks_its_line_and_the_regular_installment_of_the_month() -> None:
    """One definition with the offer comparison and plan-calculation (finding 2): the month the
    plan's CNY 348.33 falls due with the loan's regular CNY 1,045.00 asks CNY 1,393.33; the share is
    the offer's own, which plan-calculation writes of that month: 0.4645 of CNY 3,000.00."""
    golden = golden_offer()
    arrears = golden.options[0]
    facts = decision_facts(golden, arrears, application(NOW), NOW)
    assert facts["chosen"]["pays_per_month"] == {"amount": "1393.33", "currency": "CNY"}
    assert share_of_income(Decimal("1393.33"), golden.disposable_income.amount) == arrears.payment_to_disposable_income
    assert facts["chosen"]["percent"] == Decimal("46.45")
    assert facts["chosen"]["name_key"] == "name_arrears"


@pytest.mark.parametrize(
    ("waiting", "said"),
    [
        (timedelta(minutes=-3), ("waited_minutes", 0)),
        (timedelta(minutes=45), ("waited_minutes", 45)),
        (timedelta(hours=5, minutes=59), ("waited_hours", 5)),
        (timedelta(hours=47), ("waited_hours", 47)),
        (timedelta(days=3, hours=2), ("waited_days", 3)),
    ],
)
def test_the_wait_is_said_in_minutes_hours_or_days(waiting: timedelta, said: tuple[str, int]) -> None:
    assert tuple(waited(NOW - waiting, NOW).values()) == said


def application(updated_at: datetime) -> Application:
    return Application(
        application_id=uuid.uuid4(),
        loan_id=uuid.uuid4(),
        borrower_id="B-000123",
        state=State.AWAITING_APPROVAL,
        reason="unemployment",
        description="lost the job",
        monthly_income=Decimal("4000"),
        essential_expenses=Decimal("2000"),
        currency="CNY",
        requested_options=(),
        agent_id="agent-042",
        created_at=updated_at - timedelta(days=1),
        updated_at=updated_at,
        version=4,
        offer_id=None,
        option_id=CHOSEN.option_id,
        code_hash=None,
        code_expires_at=None,
        code_tries=0,
        rejection=None,
    )


def test_an_offer_expiring_within_a_day_is_flagged() -> None:
    soon = decision_facts(offer(CHOSEN, valid_until=NOW + timedelta(hours=3)), CHOSEN, application(NOW), NOW)
    assert (soon["expires_soon"], soon["expired"]) == (True, False)
    later = decision_facts(offer(CHOSEN), CHOSEN, application(NOW), NOW)
    assert (later["expires_soon"], later["expired"]) == (False, False)
    gone = decision_facts(offer(CHOSEN, valid_until=NOW - timedelta(minutes=1)), CHOSEN, application(NOW), NOW)
    assert gone["expired"]


def render(item: dict[str, Any], lang: str = "en") -> str:
    return TEMPLATES.get_template("supervisor.html").render(
        t=Words(lang), lang=lang, base=PREFIX, agent=None, csrf="token", here="/", flash=None, items=[item], after=None
    )


def item(app: Application, current: PlanOffered) -> dict[str, Any]:
    return {
        "application_id": str(app.application_id),
        "reason": app.reason,
        "agent_id": app.agent_id,
        "version": app.version,
        "updated_at": app.updated_at.isoformat(),
        "approval": "waiver",
        "own": False,
        **decision_facts(current, CHOSEN, app, NOW),
    }


def test_each_item_shows_income_affordability_the_alternative_expiry_and_wait() -> None:
    app = application(NOW - timedelta(hours=5, minutes=10))
    html = unescape(render(item(app, offer(CHOSEN, TOO_DEAR, FITS))))
    assert ">Application of B-000123</a>" in html
    assert 'data-disposable-income="3000.00"' in html
    chosen = html.split('class="chosen-option"')[1].split("</td>")[0]
    assert "Pays per month (largest): CN¥750.00" in chosen
    assert "Total from now on: CN¥4,500.00" in chosen
    assert "25% of disposable income" in chosen
    alternative = html.split('class="alternative"')[1].split("</td>")[0]
    assert "45% of disposable income" in alternative
    assert "Total from now on: CN¥4,050.00" in alternative
    assert "Affordable" in alternative
    assert "name_" not in html
    assert "3/25/26" in html  # the offer's expiry
    assert "5 h" in html
    assert "…" not in html


def test_without_an_alternative_the_item_says_every_other_option_needs_a_supervisor_in_chinese() -> None:
    html = unescape(render(item(application(NOW - timedelta(days=2)), offer(CHOSEN, DEEPER)), "zh-CN"))
    assert "无：其他方案均需主管审批" in html
    assert "2 天" in html
    assert "B-000123 的申请" in html
