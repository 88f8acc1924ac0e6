"""The set-based SQL close and the per-loan replay are two implementations of one rule
(domain/ledger.py). Interleaving them as the service does — SQL closes every day, a payment
replays its loan — must end exactly where a pure replay of everything ends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.domain.ledger import ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.replay import replay
from tideover_contracts.common import ScheduledInstallment
from tideover_contracts.events.loans import AllocationOrder, LoanBooked, RepaymentReceived
from tideover_contracts.examples import borrower
from tideover_contracts.money import Money
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "overdue_detection" / "migrations"
FIRST_DUE = date(2026, 2, 15)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=3600).map(lambda r: Decimal(r) / 10000)


@dataclass(frozen=True)
class Scenario:
    parts: list[tuple[Decimal, Decimal, Decimal]]  # principal, interest, fee per installment
    contract_rate: Decimal
    overdue_rate: Decimal
    cap_rate: Decimal | None
    order: AllocationOrder
    payments: list[tuple[int, Decimal, int]]  # arrives on day n after the first due date, amount, days backdated
    days: int
    #: A plan that paused the loan, (start, end) in days after the first due date: the close
    #: leaves out the days it paused (after its start, before its end) as the replay does.
    pause: tuple[int, int] | None = None

    @property
    def pauses(self) -> tuple[Pause, ...]:
        if self.pause is None:
            return ()
        start, length = self.pause
        return (Pause(FIRST_DUE + timedelta(days=start), FIRST_DUE + timedelta(days=start + length)),)


scenarios = st.builds(
    Scenario,
    parts=st.lists(st.tuples(cents, cents, st.sampled_from([Decimal(0), Decimal("15.00")])), min_size=1, max_size=6),
    contract_rate=rates,
    overdue_rate=rates,
    cap_rate=st.sampled_from([None, Decimal("0.1200")]),
    order=st.sampled_from(list(AllocationOrder)),
    payments=st.lists(st.tuples(st.integers(0, 120), cents, st.integers(0, 10)), max_size=5),
    days=st.integers(1, 120),
    pause=st.none() | st.tuples(st.integers(-10, 100), st.integers(0, 60)),
)


@pytest.fixture
async def pool(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "close_check") as pool:
        yield pool


def _loan(scenario: Scenario) -> LoanBooked:
    installments = tuple(
        ScheduledInstallment(
            sequence=index + 1,
            due_date=FIRST_DUE + timedelta(days=30 * index),
            principal=Money.of(principal, "CNY"),
            interest=Money.of(interest, "CNY"),
            fee=Money.of(fee, "CNY"),
        )
        for index, (principal, interest, fee) in enumerate(scenario.parts)
    )
    return LoanBooked(
        loan_id=uuid.uuid4(),
        product_code="CHECK",
        borrower=borrower(),
        principal=Money.of(sum(p for p, _, _ in scenario.parts), "CNY"),
        contract_rate=scenario.contract_rate,
        overdue_rate=scenario.overdue_rate,
        allocation_order=scenario.order,
        booked_on=FIRST_DUE - timedelta(days=30),
        installments=installments,
    )


@given(scenario=scenarios)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_daily_sql_closes_and_payment_replays_end_where_a_full_replay_ends(pool: asyncpg.Pool, scenario: Scenario) -> None:
    loan = _loan(scenario)
    policy = ChargePolicy(scenario.contract_rate, scenario.overdue_rate, scenario.cap_rate)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            book = LoanBook(connection)
            await book.add_many([(loan, policy)])
            for pause in scenario.pauses:  # a plan that has ended: the loan is not under it now
                await connection.execute(
                    "INSERT INTO pauses (loan_id, start_date, end_date) VALUES ($1, $2, $3)", loan.loan_id, pause.start, pause.end
                )
            payments: list[Payment] = []
            for offset in range(scenario.days + 1):
                today = FIRST_DUE + timedelta(days=offset)
                for number, (arrives, amount, backdated) in enumerate(scenario.payments):
                    if arrives == offset:  # as the payment handler does: record, then replay the loan
                        payment = Payment(f"P{number}", amount, today - timedelta(days=backdated))
                        payments.append(payment)
                        await book.record_payments(
                            [
                                RepaymentReceived(
                                    loan_id=loan.loan_id,
                                    payment_id=payment.payment_id,
                                    amount=Money.of(amount, "CNY"),
                                    received_at=f"{today.isoformat()}T10:00:00+08:00",
                                    value_date=payment.value_date,
                                )  # type: ignore[arg-type]
                            ]
                        )
                        installments = (await book.ledgers([loan.loan_id]))[loan.loan_id].installments
                        ledger = replay(
                            installments,
                            tuple(payments),
                            today - timedelta(days=1),
                            policy,
                            scenario.order,
                            scenario.pauses,
                        )
                        await book.save_ledgers({loan.loan_id: (ledger.installments, ledger.credit)})
                await book.accrue_penalties(today)  # the business-day close
            stored = (await book.ledgers([loan.loan_id]))[loan.loan_id].installments
        finally:
            await transaction.rollback()
    schedule = tuple(
        Installment(i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount) for i in loan.installments
    )
    expected = replay(
        schedule, tuple(payments), FIRST_DUE + timedelta(days=scenario.days), policy, scenario.order, scenario.pauses
    )
    assert [_money_state(i) for i in stored] == [_money_state(i) for i in expected.installments]


def _money_state(installment: Installment) -> tuple[Decimal, ...]:
    return (
        installment.paid_principal,
        installment.paid_interest,
        installment.paid_fee,
        installment.paid_penalty,
        installment.penalty_basis,
    )
