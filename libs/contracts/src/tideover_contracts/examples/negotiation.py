"""The golden events of negotiation intake and plan calculation."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from decimal import Decimal

from tideover_contracts.common import Channel
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import (
    BorrowerCodeRequested,
    ConfirmationChannel,
    ContactPreferencesChosen,
    EvidenceKind,
    EvidenceRef,
    Hardship,
    HardshipReason,
    NegotiationRequested,
    NegotiationWithdrawn,
    OptionKind,
    PlanAccepted,
    PlanDeclined,
    PlanEffect,
    PlanOptionChosen,
    PlanSentToBorrower,
    PreferredHours,
    WrittenPlan,
)
from tideover_contracts.events.offered_option import OfferedOption
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanOption, PlanRejected, RejectionReason
from tideover_contracts.examples.values import (
    APPLICATION_ID,
    AT,
    LOAN_ID,
    OFFER_ID,
    PLAN_ID,
    cny,
    contact_ref,
    continuing_installments,
    ledger_position,
    no_waiver,
    plan_schedule,
)


def negotiation_events() -> list[Event]:
    """Negotiation intake's events, from the application to the borrower's answer."""
    return [
        _negotiation_requested(),
        PlanOptionChosen(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            offer_id=OFFER_ID,
            option_id="arrears-3",
            agent_id="agent-007",
            needs_supervisor=False,
            chosen_at=AT,
        ),
        _plan_sent(),
        PlanAccepted(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            offer_id=OFFER_ID,
            option_id="arrears-3",
            confirmed_via=ConfirmationChannel.RECORDED_CALL,
            accepted_at=AT,
        ),
        PlanDeclined(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            offer_id=OFFER_ID,
            reason="Borrower prefers to pay in full next month",
            declined_at=AT,
        ),
        NegotiationWithdrawn(application_id=APPLICATION_ID, loan_id=LOAN_ID, reason="Borrower paid the arrears", withdrawn_at=AT),
        BorrowerCodeRequested(
            request_id=uuid.UUID("3c7d2b1a-6e5f-4d3c-8b2a-9f8e7d6c5b4a"),
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            change="hardship_application",
            confirmation_code="730164",
            code_expires_at=AT + timedelta(minutes=10),
            requested_at=AT,
        ),
        ContactPreferencesChosen(
            change_id=uuid.UUID("5e2f4a9c-1b7d-4c3e-9a8f-2d6b0c4e7f13"),
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            preferred_channels=(Channel.SMS, Channel.EMAIL),
            opted_out_channels=(Channel.VOICE_CALL,),
            preferred_hours=PreferredHours(start=time(9, 0), end=time(12, 30)),
            chosen_at=AT,
        ),
    ]


def plan_events() -> list[Event]:
    """Plan calculation's events: the offer or the rejection, the plan activated."""
    return [
        PlanOffered(
            offer_id=OFFER_ID,
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            basis_business_date=date(2026, 3, 15),
            disposable_income=cny("3000.00"),
            offered_options=(OfferedOption.of(_option()),),
            recommended_option_id="arrears-3",
            valid_until=AT + timedelta(days=7),
        ),
        PlanRejected(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            reasons=(
                RejectionReason(code="unaffordable", message="No option's largest payment is within 50% of disposable income"),
            ),
            disposable_income_needed=cny("2786.66"),
        ),
        PlanActivated(
            plan_id=PLAN_ID,
            offer_id=OFFER_ID,
            option_id="arrears-3",
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            kind=OptionKind.ARREARS_INSTALLMENTS,
            activated_on=date(2026, 3, 16),
            schedule=plan_schedule(),
            total_payable=cny("1045.00"),
            conditional_waiver=no_waiver(),
            effect=PlanEffect.ARREARS,
            basis_business_date=date(2026, 3, 15),
            replaced_installments=(1, 2),
            continuing_installments=continuing_installments(),
        ),
        OfferExpired(offer_id=OFFER_ID, application_id=APPLICATION_ID, loan_id=LOAN_ID, expired_at=AT + timedelta(days=7)),
    ]


def _negotiation_requested() -> NegotiationRequested:
    """The agent's application for the unemployed borrower, with its proof."""
    return NegotiationRequested(
        application_id=APPLICATION_ID,
        loan_id=LOAN_ID,
        borrower_id="B-000123",
        hardship=Hardship(
            reason=HardshipReason.UNEMPLOYMENT,
            description="Laid off in January; new job starts in April.",
            monthly_income=cny("4000.00"),
            essential_expenses=cny("1000.00"),
            evidence=(
                EvidenceRef(
                    document_id=uuid.UUID("d0c00000-0000-4000-8000-000000000001"),
                    kind=EvidenceKind.UNEMPLOYMENT_PROOF,
                    sha256="0" * 64,
                    verified=True,
                ),
            ),
        ),
        requested_options=(OptionKind.ARREARS_INSTALLMENTS,),
        agent_id="agent-007",
        submitted_at=AT,
        basis=ledger_position(),
    )


def _plan_sent() -> PlanSentToBorrower:
    """The written arrears plan, sent for the borrower to confirm with the code."""
    return PlanSentToBorrower(
        application_id=APPLICATION_ID,
        loan_id=LOAN_ID,
        offer_id=OFFER_ID,
        plan=WrittenPlan(
            option_id="arrears-3",
            kind=OptionKind.ARREARS_INSTALLMENTS,
            schedule=plan_schedule(),
            total_payable=cny("1045.00"),
            waived=no_waiver(),
            waiver_conditional=False,
            first_due_date=date(2026, 4, 15),
            effect=PlanEffect.ARREARS,
            basis_business_date=date(2026, 3, 15),
            continuing_installments=continuing_installments(),
            plan_rate=Decimal("0.0000"),
        ),
        confirmation_code="482915",
        code_expires_at=AT + timedelta(hours=24),
        contact=contact_ref(),
        sent_at=AT,
    )


def _option() -> PlanOption:
    """The offer's one option: the arrears in three monthly parts, nothing waived."""
    lines = plan_schedule()
    return PlanOption(
        option_id="arrears-3",
        kind=OptionKind.ARREARS_INSTALLMENTS,
        months=3,
        schedule=lines,
        first_payment=cny("348.33"),
        largest_payment=cny("348.34"),
        total_payable=cny("1045.00"),
        waived=no_waiver(),
        waiver_conditional=False,
        cost_vs_status_quo=cny("0.00"),
        payment_to_disposable_income=Decimal("0.4645"),
        affordable=True,
        needs_supervisor=False,
        explanation={"en": "Pay the overdue CNY 1,045.00 in 3 monthly parts.", "zh-CN": "逾期金额 ¥1,045.00 分 3 个月偿还。"},
        effect=PlanEffect.ARREARS,
        continuing_installments=continuing_installments(),
        plan_rate=Decimal("0.0000"),
    )
