"""One definition of what the borrower pays under an option (issue 20, finding 2): the months add
up to the total from now on for every plan effect, regular installments included once each; the
plan's months are the offer's (tideover_contracts.outflow), and the loan's schedule only adds the
months after the plan. tests/laws/test_option_outflow.py checks them against plan-calculation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from negotiation_intake.entrypoints.console.comparison import option_cost, percent_of_income, regular_installments
from tideover_contracts.common import ContinuingInstallment, PlanInstallmentLine, ScheduledInstallment, WaivedAmounts
from tideover_contracts.events.negotiation import PlanEffect
from tideover_contracts.events.overdue import RemainingInstallment
from tideover_contracts.events.plans import PlanOption
from tideover_contracts.money import Money

BASIS = date(2026, 3, 15)
KIND = {PlanEffect.ARREARS: "arrears_installments", PlanEffect.RESCHEDULE: "term_extension"}


def cny(amount: Decimal | str) -> Money:
    return Money.of(amount, "CNY")


def month(index: int) -> date:
    """The plan's `index`th month (1-based): a month after the basis, and so on."""
    return BASIS + timedelta(days=30 * index)


def plan(
    effect: PlanEffect, totals: list[Decimal], continuing: Sequence[ContinuingInstallment] = (), share: str = "0.1"
) -> PlanOption:
    zero = cny("0.00")
    lines = tuple(
        PlanInstallmentLine(
            sequence=index, due_date=month(index), principal=cny(total), interest=zero, penalty=zero, fee=zero, total=cny(total)
        )
        for index, total in enumerate(totals, start=1)
    )
    return PlanOption(
        option_id=f"{effect.value}-{len(totals)}",
        kind=KIND[effect],
        effect=effect,
        months=len(totals),
        schedule=lines,
        first_payment=lines[0].total,
        largest_payment=max((line.total for line in lines), key=lambda money: money.amount),
        total_payable=cny(sum(totals, start=Decimal(0))),
        waived=WaivedAmounts(penalty=zero, interest=zero, fee=zero, total=zero),
        waiver_conditional=False,
        cost_vs_status_quo=zero,
        payment_to_disposable_income=share,
        affordable=True,
        needs_supervisor=False,
        explanation={"en": "", "zh-CN": ""},
        continuing_installments=tuple(continuing),
    )


def installment(sequence: int, due: date, amount: str) -> ContinuingInstallment:
    return ContinuingInstallment(sequence=sequence, due_date=due, amount=cny(amount))


def test_an_arrears_plan_asks_for_the_regular_installments_beside_it_and_after_it() -> None:
    beside = [installment(7, month(1), "500.00"), installment(8, month(2), "500.00")]
    option = plan(PlanEffect.ARREARS, [Decimal("300.00"), Decimal("300.00")], beside)
    later = [*beside, installment(9, month(3), "500.00"), installment(10, month(4), "480.00")]

    cost = option_cost(option, BASIS, later)

    assert [m.amount for m in cost.months] == [Decimal("800.00"), Decimal("800.00"), Decimal("500.00"), Decimal("480.00")]
    assert cost.pays_per_month == Decimal("800.00")
    assert cost.total_from_now == Decimal("2580.00")
    assert cost.complete


def test_the_share_of_disposable_income_is_the_offers_own() -> None:
    """Plan-calculation wrote it of the largest month by the same rule; the console does not judge again."""
    assert percent_of_income(plan(PlanEffect.ARREARS, [Decimal("300.00")], share="0.4000"), Decimal("2000.00")) == Decimal(40)
    assert percent_of_income(plan(PlanEffect.ARREARS, [Decimal("300.00")], share="0.5001"), Decimal("600.00")) == Decimal("50.01")
    assert percent_of_income(plan(PlanEffect.ARREARS, [Decimal("300.00")], share="999.9999"), Decimal(0)) is None


def test_a_regular_installment_after_the_plan_larger_than_any_month_of_it_is_not_its_largest_month() -> None:
    """The loan's own installments after the plan are not the plan's (a balloon, say): shown and
    counted in the total, they change neither pays per month nor what it is judged on."""
    option = plan(PlanEffect.ARREARS, [Decimal("300.00")], [installment(7, month(1), "500.00")])

    known = option_cost(option, BASIS, [installment(7, month(1), "500.00"), installment(8, month(2), "5000.00")])

    assert [m.amount for m in known.months] == [Decimal("800.00"), Decimal("5000.00")]
    assert known.pays_per_month == option_cost(option, BASIS, None).pays_per_month == Decimal("800.00")
    assert known.total_from_now == Decimal("5800.00")


