"""Every plan the policy allows for one loan in difficulty, and the one we recommend
(DESIGN.md §3 step 5, §4).

- Arrears installments: what is overdue, split over n months on top of the regular schedule.
- Term extension: the outstanding principal re-amortized (annuity at the contract rate) over
  the remaining months plus k; the overdue interest, fees and penalty spread evenly beside it.
- Waiver: penalty waived in full when the hardship is proven by verified evidence, overdue
  interest up to the agent's authority (20%); a deeper interest waiver (50%) is offered as an
  option that needs a supervisor. Waivers are conditional: reinstated if the plan breaks.
  Principal is never waived.
- Combinations of a waiver with either plan. No plan runs past 60 months.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from plan_calculation.domain.amortization import Line, annuity
from plan_calculation.domain.calendar import add_months
from plan_calculation.domain.options import (
    LONGEST_PLAN_MONTHS,
    ComputedOption,
    Hardship,
    PlanLine,
    arrears_installments,
    split,
)
from tideover_contracts.common import OverdueAmounts, WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import Money, minor_unit

#: The agent may waive up to 20% of the overdue interest; beyond that a supervisor approves
#: (DESIGN.md §4, waiver authority). Penalty: up to 100% with verified hardship.
AGENT_INTEREST_WAIVER = Decimal("0.20")
SUPERVISOR_INTEREST_WAIVER = Decimal("0.50")
ARREARS_MONTHS = (3, 6, 12)
EXTENSION_MONTHS = (6, 12, 24)


@dataclass(frozen=True)
class LoanPosition:
    """What plan-calculation knows of the loan: from its last overdue status."""

    currency: str
    business_date: date
    principal: Decimal  # overdue parts
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    outstanding_principal: Decimal
    contract_rate: Decimal
    future_installments: tuple[Decimal, ...]  # totals still owed on installments not yet due

    @property
    def overdue_total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty

    @property
    def status_quo(self) -> Decimal:
        """What the borrower owes under the contract from now on, without a plan."""
        return self.overdue_total + sum(self.future_installments, start=Decimal(0))


@dataclass(frozen=True)
class Waiver:
    penalty: Decimal
    interest: Decimal
    needs_supervisor: bool

    @property
    def any(self) -> bool:
        return self.penalty > 0 or self.interest > 0


def _waivers(position: LoanPosition, evidence_verified: bool) -> list[Waiver]:
    penalty = position.penalty if evidence_verified else Decimal(0)
    unit = Decimal("0.01")
    within_authority = Waiver(penalty, (position.interest * AGENT_INTEREST_WAIVER).quantize(unit, rounding=ROUND_DOWN), False)
    deeper = Waiver(penalty, (position.interest * SUPERVISOR_INTEREST_WAIVER).quantize(unit, rounding=ROUND_DOWN), True)
    return [waiver for waiver in (within_authority, deeper) if waiver.any]


def _waived(waiver: Waiver | None, currency: str) -> WaivedAmounts:
    penalty = Money.of(waiver.penalty if waiver else 0, currency)
    interest = Money.of(waiver.interest if waiver else 0, currency)
    zero = Money.zero(currency)
    return WaivedAmounts(penalty=penalty, interest=interest, fee=zero, total=penalty + interest)


def _spread(amount: Decimal, months: int, currency: str) -> list[Decimal]:
    return split(amount, months, minor_unit(currency))


def _option_id(shape: str, months: int | None, waiver: Waiver | None) -> str:
    """e.g. arrears-3, waiver-extension-12, waiver-arrears-6-supervisor, waiver."""
    parts = ["waiver"] if waiver else []
    parts += [f"{shape}-{months}"] if months else []
    parts += ["supervisor"] if waiver and waiver.needs_supervisor else []
    return "-".join(parts)


def arrears(position: LoanPosition, months: int, waiver: Waiver | None, *, alone: bool = False) -> ComputedOption:
    """The overdue amounts (less any waiver) over `months`, beside the regular installments;
    `alone`: the waiver by itself, the rest paid next month."""
    currency = position.currency
    parts = {
        "principal": position.principal,
        "interest": position.interest - (waiver.interest if waiver else 0),
        "fee": position.fee,
        "penalty": position.penalty - (waiver.penalty if waiver else 0),
    }
    owed = OverdueAmounts(
        **{name: Money.of(amount, currency) for name, amount in parts.items()}, total=Money.of(sum(parts.values()), currency)
    )
    plan = arrears_installments(owed, months, add_months(position.business_date, 1))
    future = position.future_installments
    return replace(
        plan,
        option_id=_option_id("arrears", None if alone else months, waiver),
        kind=OptionKind.WAIVER
        if alone
        else OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS
        if waiver
        else OptionKind.ARREARS_INSTALLMENTS,
        waived=_waived(waiver, currency),
        alongside=max(future[:months], default=Decimal(0)),
        beyond_plan=sum(future, start=Decimal(0)),
        needs_supervisor=bool(waiver and waiver.needs_supervisor),
    )


def extension(
    position: LoanPosition, extra_months: int, waiver: Waiver | None, amortized: list[Line] | None = None
) -> ComputedOption | None:
    """All that is outstanding over the remaining months plus `extra_months`: principal as an
    annuity at the contract rate (`amortized`, if already computed for this length); overdue
    interest, fees and penalty (less any waiver) evenly."""
    months = len(position.future_installments) + extra_months
    if months > LONGEST_PLAN_MONTHS or position.outstanding_principal <= 0:
        return None
    first = add_months(position.business_date, 1)
    currency = position.currency
    if amortized is None:
        amortized = annuity(position.outstanding_principal, position.contract_rate, months, first)
    interest = _spread(position.interest - (waiver.interest if waiver else 0), months, currency)
    fee = _spread(position.fee, months, currency)
    penalty = _spread(position.penalty - (waiver.penalty if waiver else 0), months, currency)
    lines = tuple(
        PlanLine(k + 1, row.due_date, row.principal, row.interest + interest[k], penalty[k], fee[k])
        for k, row in enumerate(amortized)
    )
    return ComputedOption(
        option_id=_option_id("extension", extra_months, waiver),
        currency=currency,
        kind=OptionKind.WAIVER_WITH_TERM_EXTENSION if waiver else OptionKind.TERM_EXTENSION,
        schedule=lines,
        waived=_waived(waiver, currency),
        needs_supervisor=bool(waiver and waiver.needs_supervisor),
    )


def plan_options(position: LoanPosition, evidence_verified: bool) -> list[ComputedOption]:
    """Every option, plain arrears first; a waiver is offered with each plan shape. Each
    extension length is amortized once and shared by its waiver variants."""
    first = add_months(position.business_date, 1)
    remaining = len(position.future_installments)
    amortized = {
        extra: annuity(position.outstanding_principal, position.contract_rate, remaining + extra, first)
        for extra in EXTENSION_MONTHS
        if remaining + extra <= LONGEST_PLAN_MONTHS and position.outstanding_principal > 0
    }
    shapes: list[Waiver | None] = [None, *_waivers(position, evidence_verified)]
    options: list[ComputedOption] = []
    for waiver in shapes:
        if waiver is not None:
            options.append(arrears(position, 1, waiver, alone=True))
        options += [arrears(position, months, waiver) for months in ARREARS_MONTHS]
        options += [option for extra in amortized if (option := extension(position, extra, waiver, amortized[extra]))]
    return options


def recommend(options: list[ComputedOption], hardship: Hardship) -> ComputedOption | None:
    """The recommendation rule: among the affordable options — every option here recovers all
    principal, since principal is never waived — the one with the lowest total cost to the
    borrower from now on; on a tie, the shorter plan. None when nothing is affordable."""
    affordable = [option for option in options if option.affordable(hardship)]
    return min(affordable, key=lambda option: (option.total_cost, len(option.schedule)), default=None)
