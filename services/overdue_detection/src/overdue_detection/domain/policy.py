"""Which charge rules apply to a loan, by jurisdiction (DESIGN.md §4)."""

from __future__ import annotations

from decimal import Decimal

from overdue_detection.domain.ledger import ChargePolicy
from tideover_contracts.common import Jurisdiction
from tideover_contracts.policy import ChargeCaps

#: A residual at or under this, in the loan's currency, is written off (recorded) rather than kept
#: overdue (DESIGN.md §4, de-minimis): paying a notice's amount a day late leaves a few cents of
#: penalty that would otherwise keep the loan delinquent for months.
DE_MINIMIS = Decimal("1.00")
#: Days before a due date when a reminder goes out (DESIGN.md §4, after Fineract).
DUE_SOON_DAYS = (3, 1)
#: A status update at least this often while a loan stays overdue (DESIGN.md §4).
WEEKLY = 7
#: And on these days past due as well, so that the borrower hears of the arrears on DPD 1 (when
#: the loan becomes overdue), 3 and 7, then weekly (DESIGN.md §4, overdue notices). They are
#: scheduled reports: reason `weekly`, as the weekly ones.
REPORT_DAYS = (3, 7)


def charge_policy(
    caps: ChargeCaps, jurisdiction: Jurisdiction, contract_rate: Decimal, overdue_rate: Decimal, day_count: str
) -> ChargePolicy:
    return ChargePolicy(
        contract_rate=contract_rate,
        overdue_rate=overdue_rate,
        cap_rate=caps.cap_for(jurisdiction),
        day_count=360 if day_count == "ACT/360" else 365,
    )
