"""The golden examples' building blocks: their ids and instant, the example borrower and loan,
its schedule, the ledger snapshot and the arrears plan's lines."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from tideover_contracts.common import (
    BorrowerContact,
    Bucket,
    Channel,
    ContactRef,
    Jurisdiction,
    Locale,
    OverdueAmounts,
    PlanInstallmentLine,
    ScheduledInstallment,
    WaivedAmounts,
)
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.events.overdue import LedgerPosition, RemainingInstallment
from tideover_contracts.events.plans import ContinuingInstallment
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


def no_waiver() -> WaivedAmounts:
    """Nothing waived (the golden plan waives nothing)."""
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


def snapshot_fields() -> dict[str, object]:
    """The example loan's overdue snapshot, a day past its first due date (LoanBecameOverdue)."""
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
    fields = snapshot_fields()
    for name in ("episode", "bucket", "charges_cap_applied"):
        del fields[name]
    return LedgerPosition(**fields, next_due_date=date(2026, 3, 15), under_plan=False)  # type: ignore[arg-type]


def continuing_installments() -> tuple[ContinuingInstallment, ...]:
    """The golden arrears plan's regular installment 3 stays due beside its first month."""
    return (ContinuingInstallment(sequence=3, due_date=date(2026, 4, 15), amount=cny("1045.00")),)
