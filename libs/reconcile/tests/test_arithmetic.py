"""The trial balance's arithmetic and checks on loans built in memory (DESIGN.md §3a)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tideover_reconcile.balance import TrialBalance, text_lines
from tideover_reconcile.checks import ActivePlans, disagreements, out_of_balance
from tideover_reconcile.ledger import Amounts, Figures, Line, LoanLedger, penalty_charged, waivers_in_force

PLAN = uuid.UUID("00000000-0000-0000-0000-00000000a001")
NOTHING = Amounts()


def d(text: str) -> Decimal:
    return Decimal(text)


def line(sequence: int, charged: Amounts, plan_id: uuid.UUID | None = None, **taken: Amounts) -> Line:
    parts = {name: taken.get(name, NOTHING) for name in ("paid", "waived", "written_off", "rescheduled")}
    return Line(sequence, plan_id, charged, **parts)


def balanced_loan(loan_id: uuid.UUID | None = None) -> LoanLedger:
    """An arrears plan took over line 1 (less a penalty waiver of 1.00); line 2 stayed due and is
    paid; the plan's first line is paid, its second is outstanding; 5.00 paid beyond is credit."""
    return LoanLedger(
        loan_id=loan_id or uuid.uuid4(),
        currency="CNY",
        principal=d("1000.00"),
        credit=d("5.00"),
        lines=(
            line(
                1,
                Amounts(d("500.00"), d("20.00"), d("0"), d("3.00")),
                waived=Amounts(penalty=d("1.00")),
                rescheduled=Amounts(d("500.00"), d("20.00"), d("0"), d("2.00")),
            ),
            line(2, Amounts(d("500.00"), d("10.00")), paid=Amounts(d("500.00"), d("10.00"))),
            line(
                1001,
                Amounts(d("250.00"), d("10.00"), penalty=d("1.00")),
                PLAN,
                paid=Amounts(d("250.00"), d("10.00"), penalty=d("1.00")),
            ),
            line(1002, Amounts(d("250.00"), d("10.00"), penalty=d("1.00")), PLAN),
        ),
        repaid=d("776.00"),  # 510.00 + 261.00 + 5.00 credit
        waivers=Amounts(penalty=d("1.00")),
    )


def with_line(loan: LoanLedger, sequence: int, **changes: Any) -> LoanLedger:
    return replace(loan, lines=tuple(replace(each, **changes) if each.sequence == sequence else each for each in loan.lines))


def test_penalty_charged_rounds_half_up_to_the_cent_as_postgres_round_does() -> None:
    assert penalty_charged(d("1.825") * 365, 365) == d("1.83")
    assert penalty_charged(d("1.8249") * 365, 365) == d("1.82")
    assert penalty_charged(d("0.005") * 360, 360) == d("0.01")
    assert penalty_charged(d("0"), 365) == d("0.00")


def test_a_line_is_outstanding_what_was_charged_less_every_way_it_left() -> None:
    taken = line(
        7,
        Amounts(d("100"), d("10"), d("2"), d("4")),
        paid=Amounts(d("60"), d("5")),
        waived=Amounts(interest=d("1"), penalty=d("4")),
        written_off=Amounts(fee=d("2")),
        rescheduled=Amounts(principal=d("40")),
    )

    assert taken.outstanding == Amounts(d("0"), d("4"), d("0"), d("0"))


def test_the_loans_figures_charge_what_a_plan_took_over_once() -> None:
    figures = balanced_loan().figures

    assert figures.charged == Amounts(d("1000.00"), d("30.00"), d("0"), d("3.00"))  # penalty 3.00 + 1.00 + 1.00 − 2.00
    assert figures.paid == Amounts(d("750.00"), d("20.00"), d("0"), d("1.00"))
    assert figures.waived == Amounts(penalty=d("1.00"))
    assert figures.written_off == NOTHING
    assert figures.outstanding == Amounts(d("250.00"), d("10.00"), d("0"), d("1.00"))
    assert figures.balances
    assert not replace(figures, paid=Amounts(d("750.01"), d("20.00"), d("0"), d("1.00"))).balances


def test_the_waivers_in_force_are_the_conditional_ones_less_those_reinstated() -> None:
    acts = {
        "conditional": Amounts(interest=d("3.00"), penalty=d("5.00")),
        "final": Amounts(penalty=d("2.00")),  # restates a conditional one
        "reinstated": Amounts(penalty=d("3.00")),
    }

    assert waivers_in_force(acts) == Amounts(interest=d("3.00"), penalty=d("2.00"))
    assert waivers_in_force({}) == NOTHING


def test_a_balanced_loan_has_no_findings() -> None:
    assert out_of_balance(balanced_loan()) == []


