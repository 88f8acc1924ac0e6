"""What plan-calculation knows of a loan when it computes plans: its overdue parts, what is
still to fall due, and the rate a plan may charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from plan_calculation.domain.options import ZERO, Parts


@dataclass(frozen=True)
class LoanPosition:
    """What plan-calculation knows of the loan: from the ledger's position the hardship request
    carries, else from its last overdue status; nothing overdue for an early application."""

    currency: str
    business_date: date
    principal: Decimal  # overdue parts
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    outstanding_principal: Decimal
    contract_rate: Decimal
    future_installments: tuple[Decimal, ...]  # totals still owed on installments not yet due
    #: The yearly rate a plan may charge at most in the borrower's jurisdiction (CN: 4 × the
    #: one-year LPR, DESIGN.md §4), or None where no cap applies.
    charges_cap: Decimal | None = None

    @property
    def overdue(self) -> Parts:
        return Parts(self.principal, self.interest, self.fee, self.penalty)

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue.total

    @property
    def status_quo(self) -> Decimal:
        """What the borrower owes under the contract from now on, without a plan."""
        return self.overdue_total + sum(self.future_installments, start=ZERO)

    @property
    def plan_rate(self) -> Decimal:
        """The yearly rate a plan charges on re-amortized principal: the contract's, capped."""
        return self.contract_rate if self.charges_cap is None else min(self.contract_rate, self.charges_cap)
