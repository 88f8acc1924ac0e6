"""The shapes a plan option takes for one loan position (DESIGN.md §4): arrears installments,
a term extension (annuity or equal principal), a payment holiday; with a waiver or without.
domain/menu.py says which of them are offered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from plan_calculation.domain.activation import OwedInstallment
from plan_calculation.domain.amortization import Amortized, accrued_interest, annuity, equal_principal
from plan_calculation.domain.calendar import add_months, monthly_due_dates
from plan_calculation.domain.options import (
    LONGEST_PLAN_MONTHS,
    NOTHING_WAIVED,
    ZERO,
    ComputedOption,
    Parts,
    Schedule,
    Waived,
    arrears_installments,
    split,
)
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import minor_unit
from tideover_contracts.outflow import regular_by_month

#: A payment holiday runs up to 3 months (DESIGN.md §4). Only the full 3 months is offered: the
#: recommendation prefers the lowest cost, and would pick the shortest holiday for a borrower
#: with no income, whose payments would then resume before anything changed.
HOLIDAY_MONTHS = 3
HOLIDAY_PREFIX = "holiday-"


@dataclass(frozen=True)
class Waiver:
    waived: Waived
    needs_supervisor: bool


def _option_id(shape: str, months: int | None, waiver: Waiver | None) -> str:
    """e.g. arrears-3, waiver-extension-12, waiver-arrears-6-supervisor, waiver."""
    parts = ["waiver"] if waiver else []
    parts += [f"{shape}-{months}"] if months else []
    parts += ["supervisor"] if waiver and waiver.needs_supervisor else []
    return "-".join(parts)


def _owed(position: LoanPosition, waived: Waived) -> Parts:
    return Parts(
        position.principal, position.interest - waived.interest, position.fee - waived.fee, position.penalty - waived.penalty
    )


def regular_installments(position: LoanPosition, installments: Sequence[OwedInstallment]) -> tuple[tuple[date, Decimal], ...]:
    """The loan's regular installments from the position's business date on with something owed,
    as (due date, amount): those an arrears plan leaves running beside it (DESIGN.md §3a; the
    offer states those due during the plan, activation.taken_over). Where the loan's `installments`
    are not known (a what-if quote gives only what is owed on each), its future installments are
    taken to fall due one a month on the plan's own due dates, the first in its first month."""
    if installments:
        return tuple(
            (item.due_date, item.owed) for item in installments if item.owed > 0 and item.due_date >= position.business_date
        )
    future = position.future_installments
    return tuple(zip(monthly_due_dates(add_months(position.business_date, 1), len(future)), future, strict=True))


def arrears(
    position: LoanPosition,
    months: int,
    waiver: Waiver | None,
    regular: Sequence[tuple[date, Decimal]] = (),
    *,
    alone: bool = False,
) -> ComputedOption:
    """The overdue amounts (less any waiver) over `months`, beside the `regular` installments
    (`regular_installments`) each month asks for too; `alone`: the waiver by itself, the rest paid
    next month."""
    waived = waiver.waived if waiver else NOTHING_WAIVED
    first = add_months(position.business_date, 1)
    if alone:
        kind = OptionKind.WAIVER
    else:
        kind = OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS if waiver else OptionKind.ARREARS_INSTALLMENTS
    columns = arrears_installments(_owed(position, waived), months, first, minor_unit(position.currency))
    return ComputedOption(
        option_id=_option_id("arrears", None if alone else months, waiver),
        kind=kind,
        columns=columns,
        currency=position.currency,
        waived=waived,
        beside=regular_by_month(columns.due_dates, regular, position.business_date),
        beyond_plan=sum(position.future_installments, start=ZERO),
        needs_supervisor=bool(waiver and waiver.needs_supervisor),
    )


