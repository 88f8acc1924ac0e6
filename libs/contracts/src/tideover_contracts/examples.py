"""One golden example per event type: exported as JSON, parsed by the contract tests, and
reused by tests and the demo as realistic sample data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tideover_contracts.common import (
    BorrowerContact,
    Bucket,
    Channel,
    ContactRef,
    Jurisdiction,
    Language,
    Locale,
    OverdueAmounts,
    PlanInstallmentLine,
    ScheduledInstallment,
    WaivedAmounts,
)
from tideover_contracts.envelope import Envelope, Event, deterministic_id, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import (
    BorrowerContactChanged,
    LoanBooked,
    LoanClosed,
    LoanClosureReason,
    RepaymentReceived,
)
from tideover_contracts.events.negotiation import (
    ConfirmationChannel,
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
    WrittenPlan,
)
from tideover_contracts.events.notifications import (
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    Purpose,
)
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    CureReason,
    InstallmentDueSoon,
    LedgerLine,
    LedgerPosition,
    LineCovered,
    LoanBecameOverdue,
    LoanCured,
    OverdueChangeReason,
    OverdueStatusChanged,
    RemainingInstallment,
    RepaymentApplied,
    WaiverGranted,
    WaiverReason,
    WaiverStatus,
)
from tideover_contracts.events.plans import (
    ContinuingInstallment,
    OfferExpired,
    PlanActivated,
    PlanOffered,
    PlanOption,
    PlanRejected,
    RejectionReason,
)
from tideover_contracts.events.tracking import (
    PlanBreakReason,
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)
from tideover_contracts.money import Money

CNY = "CNY"
LOAN_ID = uuid.UUID("0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11")
APPLICATION_ID = uuid.UUID("5e0f2c44-98a1-4c3b-8d7e-1b2a3c4d5e6f")
OFFER_ID = uuid.UUID("9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d")
PLAN_ID = uuid.UUID("1f2e3d4c-5b6a-4978-8a7b-6c5d4e3f2a1b")
NOTIFICATION_ID = uuid.UUID("c0ffee00-1234-4abc-9def-0123456789ab")
AT = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)


def cny(amount: str) -> Money:
    return Money.of(amount, CNY)


def borrower() -> BorrowerContact:
    return BorrowerContact(
        borrower_id="B-000123",
        name="张伟",
        phone="+8613800138000",
        email=None,
        locale=Locale.ZH_CN,
        time_zone="Asia/Shanghai",
        jurisdiction=Jurisdiction.CN,
        preferred_channels=(Channel.SMS,),
    )


def contact_ref() -> ContactRef:
    return ContactRef(borrower_id="B-000123", locale=Locale.ZH_CN, time_zone="Asia/Shanghai", jurisdiction=Jurisdiction.CN)


def schedule(
    loan_principal: str = "3000.00", months: int = 3, first_due: date = date(2026, 2, 15)
) -> tuple[ScheduledInstallment, ...]:
    """Equal principal parts; the last one absorbs the remainder (STYLE.md, Money)."""
    principal = Decimal(loan_principal)
    part = (principal / months).quantize(Decimal("0.01"))
    installments = []
    for sequence in range(1, months + 1):
        this_part = part if sequence < months else principal - part * (months - 1)
        due = date(
            first_due.year + (first_due.month - 1 + sequence - 1) // 12,
            (first_due.month - 1 + sequence - 1) % 12 + 1,
            first_due.day,
        )
        installments.append(
            ScheduledInstallment(
                sequence=sequence, due_date=due, principal=cny(str(this_part)), interest=cny("45.00"), fee=cny("0.00")
            )
        )
    return tuple(installments)


def loan_booked(
    loan_id: uuid.UUID = LOAN_ID, booked_on: date = date(2026, 1, 15), principal: str = "3000.00", months: int = 3
) -> LoanBooked:
    first_due = date(booked_on.year + booked_on.month // 12, booked_on.month % 12 + 1, min(booked_on.day, 28))
    return LoanBooked(
        loan_id=loan_id,
        product_code="CASH-3M",
        borrower=borrower(),
        principal=cny(principal),
        contract_rate=Decimal("0.0720"),
        overdue_rate=Decimal("0.0360"),
        booked_on=booked_on,
        installments=schedule(principal, months, first_due),
    )


def _overdue() -> OverdueAmounts:
    return OverdueAmounts(
        principal=cny("1000.00"), interest=cny("45.00"), fee=cny("0.00"), penalty=cny("0.00"), total=cny("1045.00")
    )


def _waived() -> WaivedAmounts:
    return WaivedAmounts(penalty=cny("0.00"), interest=cny("0.00"), fee=cny("0.00"), total=cny("0.00"))


def plan_schedule() -> tuple[PlanInstallmentLine, ...]:
    """1,000.00 principal and 45.00 interest in three monthly parts; the last takes the remainder."""
    parts = (
        (date(2026, 4, 15), "333.33", "348.33"),
        (date(2026, 5, 15), "333.33", "348.33"),
        (date(2026, 6, 15), "333.34", "348.34"),
    )
    zero = cny("0.00")
    return tuple(
        PlanInstallmentLine(
            sequence=sequence,
            due_date=due,
            principal=cny(principal),
            interest=cny("15.00"),
            penalty=zero,
            fee=zero,
            total=cny(total),
        )
        for sequence, (due, principal, total) in enumerate(parts, start=1)
    )


def _snapshot_fields() -> dict[str, object]:
    return {
        "loan_id": LOAN_ID,
        "episode": 1,
        "business_date": date(2026, 2, 16),
        "days_past_due": 1,
        "bucket": Bucket.M1,
        "oldest_overdue_due_date": date(2026, 2, 15),
        "overdue": _overdue(),
        "outstanding_principal": cny("3000.00"),
        "contract_rate": Decimal("0.0720"),
        "overdue_rate": Decimal("0.0360"),
        "charges_cap_applied": False,
        "remaining_schedule": tuple(RemainingInstallment(installment=i, outstanding=i.total) for i in schedule()),
        "contact": contact_ref(),
    }


def ledger_position() -> LedgerPosition:
    """The example loan in the ledger on the day of the example request."""
    fields = _snapshot_fields()
    for name in ("episode", "bucket", "charges_cap_applied"):
        del fields[name]
    return LedgerPosition(**fields, next_due_date=date(2026, 3, 15), under_plan=False)  # type: ignore[arg-type]


def _option() -> PlanOption:
    lines = plan_schedule()
    return PlanOption(
        option_id="arrears-3",
        kind=OptionKind.ARREARS_INSTALLMENTS,
        months=3,
        schedule=lines,
        first_payment=cny("348.33"),
        largest_payment=cny("348.34"),
        total_payable=cny("1045.00"),
        waived=_waived(),
        waiver_conditional=False,
        cost_vs_status_quo=cny("0.00"),
        payment_to_disposable_income=Decimal("0.1742"),
        affordable=True,
        needs_supervisor=False,
        explanation={"en": "Pay the overdue CNY 1,045.00 in 3 monthly parts.", "zh-CN": "逾期金额 ¥1,045.00 分 3 个月偿还。"},
        effect=PlanEffect.ARREARS,
        continuing_installments=_continuing(),
        plan_rate=Decimal("0.0000"),
    )


def _continuing() -> tuple[ContinuingInstallment, ...]:
    """The golden arrears plan's regular installment 3 stays due beside its first month."""
    return (ContinuingInstallment(sequence=3, due_date=date(2026, 4, 15), amount=cny("1045.00")),)


