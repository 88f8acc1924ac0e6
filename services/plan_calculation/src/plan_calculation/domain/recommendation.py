"""The recommended option (DESIGN.md §4, recommendation): among the affordable options, the one
that waives least, then costs the borrower least in total, then needs no supervisor, then is
shortest; and which of those steps chose it, for the explanation the agent and the borrower read.

Which waivers are on the menu at all is domain/menu.py's `waiver_offered`: this module only
orders what the menu offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from plan_calculation.domain.options import ComputedOption, Hardship


class RecommendationRule(StrEnum):
    """The step of the recommendation rule (DESIGN.md §4) that chose the recommended option: the
    first at which it is strictly better than every affordable option level with it so far."""

    ONLY_AFFORDABLE = "only_affordable"
    LEAST_WAIVED = "least_waived"
    LOWEST_COST = "lowest_cost"
    NO_SUPERVISOR = "no_supervisor"
    SHORTEST = "shortest"


#: The steps of the rule, in the order of `preference`'s key.
RULE_STEPS = (
    RecommendationRule.LEAST_WAIVED,
    RecommendationRule.LOWEST_COST,
    RecommendationRule.NO_SUPERVISOR,
    RecommendationRule.SHORTEST,
)


def preference(option: ComputedOption) -> tuple[Decimal, Decimal, bool, int]:
    """The recommendation's order (DESIGN.md §4), lowest first: least waived, then lowest total
    cost to the borrower from now on, then no supervisor needed, then shortest. Every option
    recovers all principal (principal is never waived), so waived and cost compare like with like."""
    return (option.waived.total, option.total_cost, option.needs_supervisor, option.months)


@dataclass(frozen=True)
class Recommendation:
    """The recommended option and the step of the rule that chose it."""

    option: ComputedOption
    rule: RecommendationRule


def recommend(options: list[ComputedOption], hardship: Hardship) -> Recommendation | None:
    """The affordable option first by `preference`, and the step that chose it; None when nothing
    is affordable. Options equal on every step: the first on the menu (plain before waived,
    arrears before extensions), reported as chosen by the last step, the shortest."""
    affordable = [option for option in options if option.affordable(hardship)]
    if not affordable:
        return None
    best = min(affordable, key=preference)
    return Recommendation(best, _deciding_rule(best, affordable))


def _deciding_rule(best: ComputedOption, affordable: list[ComputedOption]) -> RecommendationRule:
    rivals = [option for option in affordable if option is not best]
    if not rivals:
        return RecommendationRule.ONLY_AFFORDABLE
    key = preference(best)
    for step, rule in enumerate(RULE_STEPS):
        rivals = [option for option in rivals if preference(option)[step] == key[step]]
        if not rivals:
            return rule
    return RecommendationRule.SHORTEST