def test_without_the_loans_schedule_an_arrears_plan_counts_what_the_offer_carries_and_says_so() -> None:
    option = plan(PlanEffect.ARREARS, [Decimal("300.00")], [installment(7, month(1), "500.00")])

    cost = option_cost(option, BASIS, None)

    assert (cost.total_from_now, cost.pays_per_month, cost.complete) == (Decimal("800.00"), Decimal("800.00"), False)


def test_an_extension_replaces_the_schedule_so_its_months_are_its_own() -> None:
    option = plan(PlanEffect.RESCHEDULE, [Decimal("410.00"), Decimal("400.00")])

    cost = option_cost(option, BASIS, [installment(9, month(1), "500.00")])

    assert [m.amount for m in cost.months] == [Decimal("410.00"), Decimal("400.00")]
    assert (cost.total_from_now, cost.pays_per_month) == (Decimal("810.00"), Decimal("410.00"))


def test_the_loans_schedule_gives_the_installments_still_owed() -> None:
    def remaining(sequence: int, owed: str) -> RemainingInstallment:
        scheduled = ScheduledInstallment(
            sequence=sequence, due_date=month(sequence), principal=cny("400.00"), interest=cny("100.00"), fee=cny("0.00")
        )
        return RemainingInstallment(installment=scheduled, outstanding=cny(owed))

    assert regular_installments([remaining(1, "0.00"), remaining(2, "120.50")]) == (installment(2, month(2), "120.50"),)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(9000), places=2)


@st.composite
def cases(draw: st.DrawFn) -> tuple[PlanOption, list[ContinuingInstallment] | None]:
    """An option of either effect, the loan's regular installments (some due before the basis),
    the offer carrying those due during an arrears plan, and whether the schedule is known."""
    effect = draw(st.sampled_from(PlanEffect))
    totals = draw(st.lists(amounts, min_size=1, max_size=12))
    days = draw(st.lists(st.integers(min_value=-60, max_value=30 * 20), max_size=24))
    regular = [installment(seq, BASIS + timedelta(days=day), str(draw(amounts))) for seq, day in enumerate(days, start=1)]
    last = month(len(totals))
    carried = [item for item in regular if BASIS <= item.due_date <= last] if effect is PlanEffect.ARREARS else []
    return plan(effect, totals, carried), (regular if draw(st.booleans()) else None)


@given(cases())
def test_the_months_add_up_to_the_total_from_now_on_for_every_effect(
    case: tuple[PlanOption, list[ContinuingInstallment] | None],
) -> None:
    option, later = case

    cost = option_cost(option, BASIS, later)

    amounts = [m.amount for m in cost.months]
    plan_months = cost.months[: len(option.schedule)]
    assert cost.total_from_now == sum(amounts, start=Decimal(0))
    # The largest month of the plan, the offer's, whatever the loan's schedule adds after it.
    assert cost.pays_per_month == max(m.amount for m in plan_months) == option.outflow(BASIS).pays_per_month
    assert cost.pays_per_month == option_cost(option, BASIS, None).pays_per_month
    assert [m.plan for m in plan_months] == [line.total.amount for line in option.schedule]
    assert all(m.plan == 0 and m.due_date > option.schedule[-1].due_date for m in cost.months[len(option.schedule) :])
    if cost.effect is PlanEffect.RESCHEDULE:
        assert cost.total_from_now == option.total_payable.amount
        assert cost.pays_per_month == option.largest_payment.amount
    else:
        # Each regular installment from the basis on, once: those the offer carries, and those after
        # the plan where the loan's schedule is known.
        counted = {item.sequence: item for item in option.continuing_installments}
        last = option.schedule[-1].due_date
        counted.update({item.sequence: item for item in later or () if item.due_date > last})
        regular = sum((item.amount.amount for item in counted.values()), start=Decimal(0))
        assert cost.total_from_now == option.total_payable.amount + regular
        assert cost.complete is (later is not None)
    assert [m.due_date for m in cost.months] == sorted(m.due_date for m in cost.months)
