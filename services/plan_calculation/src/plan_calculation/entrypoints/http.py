"""The stateless quote endpoint: a loan's position and a hardship in, the options out — for
agents' what-if questions and the console. Nothing is stored or published. It takes a service
key granting quote (tideover_runtime.service_auth)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from plan_calculation.application.offers import quote, render_quote
from plan_calculation.domain.options import Hardship, holiday_grounds
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason
from tideover_contracts.events.plans import OfferedOption
from tideover_contracts.money import InputMoney, Money, Rate
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.http import problem, problem_response
from tideover_runtime.service import Resources, Routes, query_api
from tideover_runtime.service_auth import REFUSALS, requires
from tideover_runtime.service_keys import Right

#: The business dates a quote takes: far wider than any loan book, and narrow enough that every
#: due date of every plan (at most 60 months on, DESIGN.md §4) is a date Python and Postgres hold.
FIRST_BUSINESS_DATE, LAST_BUSINESS_DATE = date(2000, 1, 1), date(2100, 12, 31)

BusinessDate = Annotated[
    date,
    Field(
        ge=FIRST_BUSINESS_DATE,
        le=LAST_BUSINESS_DATE,
        description=f"The day the quote is for, from {FIRST_BUSINESS_DATE} to {LAST_BUSINESS_DATE}",
        json_schema_extra={"pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"},
    ),
]

#: The contract's yearly rate, its range [0, 1] said by the schema's pattern too (so that
#: generated requests, schemathesis's among them, keep to it).
ContractRate = Annotated[
    Rate,
    WithJsonSchema({"type": "string", "pattern": r"^(0(\.[0-9]+)?|1(\.0+)?)$", "description": "fraction per year in [0, 1]"}),
]


#: The most bytes a quote request may have: 60 future installments and the rest take a few KiB.
QUOTE_BODY_BYTES = 64 * 1024


def _in_currency(money: Money, currency: str | None) -> Money:
    """`money`, if in `currency` (None: the field that decides it failed, and says so itself)."""
    if currency is not None and money.currency != currency:
        raise PydanticCustomError(
            "currency_mismatch",
            "{currency} is not the loan's currency {expected}: all amounts must be in one currency",
            {"currency": money.currency, "expected": currency},
        )
    return money


class OverdueIn(BaseModel):
    """What is overdue, by component, all in the loan's currency (the principal's)."""

    model_config = ConfigDict(extra="forbid")

    principal: InputMoney
    interest: InputMoney
    fee: InputMoney
    penalty: InputMoney

    @field_validator("interest", "fee", "penalty")
    @classmethod
    def _in_the_loans_currency(cls, money: Money, info: ValidationInfo) -> Money:
        principal = info.data.get("principal")
        return _in_currency(money, principal.currency if principal else None)


class QuoteIn(BaseModel):
    """A loan's position and a hardship. Every amount is in the loan's currency (the overdue
    principal's), and the outstanding principal includes the overdue principal."""

    model_config = ConfigDict(extra="forbid")

    business_date: BusinessDate
    overdue: OverdueIn
    outstanding_principal: InputMoney = Field(description="All principal not yet repaid, the overdue principal included")
    contract_rate: ContractRate
    future_installments: list[InputMoney] = Field(
        default_factory=list, max_length=60, description="What is still owed on each installment not yet due"
    )
    monthly_income: InputMoney
    essential_expenses: InputMoney
    evidence_verified: bool = Field(
        default=False,
        description="Whether hardship evidence is verified: only then is the penalty waived, and a waiver "
        "offered beside affordable plans (DESIGN.md §4). Implied by any `verified_evidence`",
    )
    hardship_reason: HardshipReason | None = Field(
        default=None,
        description="Why the borrower is in difficulty, as in the application; with `verified_evidence`, "
        "decides whether a payment holiday may be offered (DESIGN.md §4: verified unemployment, illness or "
        "disaster). Absent: none is",
    )
    verified_evidence: list[EvidenceKind] = Field(
        default_factory=list,
        max_length=len(EvidenceKind),
        description="The kinds of hardship evidence verified (unemployment_proof proves unemployment, "
        "medical_record illness, disaster_proof a disaster)",
    )
    jurisdiction: Jurisdiction = Field(
        default=Jurisdiction.CN, description="Decides the charges cap on the rate a plan charges (DESIGN.md §4)"
    )

    @field_validator("monthly_income", "essential_expenses")
    @classmethod
    def _in_the_loans_currency(cls, money: Money, info: ValidationInfo) -> Money:
        return _in_currency(money, _loan_currency(info))

    @field_validator("future_installments")
    @classmethod
    def _each_in_the_loans_currency(cls, installments: list[Money], info: ValidationInfo) -> list[Money]:
        currency = _loan_currency(info)
        return [_in_currency(installment, currency) for installment in installments]

    @field_validator("outstanding_principal")
    @classmethod
    def _includes_the_overdue_principal(cls, money: Money, info: ValidationInfo) -> Money:
        _in_currency(money, _loan_currency(info))
        overdue = info.data.get("overdue")
        if overdue is not None and money.amount < overdue.principal.amount:
            raise PydanticCustomError(
                "outstanding_below_overdue",
                "{amount} is less than the overdue principal {overdue}, which it includes",
                {"amount": str(money.amount), "overdue": str(overdue.principal.amount)},
            )
        return money

    @property
    def any_evidence_verified(self) -> bool:
        """Whether some evidence is verified, as an offer judges it: a document of any kind."""
        return self.evidence_verified or bool(self.verified_evidence)


def _hardship(request: QuoteIn) -> Hardship:
    """The request's hardship, grounds for a payment holiday by the rule an offer applies
    (application/handlers.py `when_negotiation_requested_offer_plans`)."""
    grounds = request.hardship_reason is not None and holiday_grounds(request.hardship_reason, request.verified_evidence)
    return Hardship.from_budget(request.monthly_income, request.essential_expenses, holiday_grounds=grounds)


def _loan_currency(info: ValidationInfo) -> str | None:
    overdue = info.data.get("overdue")
    return overdue.principal.currency if isinstance(overdue, OverdueIn) else None


class QuoteOut(BaseModel):
    """The options as an offer carries them (PlanOffered version 2: each option compact, its
    amounts decimal strings in its currency, its schedule as columns). Rendered straight as JSON
    (application/offers.py `render_quote`; tests/unit/test_quote_endpoint.py checks it parses to this)."""

    disposable_income: Money
    recommended_option_id: str | None
    options: list[OfferedOption]


QUOTE_DESCRIPTION = """A what-if: the options an offer would carry for this position and hardship
(DESIGN.md §4), each with its schedule, cost and affordability, and the one recommended. Nothing
is stored or published.

A payment holiday (options `holiday-…`, a supervisor approves) is offered only for a
`hardship_reason` of unemployment, illness or disaster with its proof among `verified_evidence`
(unemployment_proof, medical_record, disaster_proof), and only when no option within the agent's
authority is affordable. Without `hardship_reason` and `verified_evidence`, no holiday is quoted.

Every amount is in the loan's currency, a decimal string; each option names its `currency` once
and gives its schedule as columns (line n is the n-th value of each column, sequence n; a line's
total is the sum of its parts), as PlanOffered version 2 on `plans.offers.v2` carries it. A bad
input is a 422 problem+json naming the field."""


router = APIRouter()


async def _caps(request: Request) -> ChargeCaps:
    """The charges caps the service was configured with (set on the app by `routes`); async, so
    that FastAPI does not run it in a worker thread (a thread hop a request)."""
    caps: ChargeCaps = request.app.state.caps
    return caps


@router.post(
    "/v1/quotes",
    response_model=QuoteOut,
    responses={
        **REFUSALS,
        422: problem_response("Invalid input, naming the field (`errors`), or a rule the schema cannot say"),
    },
    dependencies=[requires(Right.QUOTE)],
    summary="Every plan option for a loan's position and a hardship, and the recommended one",
    description=QUOTE_DESCRIPTION,
)
async def post_quote(request: QuoteIn, caps: Annotated[ChargeCaps, Depends(_caps)]) -> Any:
    currency = request.outstanding_principal.currency
    position = LoanPosition(
        currency=currency,
        business_date=request.business_date,
        principal=request.overdue.principal.amount,
        interest=request.overdue.interest.amount,
        fee=request.overdue.fee.amount,
        penalty=request.overdue.penalty.amount,
        outstanding_principal=request.outstanding_principal.amount,
        contract_rate=request.contract_rate,
        future_installments=tuple(money.amount for money in request.future_installments),
        charges_cap=caps.cap_for(request.jurisdiction),
    )
    if position.overdue_total <= 0 and position.outstanding_principal <= 0:
        return problem(
            422,
            "Nothing to plan",
            "the loan has nothing overdue or outstanding",
            errors=[{"field": "overdue", "message": "is zero"}],
        )
    hardship = _hardship(request)
    menu = quote(position, hardship, request.any_evidence_verified)
    return Response(render_quote(menu), media_type="application/json")


def routes(caps: ChargeCaps | None = None) -> Routes:
    """The quote endpoint behind the service-key door, quoting with `caps`."""
    return query_api(router, body_limit_bytes=QUOTE_BODY_BYTES, caps=caps or ChargeCaps())


def add_routes(app: FastAPI, resources: Callable[[], Resources], caps: ChargeCaps | None = None) -> None:
    routes(caps)(app, resources)
