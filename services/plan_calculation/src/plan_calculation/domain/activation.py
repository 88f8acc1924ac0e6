"""What activating an accepted plan means for the loan (DESIGN.md §3a), and when it may not.

- Which of the loan's own installments the plan takes over, from the loan's position at the
  offer's basis date: an `arrears` plan re-dates the installments overdue on that date (due
  before it: overdue from the day after the due date) with something owed; the regular
  installments due from that date on, up to and including the plan's last due date, stay due
  beside the plan (each plan month asks for both). A `reschedule` plan
  replaces every installment with something owed; nothing continues beside it.
- One at a time: no plan is activated on a closed loan, on a loan with a plan in force, or on a
  loan cured since the offer was computed (its arrears are gone). Each is a refusal with a
  reason, never an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tideover_contracts.events.negotiation import PlanEffect


@dataclass(frozen=True, slots=True)
class OwedInstallment:
    """One of the loan's regular installments with what was still owed on it at a business date."""

    sequence: int
    due_date: date
    owed: Decimal


@dataclass(frozen=True)
class TakenOver:
    """The loan's installments a plan re-dates or replaces, and those that continue beside it."""

    replaced: tuple[int, ...]
    continuing: tuple[OwedInstallment, ...]


def taken_over(effect: PlanEffect, basis_date: date, installments: Sequence[OwedInstallment], last_plan_due: date) -> TakenOver:
    """The installments `effect` takes over from the position at `basis_date`, oldest first.
    Installments with nothing owed are neither replaced nor asked for."""
    owing = sorted((item for item in installments if item.owed > 0), key=lambda item: (item.due_date, item.sequence))
    if effect is PlanEffect.RESCHEDULE:
        return TakenOver(tuple(item.sequence for item in owing), ())
    return TakenOver(
        replaced=tuple(item.sequence for item in owing if item.due_date < basis_date),
        continuing=tuple(item for item in owing if basis_date <= item.due_date <= last_plan_due),
    )


@dataclass(frozen=True)
class LoanStanding:
    """What plan-calculation knows of the loan when the borrower accepts a plan."""

    loan_id: uuid.UUID
    closed_on: date | None = None
    cured_on: date | None = None  # the latest cure
    active_plan_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def refusal_to_activate(standing: LoanStanding, basis_date: date, quoted_arrears: bool = True) -> Refusal | None:
    """Why no plan may be activated on the loan now for an offer computed at `basis_date`, or
    None. A closure is final; a plan in force explains the loan's state before a cure does (an
    arrears plan may itself cure the loan); a cure on or after the basis date means the quoted
    arrears no longer exist (DESIGN.md §3a: "the loan cured or closed (no plan then)") — unless
    the offer quoted none (`quoted_arrears` False: an early application, DESIGN.md §4, whose
    plan reschedules the coming installments whatever fell due and was paid meanwhile)."""
    loan = standing.loan_id
    if standing.closed_on is not None:
        return Refusal("loan_closed", f"loan {loan} was closed on {standing.closed_on.isoformat()}; no plan is activated")
    if standing.active_plan_id is not None:
        return Refusal(
            "plan_already_active",
            f"loan {loan} already has plan {standing.active_plan_id} in force; one plan at a time",
        )
    if quoted_arrears and standing.cured_on is not None and standing.cured_on >= basis_date:
        return Refusal(
            "loan_cured",
            f"loan {loan} was cured on {standing.cured_on.isoformat()}, since the offer was computed on "
            f"{basis_date.isoformat()}; nothing is overdue to plan",
        )
    return None


#: An accepted offer is quoted again only if a payment moved the quoted arrears by more than this
#: share of them or this amount, whichever is more — the plan tolerance of DESIGN.md §4 (1% or 10.00).
REQUOTE_SHARE = Decimal("0.01")
REQUOTE_FLOOR = Decimal("10.00")


def materially_changed(quoted_arrears: Decimal, arrears_now: Decimal, effect: PlanEffect = PlanEffect.ARREARS) -> bool:
    """Whether the loan changed enough since the quote to quote again a plan of `effect`
    (DESIGN.md §3a: only a material change re-quotes). Arrears are overdue principal, interest
    and fees; penalty accrued since the quote never counts (the ledger waives it as
    `quote_honoured`). A payment beyond the tolerance lowers them; an installment newly due and
    unpaid raises them by its whole amount, which re-quotes an arrears plan only: a reschedule
    takes over every installment, due or not."""
    moved = arrears_now - quoted_arrears
    if effect is PlanEffect.RESCHEDULE and moved > 0:
        return False
    return abs(moved) > max(quoted_arrears * REQUOTE_SHARE, REQUOTE_FLOOR)
