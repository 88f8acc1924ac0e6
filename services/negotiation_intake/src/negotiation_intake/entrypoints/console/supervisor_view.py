"""What a supervisor needs to decide on an option beyond the agent's authority (issue 20,
finding 10): the borrower's disposable income, what the chosen option asks of it, the best
option of the same offer the agent could have agreed alone, when the offer expires and how long
the application has waited. Options are named and costed as the offer comparison does
(offer_comparison.option_name, comparison.option_cost): one definition of what an option asks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from negotiation_intake.domain.application import Application
from negotiation_intake.entrypoints.console.comparison import OptionCost, option_cost, percent_of_income
from negotiation_intake.entrypoints.console.offer_comparison import option_name
from tideover_contracts.common import ContinuingInstallment
from tideover_contracts.events.plans import PlanOffered, PlanOption

#: An offer that expires within this is flagged: approved later, the plan is quoted again.
EXPIRES_SOON = timedelta(hours=24)


def within_authority(offer: PlanOffered, chosen: PlanOption | None, costs: dict[str, OptionCost]) -> PlanOption | None:
    """The option the agent could have agreed without a supervisor: an affordable one first, then
    the one that asks the least a month (console/comparison.py), then the cheapest from now on."""
    others = [
        option
        for option in offer.options
        if not option.needs_supervisor and (chosen is None or option.option_id != chosen.option_id)
    ]
    return min(
        others,
        key=lambda option: (
            not option.affordable,
            costs[option.option_id].pays_per_month,
            costs[option.option_id].total_from_now,
        ),
        default=None,
    )


def waited(since: datetime, now: datetime) -> dict[str, Any]:
    """How long an application has waited, as a locale key and a count (minutes, hours or days)."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return {"key": "waited_minutes", "count": minutes}
    if minutes < 48 * 60:
        return {"key": "waited_hours", "count": minutes // 60}
    return {"key": "waited_days", "count": minutes // (24 * 60)}


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def option_facts(option: PlanOption, cost: OptionCost, offer: PlanOffered) -> dict[str, Any]:
    """An option as the offer comparison names and costs it: what it asks a month (regular
    installments included), in all from now on, and the offer's own share of the disposable income."""
    name, values = option_name(option)
    currency = offer.disposable_income.currency
    return {
        **option.model_dump(mode="json", include={"option_id", "kind", "months", "affordable", "needs_supervisor"}),
        "name_key": name,
        "name_values": values,
        "waived": option.waived.total.model_dump(mode="json"),
        "pays_per_month": _money(cost.pays_per_month, currency),
        "total_from_now": _money(cost.total_from_now, currency),
        "percent": percent_of_income(option, offer.disposable_income.amount),
        "complete": cost.complete,
    }


def decision_facts(
    offer: PlanOffered | None,
    chosen: PlanOption | None,
    application: Application,
    now: datetime,
    later: Sequence[ContinuingInstallment] | None = None,
) -> dict[str, Any]:
    """The facts of one item of the supervisor's queue; `later`: the loan's regular installments
    (offer_comparison.loan_schedule), which an arrears option leaves running."""
    if offer is None:
        return {"borrower_id": application.borrower_id, "waiting": waited(application.updated_at, now)}
    costs = {option.option_id: option_cost(option, offer.basis_business_date, later) for option in offer.options}
    alternative = within_authority(offer, chosen, costs)
    return {
        "borrower_id": application.borrower_id,
        "disposable_income": offer.disposable_income.model_dump(mode="json"),
        "chosen": option_facts(chosen, costs[chosen.option_id], offer) if chosen else None,
        "alternative": option_facts(alternative, costs[alternative.option_id], offer) if alternative else None,
        "valid_until": offer.valid_until.isoformat(),
        "expired": offer.valid_until <= now,
        "expires_soon": now < offer.valid_until <= now + EXPIRES_SOON,
        "waiting": waited(application.updated_at, now),
    }
