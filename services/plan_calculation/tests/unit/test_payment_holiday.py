"""The payment holiday (DESIGN.md §4): for verified unemployment, illness or disaster, 3 months
with nothing to pay, then the balance rescheduled; a supervisor approves; affordable at zero
income. To the ledger it is a term extension (effect `reschedule`, DESIGN.md §3a) whose first
lines are 0.00."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.application.offers import describe, quote, render_offer
from plan_calculation.domain.menu import holiday_offered, plan_options
from plan_calculation.domain.options import ComputedOption, Hardship, PlanLine, holiday_grounds
from plan_calculation.domain.plan_shapes import HOLIDAY_MONTHS, is_payment_holiday, payment_holiday
from plan_calculation.domain.position import LoanPosition
from plan_calculation.domain.recommendation import RecommendationRule, preference, recommend
from tideover_contracts.events.negotiation import EvidenceKind, EvidenceRef, HardshipReason, OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.money import Money

from .test_menu import positions

D = Decimal
ZERO_INCOME = Hardship(Money.of("0.00", "CNY"), holiday_grounds=True)
#: test_menu's worked loan: 1,000.00 principal + 45.00 interest + 0.31 penalty overdue, two
#: installments of 1,045.00 to come, 3,000.00 principal outstanding at 7.2% a year (0.6% a month).
WORKED = LoanPosition(
    "CNY",
    date(2026, 2, 18),
    D("1000.00"),
    D("45.00"),
    D(0),
    D("0.31"),
    D("3000.00"),
    D("0.0720"),
    (D("1045.00"), D("1045.00")),
)


def _evidence(kind: EvidenceKind, verified: bool = True) -> EvidenceRef:
    return EvidenceRef(document_id=uuid.uuid4(), kind=kind, sha256="0" * 64, verified=verified)


def _holidays(options: list[ComputedOption]) -> list[ComputedOption]:
    return [option for option in options if is_payment_holiday(option.option_id)]


def test_a_holiday_is_three_months_of_nothing_then_the_balance_rescheduled_with_the_holidays_interest() -> None:
    holiday = payment_holiday(WORKED, 0)
    assert holiday is not None
    assert (holiday.option_id, holiday.kind, holiday.effect) == ("holiday-3", OptionKind.TERM_EXTENSION, PlanEffect.RESCHEDULE)
    assert (holiday.needs_supervisor, holiday.waived.total, holiday.holiday_months) == (True, D(0), 3)
    lines = holiday.schedule
    # 18 Mar, 18 Apr, 18 May: nothing due; from 18 Jun the two remaining months.
    assert [line.due_date for line in lines] == [date(2026, m, 18) for m in (3, 4, 5, 6, 7)]
    assert [line.total for line in lines[:3]] == [D("0.00")] * 3
    assert all(part == D("0.00") for line in lines[:3] for part in (line.principal, line.interest, line.penalty, line.fee))
    # The contract interest of the holiday: 3,000.00 × 0.6% = 18.00 a month, 54.00, not compounded.
    assert holiday.holiday_interest == D("54.00")
    # Then 3,000.00 as an annuity over 2 months (interest 18.00, then 1,504.49 × 0.6% = 9.03), the
    # overdue 45.00 and the holiday's 54.00 of interest and the 0.31 penalty evenly beside it.
    assert [(line.principal, line.interest, line.penalty) for line in lines[3:]] == [
        (D("1495.51"), D("18.00") + D("49.50"), D("0.15")),
        (D("1504.49"), D("9.03") + D("49.50"), D("0.16")),
    ]
    assert [line.total for line in lines[3:]] == [D("1563.16"), D("1563.18")]
    # Conservation: the plan asks for exactly the outstanding principal (never more: the interest
    # is not capitalized), the overdue interest, fees and penalty, and the interest it adds.
    assert sum((line.principal for line in lines), start=D(0)) == WORKED.outstanding_principal
    assert sum((line.interest for line in lines), start=D(0)) == D("45.00") + D("54.00") + D("18.00") + D("9.03")
    assert sum((line.penalty for line in lines), start=D(0)) == WORKED.penalty
    assert holiday.total_payable == sum((line.total for line in lines), start=D(0)) == D("3126.34")


def test_a_longer_holiday_plan_adds_the_extension_after_the_holiday() -> None:
    holiday = payment_holiday(WORKED, 6)
    assert holiday is not None
    assert holiday.option_id == "holiday-3-extension-6"
    assert holiday.months == 3 + 2 + 6
    assert holiday.schedule[3].due_date == date(2026, 6, 18)
    assert sum((line.principal for line in holiday.schedule), start=D(0)) == D("3000.00")


def test_no_holiday_runs_past_60_months_or_has_nothing_after_it() -> None:
    long_loan = LoanPosition("CNY", date(2026, 2, 18), D(0), D(0), D(0), D(0), D("5000.00"), D("0.05"), (D("100.00"),) * 57)
    assert payment_holiday(long_loan, 0) is not None  # 3 + 57 = 60 months
    assert payment_holiday(long_loan, 6) is None
    matured = LoanPosition("CNY", date(2026, 2, 18), D("500.00"), D(0), D(0), D(0), D("500.00"), D("0.05"), ())
    assert payment_holiday(matured, 0) is None  # nothing left to reschedule the balance into
    assert payment_holiday(matured, 6) is not None


def test_a_holiday_is_affordable_at_zero_income_and_says_the_later_payments_are_not_judged() -> None:
    holiday = payment_holiday(WORKED, 0)
    assert holiday is not None
    assert holiday.judged_outflow == 0
    assert holiday.affordable(ZERO_INCOME)
    # What PlanOption reports as payment / disposable income stays the largest payment's.
    assert holiday.payment_to_disposable_income(ZERO_INCOME) == D("999.9999")
    [menu_option] = [option for option in describe(quote(WORKED, ZERO_INCOME, True)) if option.option_id == "holiday-3"]
    en, zh = menu_option.explanation["en"], menu_option.explanation["zh-CN"]
    assert "nothing to pay for the first 3 months (2026-03-18 to 2026-05-18)" in en
    assert "contract interest of CNY 54.00 accrues" in en
    assert "Payments resume on 2026-06-18" in en
    assert "the payments after them are not" in en
    assert "A supervisor must approve this payment holiday." in en
    assert "前 3 个月（2026-03-18 至 2026-05-18）无需还款" in zh
    assert "计息 CNY 54.00" in zh
    assert "自 2026-06-18 起恢复还款" in zh
    assert "恢复后的还款暂不评估" in zh
    assert "主管审批" in zh


@pytest.mark.parametrize(
    ("reason", "evidence", "grounds"),
    [
        (HardshipReason.UNEMPLOYMENT, [_evidence(EvidenceKind.UNEMPLOYMENT_PROOF)], True),
        (HardshipReason.ILLNESS, [_evidence(EvidenceKind.MEDICAL_RECORD)], True),
        (HardshipReason.DISASTER, [_evidence(EvidenceKind.DISASTER_PROOF)], True),
        (HardshipReason.UNEMPLOYMENT, [_evidence(EvidenceKind.INCOME_PROOF), _evidence(EvidenceKind.UNEMPLOYMENT_PROOF)], True),
        # Not verified, not the proof of the reason, or not a reason the policy names: no holiday.
        (HardshipReason.UNEMPLOYMENT, [_evidence(EvidenceKind.UNEMPLOYMENT_PROOF, verified=False)], False),
        (HardshipReason.UNEMPLOYMENT, [_evidence(EvidenceKind.INCOME_PROOF)], False),
        (HardshipReason.ILLNESS, [_evidence(EvidenceKind.UNEMPLOYMENT_PROOF)], False),
        (HardshipReason.UNEMPLOYMENT, [], False),
        (HardshipReason.INCOME_REDUCTION, [_evidence(EvidenceKind.UNEMPLOYMENT_PROOF)], False),
        (HardshipReason.FAMILY_EMERGENCY, [_evidence(EvidenceKind.MEDICAL_RECORD)], False),
        (HardshipReason.OTHER, [_evidence(EvidenceKind.OTHER)], False),
    ],
)
def test_only_verified_unemployment_illness_or_disaster_is_grounds_for_a_holiday(
    reason: HardshipReason, evidence: list[EvidenceRef], grounds: bool
) -> None:
    assert holiday_grounds(reason, (document.kind for document in evidence if document.verified)) is grounds


def test_a_zero_income_borrower_with_verified_unemployment_is_offered_and_recommended_a_holiday() -> None:
    options = plan_options(WORKED, True, ZERO_INCOME)
    holidays = _holidays(options)
    assert [option.option_id for option in holidays] == [
        "holiday-3",
        "holiday-3-extension-6",
        "holiday-3-extension-12",
        "holiday-3-extension-24",
    ]
    assert all(option.needs_supervisor and option.affordable(ZERO_INCOME) for option in holidays)
    # Nothing else is affordable at zero income; of the holidays, nothing waived by any, the shortest costs least.
    assert [option for option in options if option.affordable(ZERO_INCOME)] == holidays
    best = recommend(options, ZERO_INCOME)
    assert best is not None
    assert (best.option.option_id, best.rule) == ("holiday-3", RecommendationRule.LOWEST_COST)
    # The same hardship without the grounds: nothing is affordable, nothing recommended.
    no_grounds = Hardship(Money.of("0.00", "CNY"))
    assert _holidays(plan_options(WORKED, True, no_grounds)) == []
    assert recommend(plan_options(WORKED, True, no_grounds), no_grounds) is None


def test_a_holiday_is_not_offered_while_a_plan_within_the_agents_authority_is_affordable() -> None:
    # Disposable income 300.00: extension-equal-principal-24 asks at most 135.12, within half of it.
    # Offered beside it, holiday-3 (then 1,563.18 a month) would be recommended for costing less.
    some_income = Hardship(Money.of("300.00", "CNY"), holiday_grounds=True)
    options = plan_options(WORKED, True, some_income)
    assert _holidays(options) == []
    best = recommend(options, some_income)
    assert best is not None
    assert best.option.option_id == "extension-equal-principal-24"
    assert holiday_offered(some_income, affordable_within_authority=True) is False
    assert holiday_offered(some_income, affordable_within_authority=False) is True
    assert holiday_offered(Hardship(Money.of("300.00", "CNY")), affordable_within_authority=False) is False


def test_a_holiday_offer_renders_as_the_contract_reads_it() -> None:
    menu = quote(WORKED, ZERO_INCOME, True)
    rendered = render_offer(
        menu,
        offer_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        loan_id=uuid.uuid4(),
        basis_business_date=WORKED.business_date,
        valid_until=datetime(2026, 2, 25, tzinfo=UTC),
        supersedes_offer_id=None,
    )
    offer = PlanOffered.model_validate_json(rendered)
    assert offer.recommended_option_id == "holiday-3"
    holiday = next(option for option in offer.options if option.option_id == "holiday-3")
    assert holiday == next(option for option in describe(menu) if option.option_id == "holiday-3")
    assert (holiday.affordable, holiday.needs_supervisor, holiday.effect) == (True, True, PlanEffect.RESCHEDULE)
    assert [str(line.total.amount) for line in holiday.schedule[:3]] == ["0.00"] * 3
    written = next(option for option in json.loads(rendered)["options"] if option["option_id"] == "holiday-3")
    assert written["schedule"]["principal"][:3] == written["schedule"]["interest"][:3] == ["0.00"] * 3


@given(position=positions(), disposable=st.sampled_from([D(0), D("150.00"), D("2000.00")]), grounds=st.booleans())
@settings(max_examples=200, deadline=None)
def test_holidays_keep_the_policy_and_the_ledgers_sums(position: LoanPosition, disposable: Decimal, grounds: bool) -> None:
    hardship = Hardship(Money.of(disposable, "CNY"), holiday_grounds=grounds)
    options = plan_options(position, True, hardship)
    holidays = _holidays(options)
    others = [option for option in options if not is_payment_holiday(option.option_id)]
    assert others == plan_options(position, True, Hardship(hardship.disposable_income))  # the rest of the menu is unchanged
    within_authority = any(option.affordable(hardship) for option in others if not option.needs_supervisor)
    if not grounds or within_authority:
        assert holidays == []
    for holiday in holidays:
        assert (holiday.kind, holiday.effect) == (OptionKind.TERM_EXTENSION, PlanEffect.RESCHEDULE)
        assert (holiday.needs_supervisor, holiday.waived.total) == (True, D(0))
        assert holiday.affordable(hardship)
        lines = holiday.schedule
        assert HOLIDAY_MONTHS < len(lines) <= 60
        assert all(line.total == 0 for line in lines[:HOLIDAY_MONTHS])
        assert all(line.total >= 0 for line in lines)

        def column(name: str, lines: tuple[PlanLine, ...] = lines) -> Decimal:
            return sum((getattr(line, name) for line in lines), start=D(0))

        # What the ledger reschedules: the outstanding principal exactly, the overdue fees and
        # penalty; the interest is the overdue interest, the holiday's, and the re-amortized principal's.
        assert column("principal") == position.outstanding_principal
        assert (column("fee"), column("penalty")) == (position.fee, position.penalty)
        assert column("interest") >= position.interest + holiday.holiday_interest
        assert holiday.total_payable == column("total")
    best = recommend(options, hardship)
    if best is not None:  # the rule (DESIGN.md §4) holds with holidays on the menu
        assert all(preference(best.option) <= preference(option) for option in options if option.affordable(hardship))
    if holidays and disposable == 0:
        assert best is not None
        assert is_payment_holiday(best.option.option_id)
