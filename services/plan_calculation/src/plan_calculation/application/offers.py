"""Options as the contracts carry them, for an offer or a quote."""

from __future__ import annotations

from plan_calculation.domain.explanations import explain
from plan_calculation.domain.menu import LoanPosition, plan_options, recommend
from plan_calculation.domain.options import ComputedOption, Hardship
from tideover_contracts.events.plans import PlanOption
from tideover_contracts.money import Money


def describe_options(
    position: LoanPosition, hardship: Hardship, evidence_verified: bool
) -> tuple[tuple[PlanOption, ...], str | None]:
    """Every option the policy allows, described, and the id of the recommended one (None
    when no option is affordable)."""
    options = plan_options(position, evidence_verified)
    recommended = recommend(options, hardship)
    return tuple(_describe(option, hardship, position) for option in options), recommended.option_id if recommended else None


def _describe(option: ComputedOption, hardship: Hardship, position: LoanPosition) -> PlanOption:
    currency = position.currency
    return PlanOption(
        option_id=option.option_id,
        kind=option.kind,
        months=len(option.schedule),
        schedule=tuple(line.contract(currency) for line in option.schedule),
        first_payment=Money.trusted(option.schedule[0].total, currency),
        largest_payment=option.largest_payment,
        total_payable=option.total_payable,
        waived=option.waived,
        waiver_conditional=not option.waived.total.is_zero,
        cost_vs_status_quo=Money.of(option.total_cost - position.status_quo, currency),
        payment_to_disposable_income=option.payment_to_disposable_income(hardship),
        affordable=option.affordable(hardship),
        needs_supervisor=option.needs_supervisor,
        explanation=explain(option, currency),
    )
