"""The stateless quote endpoint: a loan's position and a hardship in, the options out — for
agents' what-if questions and the console. Nothing is stored or published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, model_validator

from plan_calculation.application.offers import describe, quote
from plan_calculation.domain.menu import LoanPosition
from plan_calculation.domain.options import Hardship
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.plans import PlanOption
from tideover_contracts.money import Money, Rate
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.http import problem
from tideover_runtime.service import Resources


class OverdueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    principal: Money
    interest: Money
    fee: Money
    penalty: Money


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_date: date
    overdue: OverdueIn
    outstanding_principal: Money
    contract_rate: Rate
    future_installments: list[Money] = Field(
        default_factory=list, max_length=60, description="What is still owed on each installment not yet due"
    )
    monthly_income: Money
    essential_expenses: Money
    evidence_verified: bool = False
    jurisdiction: Jurisdiction = Field(
        default=Jurisdiction.CN, description="Decides the charges cap on the rate a plan charges (DESIGN.md §4)"
    )

    @model_validator(mode="after")
    def _one_currency(self) -> QuoteIn:
        amounts = [
            *self.overdue.__dict__.values(),
            self.outstanding_principal,
            *self.future_installments,
            self.monthly_income,
            self.essential_expenses,
        ]
        if len({money.currency for money in amounts}) != 1:
            raise ValueError("all amounts must be in one currency")
        return self


class QuoteOut(BaseModel):
    disposable_income: Money
    recommended_option_id: str | None
    options: list[PlanOption]


def add_routes(app: FastAPI, _: Callable[[], Resources], caps: ChargeCaps | None = None) -> None:
    caps = caps or ChargeCaps()

    @app.post(
        "/v1/quotes", response_model=QuoteOut, responses={422: {"description": "Invalid input, problem+json naming the field"}}
    )
    async def post_quote(request: QuoteIn) -> Any:
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
        hardship = Hardship.from_budget(request.monthly_income, request.essential_expenses)
        menu = quote(position, hardship, request.evidence_verified)
        return QuoteOut(
            disposable_income=hardship.disposable_income,
            recommended_option_id=menu.recommended_option_id,
            options=list(describe(menu)),
        )
