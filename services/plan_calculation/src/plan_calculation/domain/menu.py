"""Every plan the policy allows for one loan in difficulty, and the one we recommend
(DESIGN.md §3 step 5, §4).

- Arrears installments: what is overdue, split over n months on top of the regular schedule.
- Term extension: the outstanding principal re-amortized over the remaining months plus k,
  as an annuity (equal payments) and, as the alternative, in equal principal parts; the
  overdue interest, fees and penalty spread evenly beside it. Interest runs at the contract
  rate, or at the jurisdiction's charges cap where that is lower.
- Waiver: penalty waived in full when the hardship is proven by verified evidence, overdue
  interest up to the agent's authority (20%); a deeper interest waiver (50%) is offered as an
  option that needs a supervisor. Waivers are conditional: reinstated if the plan breaks.
  Principal is never waived. Which waivers are offered at all: `waiver_offered`.
- Combinations of a waiver with either plan (with the annuity shape of an extension). No plan
  runs past 60 months.
- Payment holiday, for verified unemployment, illness or disaster when nothing within the
  agent's authority is affordable (`holiday_offered`): 3 months with nothing to pay, then the
  balance rescheduled as an extension (plain, or 6, 12, 24 months longer); the contract interest
  of the holiday is paid in the months after it. A term extension to the ledger (effect
  `reschedule`), option ids holiday-3, holiday-3-extension-6, ...; nothing waived; a supervisor
  approves.

domain/recommendation.py recommends one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from plan_calculation.domain.amortization import Amortized, accrued_interest, annuity, equal_principal
from plan_calculation.domain.calendar import add_months, monthly_due_dates
from plan_calculation.domain.options import (
    LONGEST_PLAN_MONTHS,
    NOTHING_WAIVED,
    ZERO,
    ComputedOption,
    Hardship,
    Parts,
    Schedule,
    Waived,
    arrears_installments,
    split,
)
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import minor_unit

#: The agent may waive up to 20% of the overdue interest; beyond that a supervisor approves
#: (DESIGN.md §4, waiver authority). Penalty: up to 100% with verified hardship.
AGENT_INTEREST_WAIVER = Decimal("0.20")
SUPERVISOR_INTEREST_WAIVER = Decimal("0.50")
ARREARS_MONTHS = (3, 6, 12)
EXTENSION_MONTHS = (6, 12, 24)
#: A payment holiday runs up to 3 months (DESIGN.md §4). Only the full 3 months is offered: the
#: recommendation prefers the lowest cost, and would pick the shortest holiday for a borrower
#: with no income, whose payments would then resume before anything changed.
HOLIDAY_MONTHS = 3
HOLIDAY_PREFIX = "holiday-"


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


@dataclass(frozen=True)
class Waiver:
    waived: Waived
    needs_supervisor: bool


def _waivers(position: LoanPosition, evidence_verified: bool) -> list[Waiver]:
    penalty = position.penalty if evidence_verified else ZERO
    unit = minor_unit(position.currency)
    within_authority = Waiver(
        Waived(penalty=penalty, interest=(position.interest * AGENT_INTEREST_WAIVER).quantize(unit, rounding=ROUND_DOWN)),
        needs_supervisor=False,
    )
    deeper = Waiver(
        Waived(penalty=penalty, interest=(position.interest * SUPERVISOR_INTEREST_WAIVER).quantize(unit, rounding=ROUND_DOWN)),
        needs_supervisor=True,
    )
    waivers = [within_authority] if within_authority.waived.total > 0 else []
    return waivers + ([deeper] if deeper.waived.total > within_authority.waived.total else [])


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


def arrears(position: LoanPosition, months: int, waiver: Waiver | None, *, alone: bool = False) -> ComputedOption:
    """The overdue amounts (less any waiver) over `months`, beside the regular installments;
    `alone`: the waiver by itself, the rest paid next month."""
    waived = waiver.waived if waiver else NOTHING_WAIVED
    first = add_months(position.business_date, 1)
    future = position.future_installments
    if alone:
        kind = OptionKind.WAIVER
    else:
        kind = OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS if waiver else OptionKind.ARREARS_INSTALLMENTS
    return ComputedOption(
        option_id=_option_id("arrears", None if alone else months, waiver),
        kind=kind,
        columns=arrears_installments(_owed(position, waived), months, first, minor_unit(position.currency)),
        currency=position.currency,
        waived=waived,
        alongside=max(future[:months], default=ZERO),
        beyond_plan=sum(future, start=ZERO),
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


def holiday_offered(hardship: Hardship, affordable_within_authority: bool) -> bool:
    """Whether payment holidays are offered: the one home of DESIGN.md §4's rule, "verified
    unemployment, illness or disaster" (`Hardship.holiday_grounds`), read with the menu's rule for
    what a supervisor approves (`waiver_offered`): an escalation, only when no option within the
    agent's authority is affordable (`affordable_within_authority`: one is).

    A holiday is judged affordable on its holiday months alone (0.00): offered beside plans whose
    every payment fits the borrower's income, it would be recommended whenever it costs least
    (test_menu's worked loan at a disposable income of 300.00: holiday-3, then 1,563.18 a month,
    over extension-equal-principal-24 at 135.12 at most)."""
    return hardship.holiday_grounds and not affordable_within_authority


def is_payment_holiday(option_id: str) -> bool:
    """Whether `option_id` names a payment holiday (holiday-3, holiday-3-extension-6)."""
    return option_id.startswith(HOLIDAY_PREFIX)


def waiver_offered(waiver: Waiver, evidence_verified: bool, affordable_without: bool) -> bool:
    """Whether `waiver` is offered: the one home of DESIGN.md §4's rule "a waiver is offered only
    with verified hardship evidence or when no option without one is affordable".

    Offered means on the menu: the options of the offer (PlanOffered, the quote) that the agent
    may choose with the borrower. `affordable_without`: some option already on the menu without
    this waiver is affordable (for the waiver within the agent's authority: a plan with nothing
    waived; for the supervisor's: also one with the agent's waiver).

    - Within the agent's authority: with verified evidence, always (the borrower may prefer it,
      though it is recommended only when nothing that waives less is affordable); without, only
      when no plan without a waiver is affordable (seed 3.3 waives interest "in specific
      circumstances", not as a discount).
    - Beyond it, a supervisor's deeper waiver is an escalation, evidence or not: only when nothing
      within the agent's authority is affordable; an offer whose cheapest option always needed a
      supervisor would send every negotiation to one."""
    if waiver.needs_supervisor:
        return not affordable_without
    return evidence_verified or not affordable_without


def plan_options(position: LoanPosition, evidence_verified: bool, hardship: Hardship | None = None) -> list[ComputedOption]:
    """Every option the policy offers, plain arrears first; each waiver `waiver_offered` allows
    with each plan shape, and equal principal as the alternative to each plain extension; last,
    the payment holidays `holiday_offered` allows. Each extension length is amortized once and
    shared by its waiver variants.

    Affordability is judged for `hardship`; without one nothing is known to be affordable, so
    every waiver the evidence allows is listed (a catalogue, for tests and what-if questions)."""
    first = add_months(position.business_date, 1)
    remaining = len(position.future_installments)
    lengths = [
        extra for extra in EXTENSION_MONTHS if remaining + extra <= LONGEST_PLAN_MONTHS and position.outstanding_principal > 0
    ]
    unit = minor_unit(position.currency)
    amortized = {
        extra: annuity(position.outstanding_principal, position.plan_rate, remaining + extra, first, unit) for extra in lengths
    }

    # Before anything is overdue (early hardship, DESIGN.md §4) there are no arrears to split.
    arrears_months = ARREARS_MONTHS if position.overdue_total > 0 else ()

    def with_waiver(waiver: Waiver | None) -> list[ComputedOption]:
        options = [arrears(position, 1, waiver, alone=True)] if waiver else []
        options += [arrears(position, months, waiver) for months in arrears_months]
        options += [option for extra in lengths if (option := extension(position, extra, waiver, amortized[extra]))]
        return options

    options = with_waiver(None)
    options += [option for extra in lengths if (option := extension(position, extra, None, shape="equal principal"))]
    for waiver in _waivers(position, evidence_verified):
        affordable_without = hardship is not None and any(option.affordable(hardship) for option in options)
        if waiver_offered(waiver, evidence_verified, affordable_without):
            options += with_waiver(waiver)
    within_authority = hardship is not None and any(
        option.affordable(hardship) for option in options if not option.needs_supervisor
    )
    if hardship is not None and holiday_offered(hardship, within_authority):
        options += [option for extra in (0, *EXTENSION_MONTHS) if (option := payment_holiday(position, extra))]
    return options
