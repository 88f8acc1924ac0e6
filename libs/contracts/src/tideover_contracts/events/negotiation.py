"""`negotiation.applications.v1`: what agents and borrowers decide in negotiation-intake."""

from __future__ import annotations

import uuid
from datetime import date, time
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from tideover_contracts.common import (
    Channel,
    ContactRef,
    ContinuingInstallment,
    Frozen,
    PlanInstallmentLine,
    PlanMonth,
    WaivedAmounts,
    plan_months,
)
from tideover_contracts.envelope import Event
from tideover_contracts.events.overdue import LedgerPosition
from tideover_contracts.money import Money, Rate


class HardshipReason(StrEnum):
    UNEMPLOYMENT = "unemployment"
    ILLNESS = "illness"
    INCOME_REDUCTION = "income_reduction"
    DISASTER = "disaster"
    FAMILY_EMERGENCY = "family_emergency"
    OTHER = "other"


class EvidenceKind(StrEnum):
    INCOME_PROOF = "income_proof"
    UNEMPLOYMENT_PROOF = "unemployment_proof"
    MEDICAL_RECORD = "medical_record"
    DISASTER_PROOF = "disaster_proof"
    OTHER = "other"


class OptionKind(StrEnum):
    TERM_EXTENSION = "term_extension"
    ARREARS_INSTALLMENTS = "arrears_installments"
    WAIVER = "waiver"
    WAIVER_WITH_TERM_EXTENSION = "waiver_with_term_extension"
    WAIVER_WITH_ARREARS_INSTALLMENTS = "waiver_with_arrears_installments"


class PlanEffect(StrEnum):
    """What a plan does to the loan's ledger (DESIGN.md §3a), the same in every service.

    `arrears`: the arrears at the offer's basis date become the plan's installments; regular
    installments due later stay due. `reschedule`: the plan replaces the loan's whole remaining
    schedule; the old unpaid installments are marked rescheduled (never settled)."""

    ARREARS = "arrears"
    RESCHEDULE = "reschedule"


#: The effect of each kind of option: one home for the rule (DESIGN.md §3a).
EFFECT_OF_KIND: dict[OptionKind, PlanEffect] = {
    OptionKind.ARREARS_INSTALLMENTS: PlanEffect.ARREARS,
    OptionKind.WAIVER: PlanEffect.ARREARS,
    OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS: PlanEffect.ARREARS,
    OptionKind.TERM_EXTENSION: PlanEffect.RESCHEDULE,
    OptionKind.WAIVER_WITH_TERM_EXTENSION: PlanEffect.RESCHEDULE,
}


class EvidenceRef(Frozen):
    document_id: uuid.UUID
    kind: EvidenceKind
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    verified: bool


class Hardship(Frozen):
    reason: HardshipReason
    description: str = Field(max_length=4000)
    monthly_income: Money
    essential_expenses: Money
    evidence: tuple[EvidenceRef, ...] = ()


class NegotiationRequested(Event):
    """An agent submitted a borrower's hardship application."""

    event_type: ClassVar[str] = "NegotiationRequested"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    borrower_id: str
    hardship: Hardship
    requested_options: tuple[OptionKind, ...] = ()
    agent_id: str
    submitted_at: AwareDatetime
    #: Since 1.x (optional): the loan's position in the ledger on the business date the request
    #: was submitted, read from overdue-detection: the basis the offer is priced on (DESIGN.md
    #: §3a). Absent, plan-calculation prices on the last overdue status reported.
    basis: LedgerPosition | None = None


class PlanOptionChosen(Event):
    """The borrower chose one option of an offer: with an agent, or on their own page."""

    event_type: ClassVar[str] = "PlanOptionChosen"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    offer_id: uuid.UUID
    option_id: str
    agent_id: str = Field(
        description="The agent who recorded the choice, or `borrower-page` when the borrower chose on their own page "
        "(since 2026-12-08; no agent's key may carry an id beginning with `borrower`)"
    )
    needs_supervisor: bool
    chosen_at: AwareDatetime


class WrittenPlan(Frozen):
    """The plan as the borrower reads it: schedule, totals and what is waived on what terms; for
    an arrears plan, the regular installments each month asks for beside it (DESIGN.md §3a)."""

    option_id: str
    kind: OptionKind
    schedule: tuple[PlanInstallmentLine, ...]
    total_payable: Money
    waived: WaivedAmounts
    waiver_conditional: bool
    first_due_date: date
    effect: PlanEffect | None = Field(
        default=None, description="What the plan does to the loan's ledger (DESIGN.md §3a); absent: the kind's effect"
    )
    basis_business_date: date | None = Field(
        default=None, description="The business date the offer fixed the loan's arrears on; absent in older events"
    )
    continuing_installments: tuple[ContinuingInstallment, ...] = Field(
        default=(),
        description="Arrears plans: the loan's regular installments due during the plan, asked for beside it (the offer's)",
    )
    plan_rate: Rate | None = Field(
        default=None,
        description="The yearly interest rate the plan charges (the offer's; 0 for arrears plans); absent in older events",
    )

    @property
    def plan_effect(self) -> PlanEffect:
        return self.effect or EFFECT_OF_KIND[self.kind]

    def months(self) -> tuple[PlanMonth, ...]:
        """What the borrower will owe each plan month, by the rule PlanActivated.months() applies
        (the offer's basis date opens the first month; the activation day is not known yet)."""
        continuing = self.continuing_installments if self.plan_effect is PlanEffect.ARREARS else ()
        return plan_months(self.schedule, continuing, self.basis_business_date)


