"""The application page's offer comparison (issue 20, findings 2–4): every option by what the
borrower pays (console/comparison.py), named apart, the recommended one first, then those the
agent may agree without a supervisor and the borrower can afford; the rest folded. The option the
application chose is marked chosen only while the choice stands: a supervisor's refusal is shown
as one, with the supervisor's note."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from negotiation_intake.adapters.ledger import configured_ledger
from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.application import LoanView
from negotiation_intake.entrypoints.console.charts import schedule_bars
from negotiation_intake.entrypoints.console.comparison import OptionCost, option_cost, regular_installments
from tideover_contracts.common import ContinuingInstallment
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.overdue import RemainingInstallment
from tideover_contracts.events.plans import PlanOffered, PlanOption

#: How plan-calculation names its options' shapes (plan_shapes.py): holiday-3-extension-6,
#: extension-equal-principal-12, waiver (the waiver alone, the rest paid next month).
HOLIDAY_PREFIX = "holiday-"
EQUAL_PRINCIPAL = "equal-principal"
#: The states in which the application's option stands chosen.
CHOICE_STANDS = ("chosen", "awaiting_approval", "sent", "accepted")


async def loan_schedule(loan_id: uuid.UUID, copy: LoanView | None) -> tuple[ContinuingInstallment, ...] | None:
    """The loan's regular installments still owed: from overdue-detection's ledger (the book of
    record), else intake's `copy` of the last overdue status (read by the caller beforehand: no
    connection is held while the ledger answers); None where neither is at hand or the loan is
    under a plan (its schedule then is the plan's, not the one the offer left running)."""
    ledger = configured_ledger()
    try:
        position = await ledger.position(loan_id) if ledger else None
    except LedgerUnavailableError:
        position = None
    if position is not None:
        return None if position.under_plan else regular_installments(position.remaining_schedule)
    if copy is None or copy.snapshot.get("under_plan") or "remaining_schedule" not in copy.snapshot:
        return None
    try:
        return regular_installments([RemainingInstallment.model_validate(item) for item in copy.snapshot["remaining_schedule"]])
    except ValidationError:
        return None


def needs_loan_schedule(offers: Sequence[PlanOffered]) -> bool:
    """Whether the current offer has an arrears option, whose regular installments continue."""
    return bool(offers) and any(option.plan_effect is PlanEffect.ARREARS for option in offers[-1].options)


def option_name(option: PlanOption) -> tuple[str, dict[str, Any]]:
    """The option's name, apart from every other of the offer: its shape and length (the words' key
    and values); the template adds the amount waived."""
    if option.option_id.startswith(HOLIDAY_PREFIX):
        holiday = int(option.option_id.removeprefix(HOLIDAY_PREFIX).split("-")[0])
        return "name_holiday", {"holiday": holiday, "rest": option.months - holiday}
    if option.plan_effect is PlanEffect.RESCHEDULE:
        shape = "name_extension_equal_principal" if EQUAL_PRINCIPAL in option.option_id else "name_extension"
        return shape, {"months": option.months}
    if option.kind is OptionKind.WAIVER:
        return "name_waiver_alone", {"months": option.months}
    return "name_arrears", {"months": option.months}


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def _card(option: PlanOption, cost: OptionCost, offer: PlanOffered, application: dict[str, Any]) -> dict[str, Any]:
    currency = offer.disposable_income.currency
    mine = application.get("option_id") == option.option_id and application.get("offer_id") == str(offer.offer_id)
    name, values = option_name(option)
    return {
        **option.model_dump(mode="json", include={"option_id", "kind", "months", "waived", "waiver_conditional"}),
        **{key: getattr(option, key) for key in ("affordable", "needs_supervisor")},
        "explanation": option.explanation,
        "effect": cost.effect.value,
        "name_key": name,
        "name_values": values,
        "recommended": option.option_id == offer.recommended_option_id,
        "chosen": mine and application.get("state") in CHOICE_STANDS,
        "refused": mine and refused(application),
        "pays_per_month": _money(cost.pays_per_month, currency),
        "total_from_now": _money(cost.total_from_now, currency),
        "percent": cost.percent_of(offer.disposable_income.amount),
        "complete": cost.complete,
        "month_list": [
            {
                "due_date": month.due_date,
                "has_regular": month.regular > 0,
                "after_plan": month.plan == 0 and month.regular > 0,
                **{key: str(getattr(month, key)) for key in ("amount", "plan", "regular")},
            }
            for month in cost.months
        ],
    }


def refused(application: dict[str, Any]) -> bool:
    """Whether a supervisor refused the option the application chose (it is back to `offered`,
    with their note, and nobody's approval)."""
    return bool(
        application.get("state") == "offered"
        and application.get("option_id")
        and application.get("approval_note")
        and not application.get("approved_by")
    )


def _rank(card: dict[str, Any]) -> tuple[bool, bool, bool, Decimal]:
    return (not card["recommended"], not (card["chosen"] or card["refused"]), card["needs_supervisor"], card["sort"])


def offer_view(
    offer: PlanOffered, application: dict[str, Any] | None = None, later: Sequence[ContinuingInstallment] | None = None
) -> dict[str, Any]:
    """The current offer's options as cards: `shown` (recommended, the application's own, and those
    within the agent's authority and affordable) and `folded` (the rest: a supervisor needed, or
    not affordable — the policy lets the borrower choose them, so they keep their Choose)."""
    costs = [option_cost(option, offer.basis_business_date, later) for option in offer.options]
    largest = max(cost.pays_per_month for cost in costs)
    cards = []
    for option, cost in zip(offer.options, costs, strict=True):
        card = _card(option, cost, offer, application or {})
        card["bars"] = schedule_bars([month.amount for month in cost.months], largest)
        card["sort"] = cost.total_from_now
        cards.append(card)
    cards.sort(key=_rank)
    shown = [
        card
        for card in cards
        if card["recommended"] or card["chosen"] or card["refused"] or (card["affordable"] and not card["needs_supervisor"])
    ]
    folded = [card for card in cards if card not in shown]
    folded.sort(key=lambda card: (not card["affordable"], card["sort"]))
    return {
        **offer.model_dump(mode="json", exclude={"options"}),
        "shown": shown,
        "folded": folded,
        "count": len(cards),
        "incomplete": any(not card["complete"] for card in cards),
        "refused": refused(application or {}),
    }
