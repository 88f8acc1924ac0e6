"""Options as the contracts carry them, for an offer or a quote.

An offer carries every option with its full schedule: hundreds of lines. `describe` builds
them as contract objects (tests, the pydantic path); `render_offer` writes the same PlanOffered
payload (version 2: each option compact, its schedule as columns) straight as JSON, several
times faster, for the offers published at the rate negotiations arrive, and `render_quote` the
quote endpoint's answer with the same options. tests/unit/test_offer_rendering.py parses what it renders with the
contract and compares it with `describe`.

Each option states what the written plan needs besides its schedule (DESIGN.md §3a): the rate it
charges, and, for an arrears plan, the loan's regular installments that stay due beside it — by
the rule activation applies (domain/activation.py `taken_over`), from the installments the menu
was computed with, so the months the borrower is told are the months the plan will ask for.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from plan_calculation.domain.activation import OwedInstallment, taken_over
from plan_calculation.domain.explanations import explain
from plan_calculation.domain.menu import plan_options
from plan_calculation.domain.options import ComputedOption, Hardship, PlanLine
from plan_calculation.domain.position import LoanPosition
from plan_calculation.domain.recommendation import Recommendation, RecommendationRule, recommend
from tideover_contracts.common import ContinuingInstallment, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.plans import PlanOption, ScheduleColumns
from tideover_contracts.money import Money, minor_unit

#: A plan's rate as offered: a fraction per year to six places (a percentage to four).
RATE_PLACES = Decimal(1).scaleb(-6)


@dataclass(frozen=True)
class Menu:
    """Every option the policy allows for one position and hardship, and the recommended one."""

    position: LoanPosition
    hardship: Hardship
    options: list[ComputedOption]
    recommendation: Recommendation | None
    #: The loan's installments with something owed at the position's business date (the offer's
    #: basis); empty where they are not known (a what-if quote).
    installments: tuple[OwedInstallment, ...] = ()

    @property
    def recommended(self) -> ComputedOption | None:
        return self.recommendation.option if self.recommendation else None

    @property
    def recommended_option_id(self) -> str | None:
        return self.recommended.option_id if self.recommended else None

    def why(self, option: ComputedOption) -> RecommendationRule | None:
        """The step of the recommendation rule that chose `option`; None unless it is the recommended one."""
        return self.recommendation.rule if self.recommendation and self.recommendation.option is option else None


def quote(
    position: LoanPosition, hardship: Hardship, evidence_verified: bool, installments: tuple[OwedInstallment, ...] = ()
) -> Menu:
    """The menu for `position`; `installments`: the loan's, as owed at the position's business
    date (ProjectedLoan.installments), for what continues beside an arrears plan."""
    options = plan_options(position, evidence_verified, hardship, installments)
    return Menu(position, hardship, options, recommend(options, hardship), installments)


@dataclass(frozen=True)
class _Facts:
    """What PlanOption states about an option beyond its schedule."""

    cost_vs_status_quo: Decimal
    payment_to_disposable_income: Decimal
    affordable: bool
    explanation: dict[str, str]
    plan_rate: Decimal
    continuing: tuple[OwedInstallment, ...]


def _facts(option: ComputedOption, menu: Menu) -> _Facts:
    return _Facts(
        cost_vs_status_quo=option.total_cost - menu.position.status_quo,
        payment_to_disposable_income=option.payment_to_disposable_income(menu.hardship),
        affordable=option.affordable(menu.hardship),
        explanation=explain(option, menu.why(option)),
        plan_rate=_plan_rate(option, menu.position),
        continuing=taken_over(
            option.effect, menu.position.business_date, menu.installments, option.columns.due_dates[-1]
        ).continuing,
    )


def _plan_rate(option: ComputedOption, position: LoanPosition) -> Decimal:
    """The yearly rate the plan charges: a reschedule re-amortizes the principal at the position's
    plan rate (the contract's, capped: DESIGN.md §4); an arrears plan re-dates what is owed and
    adds no interest. Written to `RATE_PLACES` in fixed point, as rates travel ("0.072000")."""
    rate = position.plan_rate if option.effect is PlanEffect.RESCHEDULE else Decimal(0)
    return rate.quantize(RATE_PLACES)


def _continuing(items: tuple[OwedInstallment, ...], currency: str) -> tuple[ContinuingInstallment, ...]:
    return tuple(
        ContinuingInstallment(sequence=item.sequence, due_date=item.due_date, amount=Money.of(item.owed, currency))
        for item in items
    )


def describe(menu: Menu) -> tuple[PlanOption, ...]:
    """Every option as a contract object."""
    return tuple(_describe(option, menu) for option in menu.options)


def _describe(option: ComputedOption, menu: Menu) -> PlanOption:
    currency = option.currency

    def money(amount: Decimal) -> Money:
        return Money.trusted(amount, currency)

    facts = _facts(option, menu)
    waived = option.waived
    return PlanOption(
        option_id=option.option_id,
        kind=option.kind,
        effect=option.effect,
        months=option.months,
        schedule=tuple(_line(line, currency) for line in option.schedule),
        first_payment=money(option.first_payment),
        largest_payment=money(option.largest_payment),
        total_payable=money(option.total_payable),
        waived=WaivedAmounts(
            penalty=Money.of(waived.penalty, currency),
            interest=Money.of(waived.interest, currency),
            fee=Money.of(waived.fee, currency),
            total=Money.of(waived.total, currency),
        ),
        waiver_conditional=waived.total > 0,
        cost_vs_status_quo=Money.of(facts.cost_vs_status_quo, currency),
        payment_to_disposable_income=facts.payment_to_disposable_income,
        affordable=facts.affordable,
        needs_supervisor=option.needs_supervisor,
        explanation=facts.explanation,
        continuing_installments=_continuing(facts.continuing, currency),
        plan_rate=facts.plan_rate,
    )


def _line(line: PlanLine, currency: str) -> PlanInstallmentLine:
    return PlanInstallmentLine.model_construct(
        sequence=line.sequence,
        due_date=line.due_date,
        principal=Money.trusted(line.principal, currency),
        interest=Money.trusted(line.interest, currency),
        penalty=Money.trusted(line.penalty, currency),
        fee=Money.trusted(line.fee, currency),
        total=Money.trusted(line.total, currency),
    )


def render_offer(
    menu: Menu,
    *,
    offer_id: uuid.UUID,
    application_id: uuid.UUID,
    loan_id: uuid.UUID,
    basis_business_date: date,
    valid_until: datetime,
    supersedes_offer_id: uuid.UUID | None,
) -> str:
    """The PlanOffered payload (version 2) as JSON, exactly as the contract would serialize it."""
    head = json.dumps(
        {
            "offer_id": str(offer_id),
            "application_id": str(application_id),
            "loan_id": str(loan_id),
            "basis_business_date": basis_business_date.isoformat(),
            "disposable_income": _disposable_income(menu),
            "recommended_option_id": menu.recommended_option_id,
            "valid_until": valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "supersedes_offer_id": str(supersedes_offer_id) if supersedes_offer_id else None,
        },
        ensure_ascii=False,
    )
    return f'{head[:-1]},"options":{render_options(menu)}}}'


def render_quote(menu: Menu) -> str:
    """The quote's answer (entrypoints/http.py QuoteOut) as JSON: the offer's options, compact."""
    head = json.dumps(
        {"disposable_income": _disposable_income(menu), "recommended_option_id": menu.recommended_option_id},
        ensure_ascii=False,
    )
    return f'{head[:-1]},"options":{render_options(menu)}}}'


def _disposable_income(menu: Menu) -> dict[str, str]:
    disposable = menu.hardship.disposable_income
    return {"amount": str(disposable.amount), "currency": disposable.currency}


def render_options(menu: Menu) -> str:
    """Every option as PlanOffered version 2 carries it (OfferedOption), a JSON array."""
    return "[" + ",".join(_render_option(option, menu) for option in menu.options) + "]"


def _strings(values: Iterable[object]) -> str:
    """A JSON array of the values' str(): dates (ISO) and decimals, which need no escaping."""
    joined = '","'.join(map(str, values))
    return f'["{joined}"]' if joined else "[]"


def _amounts(column: tuple[Decimal, ...]) -> str:
    """A schedule's amount column: empty when zero on every line (ScheduleColumns.column)."""
    return _strings(ScheduleColumns.column(column))


def _render_option(option: ComputedOption, menu: Menu) -> str:
    columns = option.columns
    facts = _facts(option, menu)
    unit = minor_unit(option.currency)
    waived = option.waived
    head = json.dumps(
        {
            "option_id": option.option_id,
            "kind": option.kind.value,
            "effect": option.effect.value,
            "months": option.months,
            "currency": option.currency,
            "waiver_conditional": waived.total > 0,
            "payment_to_disposable_income": str(facts.payment_to_disposable_income),
            "affordable": facts.affordable,
            "needs_supervisor": option.needs_supervisor,
            "explanation": facts.explanation,
            "plan_rate": str(facts.plan_rate),
            "first_payment": str(option.first_payment),
            "largest_payment": str(option.largest_payment),
            "total_payable": str(option.total_payable),
            "cost_vs_status_quo": str(facts.cost_vs_status_quo.quantize(unit)),
            "waived": {
                "penalty": str(waived.penalty.quantize(unit)),
                "interest": str(waived.interest.quantize(unit)),
                "fee": str(waived.fee.quantize(unit)),
                "total": str(waived.total.quantize(unit)),
            },
        },
        ensure_ascii=False,
    )
    continuing = facts.continuing
    schedule = (
        f'{{"due_date":{_strings(columns.due_dates)},"principal":{_amounts(columns.principal)},'
        f'"interest":{_amounts(columns.interest)},"penalty":{_amounts(columns.penalty)},"fee":{_amounts(columns.fee)}}}'
    )
    beside = (
        f'{{"sequence":[{",".join(str(item.sequence) for item in continuing)}],'
        f'"due_date":{_strings(item.due_date for item in continuing)},'
        f'"amount":{_strings(item.owed.quantize(unit) for item in continuing)}}}'
    )
    return f'{head[:-1]},"continuing_installments":{beside},"schedule":{schedule}}}'
