"""The trial balance of a loan book: per currency and component, charged / paid / waived /
written off / outstanding, every loan out of balance and every plan the services disagree on
(DESIGN.md §3a; the checks are in `checks.py`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import asyncpg

from tideover_reconcile.checks import ActivePlans, Finding, disagreements, out_of_balance
from tideover_reconcile.ledger import CENT, COMPONENTS, Figures, LoanLedger
from tideover_reconcile.reading import LEDGER_SCHEMA, TRACKING_SCHEMA, read_active_plans, read_loans

#: The columns of the trial balance, as `Figures` names them.
COLUMNS = tuple(field.name for field in fields(Figures))


@dataclass(frozen=True)
class TrialBalance:
    loans: int
    books: Mapping[str, Figures]  # by currency
    out_of_balance: tuple[Finding, ...]
    disagreements: tuple[Finding, ...]

    @classmethod
    def of(cls, loans: Iterable[LoanLedger], plans: ActivePlans) -> TrialBalance:
        """The trial balance of `loans`, and what the services disagree on about `plans`."""
        books: defaultdict[str, Figures] = defaultdict(Figures)
        findings: list[Finding] = []
        read = {loan.loan_id: loan for loan in loans}
        for loan in read.values():
            books[loan.currency] += loan.figures
            findings.extend(out_of_balance(loan))
        return cls(len(read), dict(sorted(books.items())), tuple(findings), tuple(disagreements(plans, read)))

    @property
    def balanced(self) -> bool:
        """No loan is out of balance (disagreements between services are listed, not counted)."""
        return not self.out_of_balance

    @property
    def loans_out_of_balance(self) -> list[uuid.UUID]:
        return sorted({finding.loan_id for finding in self.out_of_balance}, key=str)

    def as_json(self) -> dict[str, Any]:
        """Amounts as decimal strings, as everywhere in Tideover."""
        return {
            "loans": self.loans,
            "balanced": self.balanced,
            "books": {
                currency: {
                    component: {column: _text(getattr(getattr(figures, column), component)) for column in COLUMNS}
                    for component in COMPONENTS
                }
                for currency, figures in self.books.items()
            },
            "loans_out_of_balance": [str(loan_id) for loan_id in self.loans_out_of_balance],
            "out_of_balance": [_finding(finding) for finding in self.out_of_balance],
            "disagreements": [_finding(finding) for finding in self.disagreements],
        }


def _text(amount: Decimal) -> str:
    """To the cent, unless that would hide a fraction of a cent."""
    cents = amount.quantize(CENT)
    return str(cents if cents == amount else amount)


def _finding(finding: Finding) -> dict[str, str]:
    return {"loan_id": str(finding.loan_id), "check": finding.check, "detail": finding.detail}


async def trial_balance(
    database_url: str,
    loan_ids: Collection[uuid.UUID] | None = None,
    *,
    ledger_schema: str = LEDGER_SCHEMA,
    tracking_schema: str = TRACKING_SCHEMA,
) -> TrialBalance:
    """The trial balance of every loan in the ledger, or of those in `loan_ids`, read in one
    repeatable-read transaction so that every figure comes from the same moment."""
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            loans = await read_loans(connection, loan_ids, ledger_schema)
            plans = await read_active_plans(connection, loan_ids, ledger_schema, tracking_schema)
    finally:
        await connection.close()
    return TrialBalance.of(loans, plans)


def text_lines(balance: Mapping[str, Any]) -> list[str]:
    """The trial balance (`TrialBalance.as_json()`) as a table and lists for a terminal."""
    lines = [f"Trial balance of {balance['loans']:,} loans: {'balanced' if balance['balanced'] else 'OUT OF BALANCE'}"]
    for currency, components in balance["books"].items():
        lines.append(f"  {currency:<10}" + "".join(f"{column.replace('_', ' '):>16}" for column in COLUMNS))
        for component, figures in components.items():
            lines.append(f"  {component:<10}" + "".join(f"{_amount(figures[column]):>16}" for column in COLUMNS))
    for title, findings in (("Out of balance", balance["out_of_balance"]), ("Services disagree", balance["disagreements"])):
        loans = {finding["loan_id"] for finding in findings}
        lines.append(f"{title}: {len(loans):,} loans" if findings else f"{title}: none")
        lines.extend(f"  {finding['loan_id']}  {finding['check']}: {finding['detail']}" for finding in findings)
    return lines


def _amount(text: str) -> str:
    return f"{Decimal(text):,}"