def extension(
    position: LoanPosition,
    extra_months: int,
    waiver: Waiver | None,
    amortized: Amortized | None = None,
    *,
    shape: str = "annuity",
) -> ComputedOption | None:
    """All that is outstanding over the remaining months plus `extra_months`: principal
    amortized at the plan rate (`amortized`, if already computed for this length and shape);
    overdue interest, fees and penalty (less any waiver) evenly."""
    months = len(position.future_installments) + extra_months
    if months > LONGEST_PLAN_MONTHS or position.outstanding_principal <= 0:
        return None
    if amortized is None:
        schedule = annuity if shape == "annuity" else equal_principal
        amortized = schedule(
            position.outstanding_principal,
            position.plan_rate,
            months,
            add_months(position.business_date, 1),
            minor_unit(position.currency),
        )
    waived = waiver.waived if waiver else NOTHING_WAIVED
    columns = _rescheduled(amortized, _owed(position, waived), minor_unit(position.currency))
    name = "extension" if shape == "annuity" else "extension-equal-principal"
    return ComputedOption(
        option_id=_option_id(name, extra_months, waiver),
        kind=OptionKind.WAIVER_WITH_TERM_EXTENSION if waiver else OptionKind.TERM_EXTENSION,
        columns=columns,
        currency=position.currency,
        waived=waived,
        needs_supervisor=bool(waiver and waiver.needs_supervisor),
        shape=shape,
    )


def _rescheduled(amortized: Amortized, owed: Parts, unit: Decimal, deferred_interest: Decimal = ZERO) -> Schedule:
    """The amortized principal and its interest, with the overdue interest, fees and penalty
    (`owed`) and any `deferred_interest` spread evenly beside it, month by month."""
    months = len(amortized.due_dates)
    interest, fee, penalty = (
        split(amount, months, unit) for amount in (owed.interest + deferred_interest, owed.fee, owed.penalty)
    )
    return Schedule.of(
        amortized.due_dates,
        amortized.principal,
        [scheduled + spread for scheduled, spread in zip(amortized.interest, interest, strict=True)],
        penalty,
        fee,
    )


def payment_holiday(position: LoanPosition, extra_months: int, holiday_months: int = HOLIDAY_MONTHS) -> ComputedOption | None:
    """A payment holiday (DESIGN.md §4): `holiday_months` months with nothing to pay, then
    everything outstanding rescheduled as an extension over the remaining months plus
    `extra_months`. The contract interest (at the plan rate) accrues on the outstanding principal
    during the holiday, not compounded, and is paid as interest, spread evenly, in the months
    after it; no penalty accrues (there is nothing due). Principal is not increased, so the plan's
    principal is the loan's outstanding principal, as the ledger reschedules it (DESIGN.md §3a).
    Nothing is waived; a supervisor approves. None where the policy allows no such plan."""
    later = len(position.future_installments) + extra_months
    if not 1 <= holiday_months <= HOLIDAY_MONTHS or later < 1 or holiday_months + later > LONGEST_PLAN_MONTHS:
        return None
    if position.outstanding_principal <= 0:
        return None
    unit = minor_unit(position.currency)
    amortized = annuity(
        position.outstanding_principal, position.plan_rate, later, add_months(position.business_date, holiday_months + 1), unit
    )
    accrued = accrued_interest(position.outstanding_principal, position.plan_rate, holiday_months, unit)
    after = _rescheduled(amortized, _owed(position, NOTHING_WAIVED), unit, deferred_interest=accrued)
    nothing = (ZERO.quantize(unit),) * holiday_months
    columns = Schedule.of(
        monthly_due_dates(add_months(position.business_date, 1), holiday_months) + after.due_dates,
        nothing + after.principal,
        nothing + after.interest,
        nothing + after.penalty,
        nothing + after.fee,
    )
    extension_part = f"-extension-{extra_months}" if extra_months else ""
    return ComputedOption(
        option_id=f"{HOLIDAY_PREFIX}{holiday_months}{extension_part}",
        kind=OptionKind.TERM_EXTENSION,
        columns=columns,
        currency=position.currency,
        needs_supervisor=True,
        holiday_months=holiday_months,
        holiday_interest=accrued,
    )


def is_payment_holiday(option_id: str) -> bool:
    """Whether `option_id` names a payment holiday (holiday-3, holiday-3-extension-6)."""
    return option_id.startswith(HOLIDAY_PREFIX)
