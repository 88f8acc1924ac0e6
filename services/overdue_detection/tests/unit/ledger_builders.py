"""Builders and hypothesis strategies of the ledger's tests (test_ledger.py, test_ledger_examples.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from overdue_detection.domain.ledger import (
    ChargePolicy,
    Installment,
    Pause,
    Payment,
)
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.events.loans import AllocationOrder

D = Decimal
CENT = D("0.01")
DEFAULT = AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL
PRINCIPAL_FIRST = AllocationOrder.PRINCIPAL_INTEREST_FEE_PENALTY
#: The components in the order each AllocationOrder promises, spelled out here rather than
#: read from the module so that a wrong table there is caught.
PROMISED_ORDER = {
    DEFAULT: ("penalty", "fee", "interest", "principal"),
    PRINCIPAL_FIRST: ("principal", "interest", "fee", "penalty"),
}
#: CN seed policy: contract 7.20%, overdue 3.60%, cap 4 × LPR 3.0% = 12.00% (DESIGN.md §4).
CN = ChargePolicy(contract_rate=D("0.0720"), overdue_rate=D("0.0360"), cap_rate=D("0.1200"))
MAX_EXAMPLES = 200


# --- helpers ---------------------------------------------------------------------------------


def installment(sequence: int, due: date, principal: str, interest: str, fee: str = "0.00") -> Installment:
    return Installment(sequence, due, D(principal), D(interest), D(fee))


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; the strategies keep the day of month ≤ 28."""
    month_index = day.month - 1 + months
    return day.replace(year=day.year + month_index // 12, month=month_index % 12 + 1)


def total_paid(installments: tuple[Installment, ...]) -> Decimal:
    return sum((i.paid_principal + i.paid_interest + i.paid_fee + i.paid_penalty for i in installments), start=D(0))


def total_scheduled(installments: tuple[Installment, ...]) -> Decimal:
    return sum((i.principal + i.interest + i.fee for i in installments), start=D(0))


def total_penalty(installments: tuple[Installment, ...], day_count: int) -> Decimal:
    return sum((i.penalty_charged(day_count) for i in installments), start=D(0))


def total_outstanding(installments: tuple[Installment, ...], day_count: int) -> Decimal:
    return sum((i.outstanding(day_count) for i in installments), start=D(0))


def nothing_owed() -> dict[str, Decimal]:
    return dict.fromkeys(("penalty", "fee", "interest", "principal"), D("0.00"))


# --- strategies ------------------------------------------------------------------------------

rates = st.decimals(min_value=D("0"), max_value=D("0.36"), places=4)
amounts = st.decimals(min_value=D("0.00"), max_value=D("50000.00"), places=2)
small_amounts = st.decimals(min_value=D("0.00"), max_value=D("500.00"), places=2)
payment_amounts = st.decimals(min_value=D("0.01"), max_value=D("30000.00"), places=2)
policies = st.builds(
    ChargePolicy,
    contract_rate=rates,
    overdue_rate=rates,
    cap_rate=st.none() | rates,
    day_count=st.sampled_from((365, 360)),
)
capped_policies = st.builds(
    ChargePolicy, contract_rate=rates, overdue_rate=rates, cap_rate=rates, day_count=st.sampled_from((365, 360))
)


@st.composite
def due_dates(draw: st.DrawFn) -> date:
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    return day.replace(day=min(day.day, 28))


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Installment, ...]:
    """1–12 monthly installments, amounts at the cent."""
    first_due = draw(due_dates())
    count = draw(st.integers(min_value=1, max_value=12))
    return tuple(
        Installment(n + 1, add_months(first_due, n), draw(amounts), draw(small_amounts), draw(small_amounts))
        for n in range(count)
    )


@st.composite
def pause_lists(draw: st.DrawFn, around: date) -> tuple[Pause, ...]:
    pauses = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        start = around + timedelta(days=draw(st.integers(min_value=-30, max_value=400)))
        length = draw(st.none() | st.integers(min_value=0, max_value=120))
        pauses.append(Pause(start, None if length is None else start + timedelta(days=length)))
    return tuple(pauses)


@dataclass(frozen=True)
class Loan:
    schedule: tuple[Installment, ...]
    payments: tuple[Payment, ...]
    through: date
    policy: ChargePolicy
    order: AllocationOrder
    pauses: tuple[Pause, ...]

    def replay(self, through: date | None = None) -> Ledger:
        return replay(self.schedule, self.payments, through or self.through, self.policy, self.order, self.pauses)


@st.composite
def loans(draw: st.DrawFn) -> Loan:
    """A schedule, payments value-dated from a month early to a year late, a business day, a policy."""
    schedule = draw(schedules())
    first_due = schedule[0].due_date
    payments = tuple(
        Payment(f"p{n}", draw(payment_amounts), first_due + timedelta(days=draw(st.integers(min_value=-30, max_value=365))))
        for n in range(draw(st.integers(min_value=0, max_value=6)))
    )
    through = first_due + timedelta(days=draw(st.integers(min_value=0, max_value=730)))
    pauses = draw(pause_lists(first_due))
    return Loan(schedule, payments, through, draw(policies), draw(st.sampled_from(AllocationOrder)), pauses)


# --- A1. conservation ------------------------------------------------------------------------