# Each variant of the balanced loan breaks one rule, and only that one.
BROKEN: dict[str, tuple[Callable[[LoanLedger], LoanLedger], str, str]] = {
    "paid beyond charged": (
        lambda loan: replace(
            with_line(loan, 2, paid=Amounts(d("500.00"), d("12.00"))),
            repaid=d("778.00"),
        ),
        "lines_within_charged",
        "line 2 interest: paid 12.00 beyond charged 10.00",
    ),
    "negative outstanding": (
        lambda loan: replace(
            with_line(loan, 1, waived=Amounts(penalty=d("2.00"))),
            waivers=Amounts(penalty=d("2.00")),
        ),
        "lines_within_charged",
        "line 1 penalty: outstanding -1.00",
    ),
    "principal created": (
        lambda loan: with_line(loan, 1002, charged=Amounts(d("260.00"), d("10.00"), penalty=d("1.00"))),
        "principal_conserved",
        "net principal charged 1010.00 but lent 1000.00",
    ),
    "repayment unapplied": (
        lambda loan: replace(loan, repaid=d("800.00")),
        "repayments_applied",
        "received 800.00 but paid on lines 771.00 + credit 5.00",
    ),
    "waiver unrecorded": (
        lambda loan: replace(loan, waivers=NOTHING),
        "waivers_recorded",
        "penalty: 1.00 on the lines, 0 recorded",
    ),
    "write-off unrecorded": (
        lambda loan: with_line(loan, 1002, written_off=Amounts(penalty=d("1.00"))),
        "write_offs_recorded",
        "penalty: 1.00 on the lines, 0 recorded",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_each_broken_rule_is_found_and_nothing_else(case: str) -> None:
    breaking, check, detail = BROKEN[case]
    loan = breaking(balanced_loan())

    findings = out_of_balance(loan)

    assert [(finding.loan_id, finding.check, finding.detail) for finding in findings] == [(loan.loan_id, check, detail)]


def test_a_write_off_recorded_as_an_act_balances() -> None:
    loan = with_line(balanced_loan(), 1002, written_off=Amounts(penalty=d("1.00")))

    assert out_of_balance(replace(loan, write_offs=Amounts(penalty=d("1.00")))) == []


def test_plans_active_in_one_service_only_are_disagreements() -> None:
    both, ledger_only, tracking_only = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    loan_a, loan_b, loan_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    plans = ActivePlans(ledger={both: loan_a, ledger_only: loan_b}, tracking={both: loan_a, tracking_only: loan_c})

    found = [(finding.loan_id, finding.check) for finding in disagreements(plans, {})]

    assert found == [(loan_c, "tracked_plans_active_in_ledger"), (loan_b, "ledger_plans_active_in_tracking")]
    assert disagreements(ActivePlans(ledger={both: loan_a}, tracking={both: loan_a}), {}) == []


def test_the_trial_balance_sums_the_book_per_currency_and_names_the_loans_out_of_balance() -> None:
    good, bad = balanced_loan(), replace(balanced_loan(), repaid=d("1.00"))
    usd = replace(balanced_loan(), currency="USD")

    balance = TrialBalance.of([good, bad, usd], ActivePlans(ledger={}, tracking={}))

    assert balance.loans == 3
    assert not balance.balanced
    assert balance.loans_out_of_balance == [bad.loan_id]
    assert balance.books["CNY"] == Figures.sum([good.figures, bad.figures])
    assert balance.books["USD"] == usd.figures
    figures = balance.as_json()
    assert figures["books"]["CNY"]["principal"] == {
        "charged": "2000.00",
        "paid": "1500.00",
        "waived": "0.00",
        "written_off": "0.00",
        "outstanding": "500.00",
    }
    assert figures["loans_out_of_balance"] == [str(bad.loan_id)]
    assert [finding["check"] for finding in figures["out_of_balance"]] == ["repayments_applied"]
    assert TrialBalance.of([good], ActivePlans(ledger={}, tracking={})).balanced


def test_the_text_shows_the_table_and_lists_the_findings() -> None:
    bad = replace(balanced_loan(), repaid=d("1.00"))
    lines = text_lines(TrialBalance.of([balanced_loan(), bad], ActivePlans(ledger={}, tracking={})).as_json())

    assert lines[0] == "Trial balance of 2 loans: OUT OF BALANCE"
    assert lines[1].split() == ["CNY", "charged", "paid", "waived", "written", "off", "outstanding"]
    assert lines[2].split() == ["principal", "2,000.00", "1,500.00", "0.00", "0.00", "500.00"]
    assert "Out of balance: 1 loans" in lines
    assert f"  {bad.loan_id}  repayments_applied: received 1.00 but paid on lines 771.00 + credit 5.00" in lines
    assert lines[-1] == "Services disagree: none"


amount = st.decimals(min_value=0, max_value=10_000, places=2)


@st.composite
def lines_within(draw: st.DrawFn) -> Line:
    """A line whose every component left by payment, waiver, write-off or plan at most as charged."""
    parts: dict[str, list[Decimal]] = {name: [] for name in ("charged", "paid", "waived", "written_off", "rescheduled")}
    for component in ("principal", "interest", "fee", "penalty"):
        left = draw(amount)
        parts["charged"].append(left)
        for name in ("paid", "waived", "written_off", "rescheduled"):
            taken = Decimal(0) if name == "waived" and component == "principal" else draw(st.decimals(0, left, places=2))
            parts[name].append(taken)
            left -= taken
    return Line(draw(st.integers(1, 2000)), None, *(Amounts(*values) for values in parts.values()))


@given(st.lists(lines_within(), max_size=8))
def test_the_law_holds_for_any_lines_that_take_off_at_most_what_they_charged(lines: list[Line]) -> None:
    figures = Figures.of(lines)

    assert figures.balances
    assert all(value >= 0 for value in figures.outstanding)
    loan = LoanLedger(
        uuid.uuid4(),
        "CNY",
        figures.charged.principal,
        Decimal(0),
        tuple(lines),
        figures.paid.total,
        figures.waived,
        figures.written_off,
    )
    assert out_of_balance(loan) == []
