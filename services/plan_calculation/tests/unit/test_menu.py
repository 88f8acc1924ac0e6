"""Every option the menu offers respects the policy (DESIGN.md §4), for any loan and hardship."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.domain.explanations import explain
from plan_calculation.domain.menu import AGENT_INTEREST_WAIVER, SUPERVISOR_INTEREST_WAIVER, plan_options
from plan_calculation.domain.options import Hardship
from plan_calculation.domain.position import LoanPosition
from plan_calculation.domain.recommendation import RecommendationRule, recommend
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import Money

cents = st.integers(min_value=0, max_value=2_000_000).map(lambda c: Decimal(c) / 100)


@st.composite
def positions(draw: st.DrawFn) -> LoanPosition:
    overdue_principal = draw(cents)
    future = tuple(draw(st.lists(cents, max_size=48)))
    return LoanPosition(
        currency="CNY",
        business_date=date(2026, 2, 18),
        principal=overdue_principal,
        interest=draw(cents),
        fee=draw(st.sampled_from([Decimal(0), Decimal("15.00")])),
        penalty=draw(cents),
        outstanding_principal=overdue_principal + draw(cents),
        contract_rate=draw(st.integers(0, 3600).map(lambda r: Decimal(r) / 10000)),
        future_installments=future,
        charges_cap=draw(st.sampled_from([None, Decimal("0.12")])),
    )


def _principal(option: object) -> Decimal:
    return sum((line.principal for line in option.schedule), start=Decimal(0))  # type: ignore[attr-defined]


@given(position=positions(), verified=st.booleans(), disposable=cents)
@settings(max_examples=200, deadline=None)
def test_every_option_respects_the_policy(position: LoanPosition, verified: bool, disposable: Decimal) -> None:
    hardship = Hardship(Money.of(disposable, "CNY"))
    options = plan_options(position, verified, hardship)
    assert options or (position.overdue_total == 0 and position.outstanding_principal == 0)  # nothing owed: no plan
    assert len({option.option_id for option in options}) == len(options)
    for option in options:
        assert 1 <= len(option.schedule) <= 60  # no plan runs past 60 months
        assert option.total_payable == sum((line.total for line in option.schedule), start=Decimal(0))
        # Principal is never waived: a plan collects exactly the principal it covers.
        covered = position.outstanding_principal if "extension" in option.option_id else position.principal
        assert _principal(option) == covered
        waived = option.waived
        assert waived.fee == 0
        assert waived.penalty <= (position.penalty if verified else 0)  # penalty only with proven hardship
        limit = SUPERVISOR_INTEREST_WAIVER if option.needs_supervisor else AGENT_INTEREST_WAIVER
        assert waived.interest <= position.interest * limit  # the waiver authority
        assert all(line.total >= 0 for line in option.schedule)
        if option.kind in (OptionKind.TERM_EXTENSION, OptionKind.WAIVER_WITH_TERM_EXTENSION):
            # The charges cap: the interest a plan adds on the re-amortized principal is at most
            # the capped yearly rate on the whole outstanding principal, month after month.
            rate = position.contract_rate if position.charges_cap is None else min(position.contract_rate, position.charges_cap)
            added = sum((line.interest for line in option.schedule), start=Decimal(0)) - (position.interest - waived.interest)
            months = len(option.schedule)
            assert added <= position.outstanding_principal * rate / 12 * months + months * Decimal("0.005")
    # A waiver is offered only with verified evidence or when no option without one is
    # affordable; a supervisor's only when nothing within the agent's authority is (DESIGN.md §4).
    plain = [option for option in options if option.waived.total == 0]
    within_authority = [option for option in options if not option.needs_supervisor]
    if any(option.affordable(hardship) for option in plain) and not verified:
        assert options == plain
    if any(option.affordable(hardship) for option in within_authority):
        assert options == within_authority
    agent_interest = (position.interest * AGENT_INTEREST_WAIVER).quantize(Decimal("0.01"), ROUND_DOWN)
    agent_may_waive = (position.penalty if verified else 0) + agent_interest
    if agent_may_waive > 0 and (verified or not any(option.affordable(hardship) for option in plain)):
        assert any(option.waived.total == agent_may_waive and not option.needs_supervisor for option in options)


def test_a_worked_menu() -> None:
    # Overdue 1,000.00 principal + 45.00 interest + 0.31 penalty; two regular installments of
    # 1,045.00 still to come; 3,000.00 principal outstanding at 7.2% a year.
    position = LoanPosition(
        "CNY",
        date(2026, 2, 18),
        Decimal("1000.00"),
        Decimal("45.00"),
        Decimal(0),
        Decimal("0.31"),
        Decimal("3000.00"),
        Decimal("0.0720"),
        (Decimal("1045.00"), Decimal("1045.00")),
    )
    options = {option.option_id: option for option in plan_options(position, evidence_verified=True)}
    arrears_3 = options["arrears-3"]
    # 1,045.31 in three parts: 348.43, 348.43, 348.45 — plus the regular 1,045.00 the same month.
    # Their due dates not given (a what-if), the two regular installments fall in the plan's first
    # two months, so the third asks for its 348.45 alone (tideover_contracts.outflow).
    assert [line.total for line in arrears_3.schedule] == [Decimal("348.43"), Decimal("348.43"), Decimal("348.45")]
    assert arrears_3.outflow.amounts == (Decimal("1393.43"), Decimal("1393.43"), Decimal("348.45"))
    assert arrears_3.largest_outflow == Decimal("1393.43")
    waiver = options["waiver"]
    # Proven hardship: the 0.31 penalty in full and 20% of 45.00 interest (9.00) are waived.
    assert (waiver.kind, waiver.waived.total, waiver.total_payable) == (
        OptionKind.WAIVER,
        Decimal("9.31"),
        Decimal("1036.00"),
    )
    assert options["waiver-supervisor"].waived.interest == Decimal("22.50")  # 50%, beyond the agent
    assert options["waiver-supervisor"].needs_supervisor
    extension = options["extension-6"]
    assert len(extension.schedule) == 8  # two remaining months + six more
    # Disposable income 2,000.00: 50% is 1,000.00, so no arrears plan is affordable beside the
    # regular installments. Plans with nothing waived are: the cheapest of them is recommended
    # (not the cheaper waiver-extension-6, 389.70 a month with 9.31 waived, which the verified
    # evidence keeps on the menu), and no option that needs a supervisor is on the menu.
    hardship = Hardship(Money.of("2000.00", "CNY"))
    menu = plan_options(position, True, hardship)
    best = recommend(menu, hardship)
    assert best is not None
    assert (best.option.option_id, best.option.largest_outflow, best.rule) == (
        "extension-equal-principal-6",
        Decimal("398.65"),
        RecommendationRule.LOWEST_COST,
    )
    assert "waiver-extension-6" in {option.option_id for option in menu}
    assert not any(option.needs_supervisor for option in menu)


def test_deeper_waivers_are_offered_only_when_nothing_within_authority_is_affordable() -> None:
    position = LoanPosition(
        "CNY",
        date(2026, 2, 18),
        Decimal("1000.00"),
        Decimal("45.00"),
        Decimal(0),
        Decimal("0.31"),
        Decimal("3000.00"),
        Decimal("0.0720"),
        (Decimal("1045.00"), Decimal("1045.00")),
    )
    # The most affordable option within authority, waiver-extension-24, asks 126.59 a month:
    # affordable from 253.18 of disposable income.
    enough = Hardship(Money.of("253.18", "CNY"))
    assert not any(option.needs_supervisor for option in plan_options(position, True, enough))
    # One cent less: the supervisor's 50% interest waiver brings it to 126.09, and is offered.
    short = Hardship(Money.of("253.17", "CNY"))
    menu = plan_options(position, True, short)
    best = recommend(menu, short)
    assert best is not None
    assert (best.option.option_id, best.option.largest_outflow, best.option.needs_supervisor) == (
        "waiver-extension-24-supervisor",
        Decimal("126.09"),
        True,
    )
    # Below 252.18 nothing is affordable even with the deeper waiver.
    assert (
        recommend(plan_options(position, True, Hardship(Money.of("252.17", "CNY"))), Hardship(Money.of("252.17", "CNY"))) is None
    )


def test_the_charges_cap_bounds_the_plan_rate() -> None:
    # A 24% loan in CN: a plan charges at most 12% a year (4 × the 3.0% one-year LPR).
    position = LoanPosition(
        "CNY",
        date(2026, 2, 18),
        Decimal("1000.00"),
        Decimal("45.00"),
        Decimal(0),
        Decimal("0.31"),
        Decimal("12000.00"),
        Decimal("0.2400"),
        (Decimal("1100.00"),) * 11,
        charges_cap=Decimal("0.12"),
    )
    uncapped = {option.option_id: option for option in plan_options(replace(position, charges_cap=None), False)}
    capped = {option.option_id: option for option in plan_options(position, False)}
    # First month of extension-6 (17 months): 12,000.00 × 1% = 120.00 (not 240.00 at 2%), plus 45.00 / 17 = 2.64.
    assert capped["extension-6"].schedule[0].interest == Decimal("122.64")
    assert uncapped["extension-6"].schedule[0].interest == Decimal("242.64")
    # Arrears plans add no interest, so the cap leaves them alone.
    assert capped["arrears-3"].schedule == uncapped["arrears-3"].schedule


def test_equal_principal_is_the_alternative_shape_of_each_extension() -> None:
    position = LoanPosition(
        "CNY",
        date(2026, 2, 18),
        Decimal("1000.00"),
        Decimal("45.00"),
        Decimal(0),
        Decimal("0.31"),
        Decimal("3000.00"),
        Decimal("0.0720"),
        (Decimal("1045.00"), Decimal("1045.00")),
    )
    options = {option.option_id: option for option in plan_options(position, evidence_verified=False)}
    annuity, equal = options["extension-6"], options["extension-equal-principal-6"]
    # 3,000.00 over 8 months: 375.00 of principal each month; interest on the falling balance.
    assert [line.principal for line in equal.schedule] == [Decimal("375.00")] * 8
    assert equal.schedule[0].total > equal.schedule[-1].total  # payments fall
    assert len({line.total for line in annuity.schedule[:-1]}) == 1  # the annuity's stay level
    assert equal.total_payable < annuity.total_payable  # principal repaid sooner costs less interest
    assert equal.kind is OptionKind.TERM_EXTENSION
    assert "same principal each month" in explain(equal)["en"]
    assert "等额本金" in explain(equal)["zh-CN"]


def test_before_anything_is_overdue_the_menu_reschedules_the_coming_installments() -> None:
    """Early hardship (DESIGN.md §4): nothing overdue, six installments of 1,000.00 principal to
    come. No arrears to split, so no arrears plan and no waiver: extensions of the schedule only,
    each collecting the outstanding principal."""
    position = LoanPosition(
        "CNY",
        date(2027, 2, 1),
        Decimal(0),
        Decimal(0),
        Decimal(0),
        Decimal(0),
        Decimal("6000.00"),
        Decimal("0.0720"),
        (Decimal("1036.00"),) * 6,
    )
    options = plan_options(position, evidence_verified=True, hardship=Hardship(Money.of("1200.00", "CNY")))
    assert {option.kind for option in options} == {OptionKind.TERM_EXTENSION}
    assert all(option.waived.total == 0 for option in options)
    assert all(_principal(option) == Decimal("6000.00") for option in options)
    recommendation = recommend(options, Hardship(Money.of("1200.00", "CNY")))
    assert recommendation is not None
    assert recommendation.option.option_id.startswith("extension")