class PlanSentToBorrower(Event):
    """The written plan and its one-time confirmation code go to the borrower."""

    event_type: ClassVar[str] = "PlanSentToBorrower"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    offer_id: uuid.UUID
    plan: WrittenPlan
    confirmation_code: str = Field(pattern=r"^[0-9]{6}$", description="One-time code, valid until code_expires_at")
    code_expires_at: AwareDatetime
    contact: ContactRef
    sent_at: AwareDatetime


class ConfirmationChannel(StrEnum):
    RECORDED_CALL = "recorded_call"
    BORROWER_CONFIRM_ENDPOINT = "borrower_confirm_endpoint"


class PlanAccepted(Event):
    """The borrower confirmed the written plan with the right code."""

    event_type: ClassVar[str] = "PlanAccepted"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    offer_id: uuid.UUID
    option_id: str
    confirmed_via: ConfirmationChannel
    accepted_at: AwareDatetime


class PlanDeclined(Event):
    event_type: ClassVar[str] = "PlanDeclined"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    offer_id: uuid.UUID
    reason: str
    declined_at: AwareDatetime


class NegotiationWithdrawn(Event):
    event_type: ClassVar[str] = "NegotiationWithdrawn"

    application_id: uuid.UUID
    loan_id: uuid.UUID
    reason: str
    withdrawn_at: AwareDatetime


class BorrowerCodeRequested(Event):
    """The borrower asked on their page for a one-time code to confirm a change they are making
    there (issue 21): notification sends it at once by SMS to the phone on file. The change waits
    in negotiation-intake, bound to the borrower's session, until the code is entered; intake
    keeps only the code's keyed hash. Since 2026-12-08 (libs/contracts/CHANGELOG.md)."""

    event_type: ClassVar[str] = "BorrowerCodeRequested"

    request_id: uuid.UUID = Field(description="The pending change the code confirms (one id per code sent)")
    loan_id: uuid.UUID
    borrower_id: str
    change: str = Field(
        max_length=64,
        description="What the code confirms, for the message's wording: `hardship_application` (I need help), "
        "`option_choice` (My options), `contact_preferences` (How we contact you); a value a reader does not know "
        "is told as a change on the borrower's page",
    )
    confirmation_code: str = Field(pattern=r"^[0-9]{6}$", description="One-time code, valid until code_expires_at")
    code_expires_at: AwareDatetime
    requested_at: AwareDatetime


class PreferredHours(Frozen):
    """The hours of the day, in the borrower's local time, when they prefer to be contacted:
    from `start` up to (not including) `end`, within one day, on whole or half hours. Notification
    keeps them within the jurisdiction's legal window: never a contact outside it."""

    start: time = Field(description="Local time, on the hour or the half hour (e.g. 09:00 or 09:30)")
    end: time = Field(description="Local time after `start`, on the hour or the half hour; not included")

    @model_validator(mode="after")
    def _whole_or_half_hours_in_order(self) -> Self:
        for moment in (self.start, self.end):
            if moment.tzinfo is not None or moment.minute not in (0, 30) or moment.second or moment.microsecond:
                raise ValueError("preferred hours are local times on the hour or the half hour")
        if self.start >= self.end:
            raise ValueError("preferred hours end after they start, within one day")
        return self


class ContactPreferencesChosen(Event):
    """The borrower chose on their page how we contact them (issue 21, *How we contact you*) and
    confirmed it with the code sent to their phone: the channels in their order of preference,
    the channels they opted out of, and the hours they prefer. Notification honours them within
    the law of the borrower's jurisdiction; they add to what upstream states
    (BorrowerContactChanged), never lift it. Each choice replaces the one before. Since
    2026-12-08 (libs/contracts/CHANGELOG.md)."""

    event_type: ClassVar[str] = "ContactPreferencesChosen"

    change_id: uuid.UUID = Field(description="The confirmed change on the borrower's page (the event id derives from it)")
    loan_id: uuid.UUID
    borrower_id: str
    preferred_channels: tuple[Channel, ...] = Field(description="In the borrower's order of preference, first first")
    opted_out_channels: tuple[Channel, ...] = Field(
        default=(), description="Channels the borrower asked not to be contacted on (beside upstream's opt-outs)"
    )
    preferred_hours: PreferredHours | None = Field(default=None, description="None: any time the law allows")
    chosen_at: AwareDatetime

    @model_validator(mode="after")
    def _each_channel_once(self) -> Self:
        named = [*self.preferred_channels, *self.opted_out_channels]
        if len(named) != len(set(named)):
            raise ValueError("a channel is named once: preferred or opted out")
        return self
