"""`plans.offers.v2`: what plan-calculation offers and activates.

Version 2 (2026-12-08) carries each offered option compactly (`OfferedOption`): one currency per
option, its amounts as decimal strings, its schedule and continuing installments as columns. An
offer for a 36-month loan was 142 KiB in version 1, where every schedule line carried five Money
objects. `PlanOffered.options` gives the options in the shape readers use (`PlanOption`, lines of
Money); `OfferedOption.expanded` and `OfferedOption.of` are the one conversion each way."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from tideover_contracts.common import ContinuingInstallment, Frozen, PlanInstallmentLine, PlanMonth, WaivedAmounts, plan_months
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import EFFECT_OF_KIND, OptionKind, PlanEffect
from tideover_contracts.events.offered_option import (
    ContinuingColumns,
    OfferedOption,
    OfferedWaiver,
    ScheduleColumns,
    compact,
    is_expanded,
)
from tideover_contracts.events.plan_option import PlanOption
from tideover_contracts.money import Money

#: ContinuingInstallment and PlanMonth live in common (the written plan needs them too) and are
#: still importable from here, where consumers found them first.
__all__ = [
    "ContinuingColumns",
    "ContinuingInstallment",
    "OfferExpired",
    "OfferedOption",
    "OfferedWaiver",
    "PlanActivated",
    "PlanMonth",
    "PlanOffered",
    "PlanOption",
    "PlanRejected",
    "RejectionReason",
    "ScheduleColumns",
]


class PlanOffered(Event):
    """The options for one application, valid until `valid_until`.

    On the wire `options` holds each option compactly (OfferedOption, version 2); in Python
    `options` gives them expanded (PlanOption, computed once) and `offered_options` as carried.
    Built from expanded options (PlanOption, or an offer stored in version 1's shape), it
    compacts them."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    event_type: ClassVar[str] = "PlanOffered"
    schema_version: ClassVar[int] = 2

    offer_id: uuid.UUID
    application_id: uuid.UUID
    loan_id: uuid.UUID
    basis_business_date: date = Field(description="The overdue status the options were computed from")
    disposable_income: Money
    offered_options: tuple[OfferedOption, ...] = Field(min_length=1, alias="options")
    recommended_option_id: str | None
    valid_until: AwareDatetime
    supersedes_offer_id: uuid.UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def _compact_expanded_options(cls, data: Any) -> Any:
        if isinstance(data, dict):
            key = "options" if "options" in data else "offered_options"
            options = data.get(key)
            if isinstance(options, list | tuple) and any(is_expanded(option) for option in options):
                return {**data, key: [compact(option) for option in options]}
        return data

    @cached_property
    def options(self) -> tuple[PlanOption, ...]:
        """Every option in the shape readers use (PlanOption), expanded from the columns once."""
        return tuple(option.expanded() for option in self.offered_options)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's; `options` may be updated in the shape readers use (PlanOption), and
        the copy expands its own options again."""
        changes = dict(update or {})
        if "options" in changes:
            changes["offered_options"] = tuple(compact(option) for option in changes.pop("options"))
        copied = super().model_copy(update=changes, deep=deep)
        copied.__dict__.pop("options", None)
        return copied


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
