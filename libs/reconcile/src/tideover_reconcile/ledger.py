"""The loan's ledger as overdue-detection records it (DESIGN.md §3a), and its arithmetic.

Each row of the ledger's `installments` is a line: a regular installment, or a plan's line.
Per line and component (principal, interest, fee, penalty):

    outstanding = charged − paid − waived − written off − rescheduled

where `rescheduled` is what a plan took over from the line (the plan's own lines charge it
again). Summed over lines, a loan or a book is charged Σ charged − Σ rescheduled, and then

    charged = paid + waived + written off + outstanding

Pure: no I/O; `reading.py` builds these from the ledger's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

ZERO = Decimal(0)
CENT = Decimal("0.01")
COMPONENTS = ("principal", "interest", "fee", "penalty")


def penalty_charged(penalty_basis: Decimal, day_count: int) -> Decimal:
    """A line's penalty charged: round(penalty_basis / day_count, 2), half up — Postgres's
    round(), which the ledger uses in SQL (migration 0004.plans-in-the-ledger)."""
    return (penalty_basis / day_count).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Amounts:
    """One amount per component."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(mine + theirs for mine, theirs in zip(self, other, strict=True)))

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(*(mine - theirs for mine, theirs in zip(self, other, strict=True)))

    def __iter__(self) -> Iterator[Decimal]:
        return (getattr(self, field.name) for field in fields(self))

    def items(self) -> Iterator[tuple[str, Decimal]]:
        return zip(COMPONENTS, self, strict=True)

    @property
    def total(self) -> Decimal:
        return sum(self, start=ZERO)


@dataclass(frozen=True)
class Line:
    """One row of the ledger's `installments`."""

    sequence: int
    plan_id: uuid.UUID | None  # None: a regular installment; set: a plan's line
    charged: Amounts
    paid: Amounts
    waived: Amounts
    written_off: Amounts
    rescheduled: Amounts

    plan_sequence: int | None = None  # a plan's line: its sequence in the plan

    @property
    def outstanding(self) -> Amounts:
        return self.charged - self.paid - self.waived - self.written_off - self.rescheduled


@dataclass(frozen=True)
class Figures:
    """Charged (net of what plans took over), paid, waived, written off and outstanding, per component."""

    charged: Amounts = Amounts()
    paid: Amounts = Amounts()
    waived: Amounts = Amounts()
    written_off: Amounts = Amounts()
    outstanding: Amounts = Amounts()

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Figures:
        return cls.sum(
            cls(line.charged - line.rescheduled, line.paid, line.waived, line.written_off, line.outstanding) for line in lines
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(mine + theirs for mine, theirs in zip(self.columns(), other.columns(), strict=True)))

    def columns(self) -> tuple[Amounts, ...]:
        return tuple(getattr(self, field.name) for field in fields(self))

    @classmethod
    def sum(cls, figures: Iterable[Figures]) -> Figures:
        total = cls()
        for each in figures:
            total += each
        return total

    @property
    def balances(self) -> bool:
        """charged = paid + waived + written off + outstanding, per component."""
        return self.charged == self.paid + self.waived + self.written_off + self.outstanding


def waivers_in_force(by_status: Mapping[str, Amounts]) -> Amounts:
    """What the ledger's waiver acts leave waived: the conditional ones less those reinstated
    (a plan broke). A `final` act restates a conditional one (its plan completed) and adds nothing."""
    return by_status.get("conditional", Amounts()) - by_status.get("reinstated", Amounts())


@dataclass(frozen=True)
class LoanLedger:
    """One loan as the ledger holds it, with what it records beside the lines."""

    loan_id: uuid.UUID
    currency: str
    principal: Decimal  # loans.principal: what was lent
    credit: Decimal  # loans.credit: paid beyond what is owed, kept for later
    lines: tuple[Line, ...]
    repaid: Decimal = ZERO  # Σ repayments.amount
    waivers: Amounts = Amounts()  # ledger_acts waivers: Σ conditional − Σ reinstated
    write_offs: Amounts = Amounts()  # ledger_acts write-offs

    @cached_property
    def figures(self) -> Figures:
        return Figures.of(self.lines)
