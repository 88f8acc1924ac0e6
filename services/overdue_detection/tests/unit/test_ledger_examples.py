"""The per-loan ledger by example: a day late, partial and value-dated payments, the cap, a cure then
overdue again, pauses (DESIGN.md §3 step 2, §4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from overdue_detection.domain.ledger import (
    Allocation,
    ChargePolicy,
    Installment,
    Pause,
    Payment,
    accrue,
)
from overdue_detection.domain.replay import Ledger, replay

from .ledger_builders import (
    CN,
    DEFAULT,
    D,
    installment,
    nothing_owed,
)


def test_seed_policy_charges_the_contract_overdue_rate() -> None:
    # room under the cap: 12.00% − 7.20% = 4.80% > 3.60%, so the cap does not bind
    assert CN.penalty_rate == D("0.0360")
    assert CN.cap_binds is False


def test_penalty_is_rounded_half_up_at_exactly_half_a_cent() -> None:
    # 900.00 + 12.50 one day late at 5.00%: 912.50 × 0.05 × 1 = 45.625; / 365 = 0.125 exactly → 0.13
    # (half-up, the mode of Postgres round(); half-even would give 0.12)
    policy = ChargePolicy(contract_rate=D("0.0700"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))
    item = accrue(installment(1, date(2026, 2, 15), "900.00", "12.50"), date(2026, 2, 16), policy)

    assert item.penalty_basis == D("45.625")
    assert item.penalty_charged(365) == D("0.13")


class TestOneDayLate:
    """1000.00 + 45.00 due 2026-02-15, paid 2026-02-16.

    One day of penalty on 1045.00 at 3.60%: 1045.00 × 0.0360 × 1 = 37.62 (basis);
    37.62 / 365 = 0.10306… → 0.10.
    """

    schedule = (installment(1, date(2026, 2, 15), "1000.00", "45.00"),)

    def pay(self, amount: str) -> Ledger:
        return replay(self.schedule, (Payment("p1", D(amount), date(2026, 2, 16)),), date(2026, 2, 16), CN, DEFAULT)

    def test_one_day_of_penalty_is_ten_cents(self) -> None:
        (item,) = replay(self.schedule, (), date(2026, 2, 16), CN, DEFAULT).installments

        assert item.penalty_basis == D("37.62")
        assert item.penalty_charged(365) == D("0.10")
        assert item.outstanding(365) == D("1045.10")

    def test_paying_the_penalty_too_leaves_nothing_owed(self) -> None:
        ledger = self.pay("1045.10")

        assert ledger.installments[0].owed(365) == nothing_owed()
        assert ledger.credit == D("0.00")
        assert ledger.allocations == (
            ("p1", (Allocation(1, D("0.10"), D("0.00"), D("45.00"), D("1000.00"), date(2026, 2, 15), left=D("0.00")),)),
        )

    def test_paying_only_the_schedule_leaves_ten_cents_of_principal(self) -> None:
        # penalty first: 1045.00 − 0.10 penalty − 45.00 interest = 999.90 principal; 0.10 principal left
        ledger = self.pay("1045.00")

        assert ledger.installments[0].owed(365) == {**nothing_owed(), "principal": D("0.10")}
        assert ledger.installments[0].paid_principal == D("999.90")


def test_a_partial_payment_across_two_overdue_installments() -> None:
    # #1 1000.00 + 45.00 + fee 5.00 due 2026-01-15; #2 the same due 2026-02-15; 1100.00 value-dated 2026-03-17.
    # #1: 61 days overdue (16 in Jan + 28 in Feb + 17 in Mar): 1045.00 × 0.036 × 61 = 2294.82; / 365 = 6.2871… → 6.29
    # #2: 30 days overdue (13 in Feb + 17 in Mar):             1045.00 × 0.036 × 30 = 1128.60; / 365 = 3.0920… → 3.09
    # 1100.00 → #1: penalty 6.29, fee 5.00, interest 45.00, principal 1000.00 (1056.29), 43.71 left
    #         → #2: penalty 3.09, fee 5.00, interest 35.62 (43.71 − 3.09 − 5.00), principal 0
    schedule = (
        installment(1, date(2026, 1, 15), "1000.00", "45.00", "5.00"),
        installment(2, date(2026, 2, 15), "1000.00", "45.00", "5.00"),
    )

    ledger = replay(schedule, (Payment("p1", D("1100.00"), date(2026, 3, 17)),), date(2026, 3, 17), CN, DEFAULT)

    first, second = ledger.installments
    assert (first.penalty_basis, second.penalty_basis) == (D("2294.82"), D("1128.60"))
    assert ledger.allocations == (
        (
            "p1",
            (
                Allocation(1, D("6.29"), D("5.00"), D("45.00"), D("1000.00"), date(2026, 1, 15), left=D("0.00")),
                Allocation(2, D("3.09"), D("5.00"), D("35.62"), D("0"), date(2026, 2, 15), left=D("1009.38")),
            ),
        ),
    )
    assert first.owed(365) == nothing_owed()
    assert second.owed(365) == {"penalty": D("0.00"), "fee": D("0.00"), "interest": D("9.38"), "principal": D("1000.00")}
    assert ledger.credit == D("0.00")


class TestValueDatedPayment:
    """1000.00 + 45.00 due 2026-01-15; 500.00 received 2026-03-01, value-dated 2026-01-25; closed through 2026-03-01."""

    schedule = (installment(1, date(2026, 1, 15), "1000.00", "45.00"),)
    through = date(2026, 3, 1)

    def replayed(self, *payments: Payment) -> Installment:
        return replay(self.schedule, payments, self.through, CN, DEFAULT).installments[0]

    def test_without_the_payment(self) -> None:
        # 45 days (16 in Jan + 28 in Feb + 1 in Mar) on 1045.00: 37.62 × 45 = 1692.90; / 365 = 4.6380… → 4.64
        item = self.replayed()

        assert item.penalty_basis == D("1692.90")
        assert item.penalty_charged(365) == D("4.64")

    def test_at_its_value_date_the_payment_reduces_the_penalty_since(self) -> None:
        # to 2026-01-25: 10 days on 1045.00: 376.20; / 365 = 1.0306… → 1.03 charged when the payment lands.
        # 500.00 → penalty 1.03, interest 45.00, principal 453.97; base left 1000.00 − 453.97 = 546.03.
        # 2026-01-26 … 2026-03-01: 35 days on 546.03: 546.03 × 0.036 × 35 = 687.9978.
        # basis 376.20 + 687.9978 = 1064.1978; / 365 = 2.9156… → 2.92 charged, 1.03 paid, 1.89 owed.
        item = self.replayed(Payment("p1", D("500.00"), date(2026, 1, 25)))

        assert item.penalty_basis == D("1064.1978")
        assert item.penalty_charged(365) == D("2.92")
        assert item.owed(365) == {"penalty": D("1.89"), "fee": D("0.00"), "interest": D("0.00"), "principal": D("546.03")}
        # 4.64 − 2.92 = 1.72 less penalty than without the payment
        assert self.replayed().penalty_charged(365) - item.penalty_charged(365) == D("1.72")

    def test_the_same_payment_at_its_receipt_date_saves_no_penalty(self) -> None:
        # the full 4.64 accrues first; 500.00 → penalty 4.64, interest 45.00, principal 450.36; 549.64 left
        item = self.replayed(Payment("p1", D("500.00"), self.through))

        assert item.penalty_charged(365) == D("4.64")
        assert item.owed(365) == {**nothing_owed(), "principal": D("549.64")}


class TestCap:
    def test_the_cap_limits_the_penalty_rate(self) -> None:
        # room under the cap: 12.00% − 10.00% = 2.00% < 5.00% overdue rate
        policy = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))

        assert policy.penalty_rate == D("0.0200")
        assert policy.cap_binds is True

    def test_a_capped_loan_accrues_at_the_capped_rate(self) -> None:
        # 30 days on 1045.00 at 2.00%: 1045.00 × 0.02 × 30 = 627.00; / 365 = 1.7178… → 1.72 (uncapped 5%: 4.29)
        policy = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.0500"), cap_rate=D("0.1200"))
        item = installment(1, date(2026, 1, 15), "1000.00", "45.00")

        assert accrue(item, date(2026, 2, 14), policy).penalty_charged(365) == D("1.72")
        uncapped = replace(policy, cap_rate=None)
        assert accrue(item, date(2026, 2, 14), uncapped).penalty_charged(365) == D("4.29")

    def test_a_contract_rate_above_the_cap_leaves_no_room_for_penalty(self) -> None:
        # 18.00% > 12.00%: penalty = max(0, min(3.60%, 12.00% − 18.00%)) = 0; nothing accrues in 100 days
        policy = ChargePolicy(contract_rate=D("0.1800"), overdue_rate=D("0.0360"), cap_rate=D("0.1200"))
        item = installment(1, date(2026, 1, 15), "1000.00", "45.00")

        assert policy.penalty_rate == D("0")
        assert policy.cap_binds is True
        assert accrue(item, date(2026, 4, 25), policy).penalty_charged(365) == D("0.00")


class TestCuredThenOverdueAgain:
    """#1 and #2 each 1000.00 + 45.00, due 2026-01-15 and 2026-02-15.

    #1 paid 2026-01-20, 5 days late: 1045.00 × 0.036 × 5 = 188.10; / 365 = 0.5153… → 0.52; paid 1045.52.
    """

    schedule = (
        installment(1, date(2026, 1, 15), "1000.00", "45.00"),
        installment(2, date(2026, 2, 15), "1000.00", "45.00"),
    )
    cure = Payment("p1", D("1045.52"), date(2026, 1, 20))

    def test_the_late_installment_paid_with_its_penalty_owes_nothing(self) -> None:
        first, second = replay(self.schedule, (self.cure,), date(2026, 2, 15), CN, DEFAULT).installments

        assert first.penalty_charged(365) == D("0.52")
        assert first.owed(365) == nothing_owed()
        # #2 is due today, not overdue: no penalty yet
        assert second.penalty_basis == D("0")
        assert second.outstanding(365) == D("1045.00")

    def test_the_next_installment_accrues_from_its_own_due_date_only(self) -> None:
        # through 2026-02-25: #2 is 10 days overdue: 376.20; / 365 = 1.0306… → 1.03; #1 stays at 0.52, all paid
        first, second = replay(self.schedule, (self.cure,), date(2026, 2, 25), CN, DEFAULT).installments

        assert first.penalty_charged(365) == D("0.52")
        assert first.owed(365) == nothing_owed()
        assert second.penalty_basis == D("376.20")
        assert second.owed(365) == {**nothing_owed(), "penalty": D("1.03"), "interest": D("45.00"), "principal": D("1000.00")}


class TestPause:
    """1000.00 + 45.00 due 2026-01-15; a plan from 2026-01-25 to 2026-02-24. One day on 1045.00 is a basis of 37.62."""

    item = installment(1, date(2026, 1, 15), "1000.00", "45.00")
    plan = (Pause(date(2026, 1, 25), date(2026, 2, 24)),)

    def charged_through(self, day: date, pauses: tuple[Pause, ...]) -> Decimal:
        return accrue(self.item, day, CN, pauses).penalty_charged(365)

    def test_penalty_accrues_up_to_and_including_the_start_day(self) -> None:
        # 2026-01-16 … 2026-01-25: 10 days: 376.20; / 365 = 1.0306… → 1.03
        assert self.charged_through(date(2026, 1, 25), self.plan) == D("1.03")

    def test_nothing_accrues_while_the_plan_runs(self) -> None:
        # 2026-01-26 … 2026-02-23 are covered: still 10 days
        assert self.charged_through(date(2026, 1, 26), self.plan) == D("1.03")
        assert self.charged_through(date(2026, 2, 23), self.plan) == D("1.03")

    def test_penalty_accrues_again_from_the_end_day(self) -> None:
        # The plan ended on 2026-02-24 (broke, or completed with something left): collection
        # resumes that day. 2026-02-24: 11 days: 413.82; / 365 = 1.1337… → 1.13
        assert self.charged_through(date(2026, 2, 24), self.plan) == D("1.13")
        # 2026-03-06: 10 + 11 (2026-02-24 … 2026-03-06) = 21 days: 790.02; / 365 = 2.1644… → 2.16
        assert accrue(self.item, date(2026, 3, 6), CN, self.plan).penalty_basis == D("790.02")
        assert self.charged_through(date(2026, 3, 6), self.plan) == D("2.16")

    def test_without_the_plan_every_day_counts(self) -> None:
        # 2026-01-16 … 2026-03-06: 16 + 28 + 6 = 50 days: 1881.00; / 365 = 5.1534… → 5.15
        assert self.charged_through(date(2026, 3, 6), ()) == D("5.15")

    def test_an_open_ended_plan_stops_accrual_for_good(self) -> None:
        assert self.charged_through(date(2026, 12, 31), (Pause(date(2026, 1, 25)),)) == D("1.03")

    def test_replay_honours_the_plan_too(self) -> None:
        ledger = replay((self.item,), (), date(2026, 3, 6), CN, DEFAULT, self.plan)

        assert ledger.installments[0].penalty_charged(365) == D("2.16")
