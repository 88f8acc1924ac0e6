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
