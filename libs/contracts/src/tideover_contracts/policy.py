"""Policy figures more than one service applies (DESIGN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tideover_contracts.common import Jurisdiction


@dataclass(frozen=True)
class ChargeCaps:
    """The CN cap on charges is 4 × the one-year LPR a year (SPC private-lending rules 2020,
    arts. 25, 28, 29): overdue-detection caps penalty interest with it, plan-calculation the
    rate a plan charges. The LPR is configuration (TIDEOVER_ONE_YEAR_LPR,
    TIDEOVER_LPR_MULTIPLE): 3.0% since 2025-05-20."""

    one_year_lpr: Decimal = Decimal("0.0300")
    lpr_multiple: int = 4

    def cap_for(self, jurisdiction: Jurisdiction) -> Decimal | None:
        # US: usury limits are state law and product-specific; none is applied by default.
        return self.one_year_lpr * self.lpr_multiple if jurisdiction == Jurisdiction.CN else None


@dataclass(frozen=True)
class PlanRules:
    """The terms every plan is kept by (DESIGN.md §4, plan grace and plan broken): repayment-tracking
    judges plans by them and the written plan states them to the borrower, so both must read the
    same figures. Configuration, in every service that applies them: TIDEOVER_PLAN_GRACE_DAYS,
    TIDEOVER_PLAN_TOLERANCE_SHARE, TIDEOVER_PLAN_TOLERANCE_FLOOR, TIDEOVER_PLAN_MISSES_TO_BREAK,
    TIDEOVER_PLAN_UNPAID_DAYS_TO_BREAK."""

    #: A plan month is missed when unpaid `grace_days` after its due date ...
    grace_days: int = 3
    #: ... by more than max(`tolerance_share` of it, `tolerance_floor` in the loan's currency).
    tolerance_share: Decimal = Decimal("0.01")
    tolerance_floor: Decimal = Decimal("10.00")
    #: A plan breaks at `misses_to_break` months missed at the same time (a month made good no
    #: longer counts), or when any amount stays unpaid `unpaid_days_to_break` days after its due date.
    misses_to_break: int = 2
    unpaid_days_to_break: int = 30

    def tolerance(self, amount: Decimal) -> Decimal:
        return max(amount * self.tolerance_share, self.tolerance_floor)
