"""The application page's offer comparison (issue 20, findings 2–4): every option by what the
borrower pays (console/comparison.py), named apart, the recommended one first, then those the
agent may agree without a supervisor and the borrower can afford; the rest folded. The option the
application chose is marked chosen only while the choice stands: a supervisor's refusal is shown
as one, with the supervisor's note. An arrears option's card says where the regular installments
beside it come from when that is not the ledger: intake's copy of the schedule, or nowhere."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from negotiation_intake.adapters.ledger import configured_ledger
from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.application import LoanView
from negotiation_intake.entrypoints.console.charts import schedule_bars
from negotiation_intake.entrypoints.console.comparison import OptionCost, option_cost, percent_of_income, regular_installments
from negotiation_intake.entrypoints.console.loan_summary import COPY, LEDGER
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
#: Where an arrears option's regular installments came from when its card does not know them.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class LoanSchedule:
    """The loan's regular installments still owed, and where they come from: `source` is LEDGER
    (overdue-detection's remaining schedule, live) or COPY (intake's copy of the last overdue
    status, as of its business date `as_of`)."""

    installments: tuple[ContinuingInstallment, ...]
    source: str = LEDGER
    as_of: str | None = None


async def loan_schedule(loan_id: uuid.UUID, copy: LoanView | None) -> LoanSchedule | None:
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
        return None if position.under_plan else LoanSchedule(regular_installments(position.remaining_schedule))
    if copy is None or copy.snapshot.get("under_plan") or "remaining_schedule" not in copy.snapshot:
        return None
    try:
        remaining = [RemainingInstallment.model_validate(item) for item in copy.snapshot["remaining_schedule"]]
    except ValidationError:
        return None
    return LoanSchedule(regular_installments(remaining), COPY, copy.snapshot.get("business_date"))


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


def _regular_source(cost: OptionCost, schedule: LoanSchedule | None) -> str | None:
    """Where the regular installments an arrears option counts come from (LEDGER, COPY, or
    UNKNOWN when its figures leave them out); None for an extension, which replaces them."""
    if cost.effect is not PlanEffect.ARREARS:
        return None
    return schedule.source if schedule is not None and cost.complete else UNKNOWN


def _card(
    option: PlanOption, cost: OptionCost, offer: PlanOffered, application: dict[str, Any], schedule: LoanSchedule | None
) -> dict[str, Any]:
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
        "percent": percent_of_income(option, offer.disposable_income.amount),
        "complete": cost.complete,
        "regular_source": _regular_source(cost, schedule),
        "regular_as_of": schedule.as_of if schedule else None,
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
    offer: PlanOffered, application: dict[str, Any] | None = None, schedule: LoanSchedule | None = None
) -> dict[str, Any]:
    """The current offer's options as cards: `shown` (recommended, the application's own, and those
    within the agent's authority and affordable) and `folded` (the rest: a supervisor needed, or
    not affordable — the policy lets the borrower choose them, so they keep their Choose);
    `schedule`: the loan's regular installments (loan_schedule), which an arrears option counts."""
    later = schedule.installments if schedule is not None else None
    costs = [option_cost(option, offer.basis_business_date, later) for option in offer.options]
    largest = max(cost.pays_per_month for cost in costs)
    cards = []
    for option, cost in zip(offer.options, costs, strict=True):
        card = _card(option, cost, offer, application or {}, schedule)
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
        **offer.model_dump(mode="json", exclude={"offered_options"}),
        "shown": shown,
        "folded": folded,
        "count": len(cards),
        "incomplete": any(not card["complete"] for card in cards),
        "refused": refused(application or {}),
    }
