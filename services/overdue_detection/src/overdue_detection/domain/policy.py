"""Which charge rules apply to a loan, by jurisdiction (DESIGN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from overdue_detection.domain.ledger import ChargePolicy
from tideover_contracts.common import Jurisdiction

#: Days before a due date when a reminder goes out (DESIGN.md §4, after Fineract).
DUE_SOON_DAYS = (3, 1)
#: A status update at least this often while a loan stays overdue (DESIGN.md §4).
WEEKLY = 7


@dataclass(frozen=True)
class ChargeCaps:
    """The CN cap on overdue charges is 4 × the one-year LPR a year (SPC private-lending rules
    2020, arts. 25, 28, 29). The LPR is configuration: 3.0% since 2025-05-20. The cap that
    applies to a loan is fixed when it is booked, as the contract is then."""

    one_year_lpr: Decimal = Decimal("0.0300")
    lpr_multiple: int = 4

    def cap_for(self, jurisdiction: Jurisdiction) -> Decimal | None:
        # US: usury limits are state law and product-specific; none is applied by default.
        return self.one_year_lpr * self.lpr_multiple if jurisdiction == Jurisdiction.CN else None


def charge_policy(
    caps: ChargeCaps, jurisdiction: Jurisdiction, contract_rate: Decimal, overdue_rate: Decimal, day_count: str
) -> ChargePolicy:
    return ChargePolicy(
        contract_rate=contract_rate,
        overdue_rate=overdue_rate,
        cap_rate=caps.cap_for(jurisdiction),
        day_count=360 if day_count == "ACT/360" else 365,
    )
