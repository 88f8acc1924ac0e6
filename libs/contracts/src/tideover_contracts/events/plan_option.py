"""PlanOption: one offered plan as readers use it, with a line of Money per month
(PlanOffered.options; plans.offers.v1 carried it so on the wire, version 2 carries OfferedOption)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self

from pydantic import Field, model_validator

from tideover_contracts.common import ContinuingInstallment, Frozen, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.negotiation import EFFECT_OF_KIND, OptionKind, PlanEffect
from tideover_contracts.money import DecimalString, Money, Rate
from tideover_contracts.outflow import Outflow


class PlanOption(Frozen):
    """One plan the policy allows, transparent enough to compare with the others."""

    option_id: str = Field(min_length=1)
    kind: OptionKind
    effect: PlanEffect | None = Field(
        default=None, description="What the plan does to the loan's ledger (DESIGN.md §3a); absent: the kind's effect"
    )
    months: int = Field(ge=1, le=60, description="Plan length in months (DESIGN.md §4: at most 60)")
    schedule: tuple[PlanInstallmentLine, ...] = Field(min_length=1)
    first_payment: Money
    largest_payment: Money
    total_payable: Money
    waived: WaivedAmounts
    waiver_conditional: bool = Field(description="A conditional waiver is reinstated if the plan breaks")
    cost_vs_status_quo: Money = Field(description="Total payable minus what the status quo would cost")
    payment_to_disposable_income: DecimalString = Field(
        description=(
            "The largest month the borrower pays under the plan (its line, and for an arrears plan the regular"
            " installments due that month) / (income − expenses), rounded up to 4 places: tideover_contracts.outflow"
        )
    )
    affordable: bool
    needs_supervisor: bool
    explanation: dict[str, str] = Field(description="One paragraph per locale (zh-CN, en)")
    continuing_installments: tuple[ContinuingInstallment, ...] = Field(
        default=(),
        description=(
            "Arrears plans: the loan's regular installments due during the plan, as owed at the basis date, which"
            " each plan month asks for beside its line (DESIGN.md §3a); the same ones PlanActivated will carry."
            " Empty for reschedule plans, and where the loan's installments are not known (a what-if quote)"
        ),
    )
    plan_rate: Rate | None = Field(
        default=None,
        description=(
            "The yearly interest rate the plan charges on what it re-amortizes: the contract rate, capped by the"
            " jurisdiction's charges cap (DESIGN.md §4); 0 for arrears plans, which add no interest. Absent in older offers"
        ),
    )

    @property
    def plan_effect(self) -> PlanEffect:
        """What the option does to the loan's ledger: its `effect`, else its kind's (DESIGN.md §3a)."""
        return self.effect or EFFECT_OF_KIND[self.kind]

    def outflow(self, basis: date) -> Outflow:
        """What the borrower pays each month of the plan, from the offer's `basis` date on: its lines,
        and for an arrears plan the continuing installments each month asks for beside its line
        (tideover_contracts.outflow, the rule `payment_to_disposable_income` and `affordable` state)."""
        return Outflow.of(
            self.plan_effect,
            [line.due_date for line in self.schedule],
            [line.total.amount for line in self.schedule],
            [(item.due_date, item.amount.amount) for item in self.continuing_installments],
            basis,
        )

    @model_validator(mode="after")
    def _totals_match_schedule(self) -> Self:
        currency = self.total_payable.currency
        scheduled = sum((line.total.amount for line in self.schedule), start=Decimal(0))
        if Money(amount=scheduled, currency=currency) != self.total_payable:
            raise ValueError(f"option {self.option_id}: total_payable is not the sum of its schedule")
        return self
