"""`plans.offers.v1`: what plan-calculation offers and activates."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from tideover_contracts.common import ContinuingInstallment, Frozen, PlanInstallmentLine, PlanMonth, WaivedAmounts, plan_months
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import EFFECT_OF_KIND, OptionKind, PlanEffect
from tideover_contracts.money import DecimalString, Money, Rate
from tideover_contracts.outflow import Outflow

#: ContinuingInstallment and PlanMonth live in common (the written plan needs them too) and are
#: still importable from here, where consumers found them first.
__all__ = [
    "ContinuingInstallment",
    "OfferExpired",
    "PlanActivated",
    "PlanMonth",
    "PlanOffered",
    "PlanOption",
    "PlanRejected",
    "RejectionReason",
]


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


class PlanOffered(Event):
    """The options for one application, valid until `valid_until`."""

    event_type: ClassVar[str] = "PlanOffered"

    offer_id: uuid.UUID
    application_id: uuid.UUID
    loan_id: uuid.UUID
    basis_business_date: date = Field(description="The overdue status the options were computed from")
    disposable_income: Money
    options: tuple[PlanOption, ...] = Field(min_length=1)
    recommended_option_id: str | None
    valid_until: AwareDatetime
    supersedes_offer_id: uuid.UUID | None = None


class RejectionReason(Frozen):
    code: str
    message: str


class PlanRejected(Event):
    """No plan can be offered; the reasons say why."""

    event_type: ClassVar[str] = "PlanRejected"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    reasons: tuple[RejectionReason, ...] = Field(min_length=1)
    disposable_income_needed: Money | None = Field(
        default=None, description="The lowest disposable income that would make an option affordable"
    )
    offer_id: uuid.UUID | None = Field(default=None, description="Set when an acceptance was refused")


class PlanActivated(Event):
    """A confirmed plan is in force: the final schedule and the conditional waiver.

    `effect` says what it does to the loan's ledger (DESIGN.md §3a): `arrears` re-dates the
    installments in `replaced_installments` (due on or before `basis_business_date`) into the
    plan's schedule while `continuing_installments` stay due; `reschedule` replaces every
    installment in `replaced_installments` (the loan's whole remaining schedule)."""

    event_type: ClassVar[str] = "PlanActivated"

    plan_id: uuid.UUID
    offer_id: uuid.UUID
    option_id: str
    application_id: uuid.UUID
    loan_id: uuid.UUID
    kind: OptionKind
    activated_on: date
    schedule: tuple[PlanInstallmentLine, ...] = Field(min_length=1)
    total_payable: Money
    conditional_waiver: WaivedAmounts
    effect: PlanEffect | None = Field(default=None, description="Absent in older events: the kind's effect")
    basis_business_date: date | None = Field(default=None, description="The business date the plan's arrears were fixed on")
    replaced_installments: tuple[int, ...] = Field(
        default=(), description="Sequences of the loan's installments the plan re-dates (arrears) or replaces (reschedule)"
    )
    continuing_installments: tuple[ContinuingInstallment, ...] = Field(
        default=(), description="Arrears plans: regular installments due during the plan, asked for beside it"
    )

    @property
    def plan_effect(self) -> PlanEffect:
        return self.effect or EFFECT_OF_KIND[self.kind]

    def months(self) -> tuple[PlanMonth, ...]:
        """What the borrower owes each plan month (DESIGN.md §3a): the plan's installment plus
        every continuing regular installment due since the previous plan month (the first month
        from the activation day). The written plan shows them and their sum; tracking judges the sum."""
        since = min(self.activated_on, self.basis_business_date or self.activated_on)
        return plan_months(self.schedule, self.continuing_installments, since)


class OfferExpired(Event):
    event_type: ClassVar[str] = "OfferExpired"

    offer_id: uuid.UUID
    application_id: uuid.UUID
    loan_id: uuid.UUID
    expired_at: AwareDatetime