def golden_events() -> list[Event]:
    """One example of every event type, in the order of the flow."""
    return [
        loan_booked(),
        RepaymentReceived(
            loan_id=LOAN_ID, payment_id="PAY-2026-000001", amount=cny("500.00"), received_at=AT, value_date=date(2026, 3, 16)
        ),
        BorrowerContactChanged(
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            phone="+8613900139000",
            language=Language.ZH_HANT,  # the borrower reads Traditional Chinese: locale zh-CN cannot say so
            opted_out_channels=(Channel.EMAIL,),
            changed_at=AT,
        ),
        LoanClosed(loan_id=LOAN_ID, closed_on=date(2026, 6, 15), reason=LoanClosureReason.PAID_OFF),
        BusinessDayClosed(business_date=date(2026, 2, 16), closed_at=AT),
        ClockTicked(at=AT),
        InstallmentDueSoon(
            loan_id=LOAN_ID,
            sequence=1,
            due_date=date(2026, 2, 15),
            amount_due=cny("1045.00"),
            days_before=3,
            business_date=date(2026, 2, 12),
            contact=contact_ref(),
        ),
        LoanBecameOverdue(**_snapshot_fields()),  # type: ignore[arg-type]
        OverdueStatusChanged(**_snapshot_fields(), reasons=(OverdueChangeReason.BUCKET_CHANGED,), previous_bucket=Bucket.M1),  # type: ignore[arg-type]
        LoanCured(
            loan_id=LOAN_ID,
            episode=1,
            business_date=date(2026, 3, 16),
            reason=CureReason.PAID,
            outstanding_principal=cny("2000.00"),
            contact=contact_ref(),
        ),
        RepaymentApplied(
            loan_id=LOAN_ID,
            payment_id="PAY-2026-000001",
            amount=cny("500.00"),
            value_date=date(2026, 3, 16),
            covered=(
                LineCovered(
                    line=LedgerLine(sequence=1, due_date=date(2026, 2, 15)),
                    principal=cny("454.90"),
                    interest=cny("45.00"),
                    fee=cny("0.00"),
                    penalty=cny("0.10"),
                    left=cny("545.10"),
                ),
            ),
            to_credit=cny("0.00"),
            outstanding=cny("1590.10"),
        ),
        WaiverGranted(
            loan_id=LOAN_ID,
            plan_id=PLAN_ID,
            reason=WaiverReason.PLAN,
            status=WaiverStatus.CONDITIONAL,
            waived=_waived(),
            business_date=date(2026, 3, 16),
        ),
        BalanceWrittenOff(
            loan_id=LOAN_ID,
            business_date=date(2026, 3, 17),
            reason="de_minimis",
            written_off=OverdueAmounts(
                principal=cny("0.00"), interest=cny("0.00"), fee=cny("0.00"), penalty=cny("0.12"), total=cny("0.12")
            ),
        ),
        NegotiationRequested(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            hardship=Hardship(
                reason=HardshipReason.UNEMPLOYMENT,
                description="Laid off in January; new job starts in April.",
                monthly_income=cny("4000.00"),
                essential_expenses=cny("2000.00"),
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
        ),
        PlanOptionChosen(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            offer_id=OFFER_ID,
            option_id="arrears-3",
            agent_id="agent-007",
            needs_supervisor=False,
            chosen_at=AT,
        ),
        PlanSentToBorrower(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            offer_id=OFFER_ID,
            plan=WrittenPlan(
                option_id="arrears-3",
                kind=OptionKind.ARREARS_INSTALLMENTS,
                schedule=plan_schedule(),
                total_payable=cny("1045.00"),
                waived=_waived(),
                waiver_conditional=False,
                first_due_date=date(2026, 4, 15),
                effect=PlanEffect.ARREARS,
                basis_business_date=date(2026, 3, 15),
                continuing_installments=_continuing(),
                plan_rate=Decimal("0.0000"),
            ),
            confirmation_code="482915",
            code_expires_at=AT + timedelta(hours=24),
            contact=contact_ref(),
            sent_at=AT,
        ),
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
        PlanOffered(
            offer_id=OFFER_ID,
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            basis_business_date=date(2026, 3, 15),
            disposable_income=cny("2000.00"),
            options=(_option(),),
            recommended_option_id="arrears-3",
            valid_until=AT + timedelta(days=7),
        ),
        PlanRejected(
            application_id=APPLICATION_ID,
            loan_id=LOAN_ID,
            reasons=(
                RejectionReason(code="unaffordable", message="No option's largest payment is within 50% of disposable income"),
            ),
            disposable_income_needed=cny("696.68"),
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
            conditional_waiver=_waived(),
            effect=PlanEffect.ARREARS,
            basis_business_date=date(2026, 3, 15),
            replaced_installments=(1, 2),
            continuing_installments=_continuing(),
        ),
        OfferExpired(offer_id=OFFER_ID, application_id=APPLICATION_ID, loan_id=LOAN_ID, expired_at=AT + timedelta(days=7)),
        PlanInstallmentDueSoon(
            plan_id=PLAN_ID, loan_id=LOAN_ID, sequence=1, due_date=date(2026, 4, 15), amount_due=cny("348.33"), days_before=3
        ),
        PlanInstallmentPaid(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            sequence=1,
            payment_id="PAY-2026-000002",
            applied=cny("348.33"),
            remaining_on_installment=cny("0.00"),
            fully_paid=True,
            value_date=date(2026, 4, 15),
        ),
        PlanInstallmentMissed(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            sequence=2,
            due_date=date(2026, 5, 15),
            shortfall=cny("348.33"),
            missed_count=1,
            business_date=date(2026, 5, 18),
        ),
        PlanBroken(
            plan_id=PLAN_ID,
            loan_id=LOAN_ID,
            reason=PlanBreakReason.TWO_MISSED,
            business_date=date(2026, 6, 18),
            reinstated_waiver=_waived(),
            unpaid=cny("696.67"),
        ),
        PlanCompleted(
            plan_id=PLAN_ID, loan_id=LOAN_ID, completed_on=date(2026, 6, 15), total_paid=cny("1045.00"), final_waiver=_waived()
        ),
        NotificationRequested(
            notification_id=NOTIFICATION_ID,
            loan_id=LOAN_ID,
            borrower_id="B-000123",
            channel=Channel.SMS,
            address="+8613800138000",
            purpose=Purpose.OVERDUE_NOTICE,
            locale=Locale.ZH_CN,
            language=Language.ZH_HANS,
            jurisdiction=Jurisdiction.CN,
            body="【Tideover】您的贷款已逾期1天，逾期金额¥1,045.00，请尽快还款。",
            template="overdue_notice.sms.zh-CN@1",
            expires_at=AT + timedelta(days=1),
        ),
        NotificationDelivered(
            notification_id=NOTIFICATION_ID, loan_id=LOAN_ID, channel=Channel.SMS, gateway="reference-gateway", delivered_at=AT
        ),
        NotificationFailed(
            notification_id=NOTIFICATION_ID,
            loan_id=LOAN_ID,
            channel=Channel.SMS,
            gateway="reference-gateway",
            reason="handset unreachable",
            retryable=True,
            failed_at=AT,
        ),
    ]


def golden_events_of_every_version() -> list[Event]:
    """The golden events, and each in the older versions still published beside it."""
    from tideover_contracts.events.notifications_v1 import downgraded  # v1 goes when it is retired

    events = golden_events()
    return [*events, *(old for event in events if isinstance(event, NotificationRequested) if (old := downgraded(event)))]


def golden_envelopes() -> list[Envelope[Event]]:
    return [
        wrap(
            event,
            producer="golden-example",
            occurred_at=AT,
            event_id=deterministic_id("golden", event.event_type),
            correlation_id="7d1e6a52-2f0b-4b8e-a3a1-5c9d8e7f6a01",
        )
        for event in golden_events_of_every_version()
    ]
