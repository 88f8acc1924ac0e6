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

domain/plan_shapes.py computes each shape; domain/recommendation.py recommends one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from plan_calculation.domain.activation import OwedInstallment
from plan_calculation.domain.amortization import annuity
from plan_calculation.domain.calendar import add_months
from plan_calculation.domain.options import LONGEST_PLAN_MONTHS, ZERO, ComputedOption, Hardship, Waived
from plan_calculation.domain.plan_shapes import Waiver, arrears, extension, payment_holiday, regular_installments
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.money import minor_unit

#: The agent may waive up to 20% of the overdue interest; beyond that a supervisor approves
#: (DESIGN.md §4, waiver authority). Penalty: up to 100% with verified hardship.
AGENT_INTEREST_WAIVER = Decimal("0.20")
SUPERVISOR_INTEREST_WAIVER = Decimal("0.50")
ARREARS_MONTHS = (3, 6, 12)
EXTENSION_MONTHS = (6, 12, 24)


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


def plan_options(
    position: LoanPosition,
    evidence_verified: bool,
    hardship: Hardship | None = None,
    installments: Sequence[OwedInstallment] = (),
) -> list[ComputedOption]:
    """Every option the policy offers, plain arrears first; each waiver `waiver_offered` allows
    with each plan shape, and equal principal as the alternative to each plain extension; last,
    the payment holidays `holiday_offered` allows. Each extension length is amortized once and
    shared by its waiver variants. `installments`: the loan's, as owed at the position's business
    date, whose regular installments each arrears month asks for too (plan_shapes.regular_installments).

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
    regular = regular_installments(position, installments)

    def with_waiver(waiver: Waiver | None) -> list[ComputedOption]:
        options = [arrears(position, 1, waiver, regular, alone=True)] if waiver else []
        options += [arrears(position, months, waiver, regular) for months in arrears_months]
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
