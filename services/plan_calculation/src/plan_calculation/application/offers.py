"""Options as the contracts carry them, for an offer or a quote.

An offer carries every option with its full schedule: hundreds of lines. `describe` builds
them as contract objects (the quote endpoint, tests); `render_offer` writes the same
PlanOffered payload straight as JSON, several times faster, for the offers published at the
rate negotiations arrive. tests/unit/test_offer_rendering.py parses what it renders with the
contract and compares it with `describe`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from plan_calculation.domain.explanations import explain
from plan_calculation.domain.menu import LoanPosition, plan_options
from plan_calculation.domain.options import ComputedOption, Hardship, PlanLine
from plan_calculation.domain.recommendation import Recommendation, RecommendationRule, recommend
from tideover_contracts.common import PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.plans import PlanOption
from tideover_contracts.money import Money, minor_unit


@dataclass(frozen=True)
class Menu:
    """Every option the policy allows for one position and hardship, and the recommended one."""

    position: LoanPosition
    hardship: Hardship
    options: list[ComputedOption]
    recommendation: Recommendation | None

    @property
    def recommended(self) -> ComputedOption | None:
        return self.recommendation.option if self.recommendation else None

    @property
    def recommended_option_id(self) -> str | None:
        return self.recommended.option_id if self.recommended else None

    def why(self, option: ComputedOption) -> RecommendationRule | None:
        """The step of the recommendation rule that chose `option`; None unless it is the recommended one."""
        return self.recommendation.rule if self.recommendation and self.recommendation.option is option else None


def quote(position: LoanPosition, hardship: Hardship, evidence_verified: bool) -> Menu:
    options = plan_options(position, evidence_verified, hardship)
    return Menu(position, hardship, options, recommend(options, hardship))


@dataclass(frozen=True)
class _Facts:
    """What PlanOption states about an option beyond its schedule."""

    cost_vs_status_quo: Decimal
    payment_to_disposable_income: Decimal
    affordable: bool
    explanation: dict[str, str]


def _facts(option: ComputedOption, menu: Menu) -> _Facts:
    return _Facts(
        cost_vs_status_quo=option.total_cost - menu.position.status_quo,
        payment_to_disposable_income=option.payment_to_disposable_income(menu.hardship),
        affordable=option.affordable(menu.hardship),
        explanation=explain(option, menu.why(option)),
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
    """The PlanOffered payload as JSON, exactly as the contract would serialize it."""
    disposable = menu.hardship.disposable_income
    head = json.dumps(
        {
            "offer_id": str(offer_id),
            "application_id": str(application_id),
            "loan_id": str(loan_id),
            "basis_business_date": basis_business_date.isoformat(),
            "disposable_income": {"amount": str(disposable.amount), "currency": disposable.currency},
            "recommended_option_id": menu.recommended_option_id,
            "valid_until": valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "supersedes_offer_id": str(supersedes_offer_id) if supersedes_offer_id else None,
        },
        ensure_ascii=False,
    )
    options = ",".join(_render_option(option, menu) for option in menu.options)
    return f'{head[:-1]},"options":[{options}]}}'


def _money_json(currency: str) -> str:
    return '{"amount":"%s","currency":' + json.dumps(currency) + "}"


def _render_option(option: ComputedOption, menu: Menu) -> str:
    money = _money_json(option.currency)
    line_json = (
        '{"sequence":%d,"due_date":"%s","principal":' + money + ',"interest":' + money + ',"penalty":' + money
        + ',"fee":' + money + ',"total":' + money + "}"
    )  # fmt: skip
    schedule = ",".join([line_json % row for row in option.columns.rows()])
    facts = _facts(option, menu)
    unit = minor_unit(option.currency)
    waived = option.waived
    head = json.dumps(
        {
            "option_id": option.option_id,
            "kind": option.kind.value,
            "effect": option.effect.value,
            "months": option.months,
            "waiver_conditional": waived.total > 0,
            "payment_to_disposable_income": str(facts.payment_to_disposable_income),
            "affordable": facts.affordable,
            "needs_supervisor": option.needs_supervisor,
            "explanation": facts.explanation,
        },
        ensure_ascii=False,
    )
    amounts = (
        ',"first_payment":' + money % option.first_payment
        + ',"largest_payment":' + money % option.largest_payment
        + ',"total_payable":' + money % option.total_payable
        + ',"cost_vs_status_quo":' + money % Money.of(facts.cost_vs_status_quo, option.currency).amount
        + ',"waived":{"penalty":' + money % waived.penalty.quantize(unit)
        + ',"interest":' + money % waived.interest.quantize(unit)
        + ',"fee":' + money % waived.fee.quantize(unit) + ',"total":' + money % waived.total.quantize(unit) + "}"
    )  # fmt: skip
    return f'{head[:-1]}{amounts},"schedule":[{schedule}]}}'
