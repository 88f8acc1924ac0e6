"""Every option the menu offers respects the policy (DESIGN.md §4), for any loan and hardship."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.domain.menu import AGENT_INTEREST_WAIVER, SUPERVISOR_INTEREST_WAIVER, LoanPosition, plan_options, recommend
from plan_calculation.domain.options import Hardship
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
    )


def _principal(option: object) -> Decimal:
    return sum((line.principal for line in option.schedule), start=Decimal(0))  # type: ignore[attr-defined]


@given(position=positions(), verified=st.booleans(), disposable=cents)
@settings(max_examples=200, deadline=None)
def test_every_option_respects_the_policy(position: LoanPosition, verified: bool, disposable: Decimal) -> None:
    options = plan_options(position, verified)
    hardship = Hardship(Money.of(disposable, "CNY"))
    assert options
    assert len({option.option_id for option in options}) == len(options)
    for option in options:
        assert 1 <= len(option.schedule) <= 60  # no plan runs past 60 months
        assert option.total_payable.amount == sum((line.total for line in option.schedule), start=Decimal(0))
        # Principal is never waived: a plan collects exactly the principal it covers.
        covered = position.outstanding_principal if "extension" in option.option_id else position.principal
        assert _principal(option) == covered
        waived = option.waived
        assert waived.fee.is_zero
        assert waived.penalty.amount <= (position.penalty if verified else 0)  # penalty only with proven hardship
        limit = SUPERVISOR_INTEREST_WAIVER if option.needs_supervisor else AGENT_INTEREST_WAIVER
        assert waived.interest.amount <= position.interest * limit  # the waiver authority
        assert all(line.total >= 0 for line in option.schedule)
    best = recommend(options, hardship)
    if any(option.affordable(hardship) for option in options):
        assert best is not None
        assert best.affordable(hardship)
        assert all(best.total_cost <= option.total_cost for option in options if option.affordable(hardship))
    else:
        assert best is None


def test_a_worked_menu() -> None:
    # Overdue 1,000.00 principal + 45.00 interest + 0.31 penalty; two regular installments of
    # 1,045.00 still to come; 3,000.00 principal outstanding at 7.2% a year.
    position = LoanPosition(
        "CNY", date(2026, 2, 18), Decimal("1000.00"), Decimal("45.00"), Decimal(0), Decimal("0.31"),
        Decimal("3000.00"), Decimal("0.0720"), (Decimal("1045.00"), Decimal("1045.00")),
    )  # fmt: skip
    options = {option.option_id: option for option in plan_options(position, evidence_verified=True)}
    arrears_3 = options["arrears-3"]
    # 1,045.31 in three parts: 348.43, 348.43, 348.45 — plus the regular 1,045.00 the same month.
    assert [line.total for line in arrears_3.schedule] == [Decimal("348.43"), Decimal("348.43"), Decimal("348.45")]
    assert arrears_3.largest_outflow == Decimal("1393.45")
    waiver = options["waiver"]
    # Proven hardship: the 0.31 penalty in full and 20% of 45.00 interest (9.00) are waived.
    assert (waiver.kind, waiver.waived.total.amount, waiver.total_payable.amount) == (
        OptionKind.WAIVER,
        Decimal("9.31"),
        Decimal("1036.00"),
    )
    assert options["waiver-supervisor"].waived.interest.amount == Decimal("22.50")  # 50%, beyond the agent
    assert options["waiver-supervisor"].needs_supervisor
    extension = options["extension-6"]
    assert len(extension.schedule) == 8  # two remaining months + six more
    # Disposable income 2,000.00: 50% is 1,000.00, so no arrears plan is affordable beside the
    # regular installments; the cheapest affordable plan is recommended.
    best = recommend(list(options.values()), Hardship(Money.of("2000.00", "CNY")))
    assert best is not None
    assert best.option_id == "waiver-extension-6-supervisor"
