"""The recommendation (DESIGN.md §4): among the affordable options, least waived first, then the
lowest total cost to the borrower, then no supervisor needed, then the shortest; and the
explanation says which of those steps chose it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan_calculation.application.offers import describe, quote
from plan_calculation.domain.explanations import WHY, explain
from plan_calculation.domain.menu import plan_options
from plan_calculation.domain.options import ComputedOption, Hardship, Schedule, Waived
from plan_calculation.domain.position import LoanPosition
from plan_calculation.domain.recommendation import RULE_STEPS, RecommendationRule, preference, recommend
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.money import Money

from .test_menu import positions

D = Decimal
Rule = RecommendationRule

#: Issue 16's case, constructed: a 24% loan of twelve installments of 1,149.00 principal and
#: 300.00 interest, three paid, the fourth overdue (1.20 penalty), eight to come. Its arrears-3
#: asks 1,932.40 a month with the regular installment beside it, within half of 15,000.00; the
#: old rule (lowest total cost) recommended waiver-extension-6, 14 months with 60.00 of interest
#: waived, without evidence. A 14-month extension at the CN cap (12%) costs less than the
#: contract's own interest, so with nothing waived the cheapest plan is still an extension.
CASE_15000 = LoanPosition(
    "CNY",
    date(2026, 4, 20),
    D("1149.00"),
    D("300.00"),
    D(0),
    D("1.20"),
    D("10341.00"),
    D("0.2400"),
    (D("1449.00"),) * 8,
    charges_cap=D("0.12"),
)
#: The worked menu of test_menu: 1,045.31 overdue at 7.2%, two installments of 1,045.00 to come.
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
#: No interest at all: every plan costs the same 3,000.00.
INTEREST_FREE = LoanPosition(
    "CNY", date(2026, 2, 18), D("1000.00"), D(0), D(0), D(0), D("3000.00"), D(0), (D("1000.00"), D("1000.00"))
)


@pytest.mark.parametrize(
    ("position", "disposable", "verified", "expected", "rule"),
    [
        # Nothing waived is needed, so none is offered, and the cheapest unwaived plan is
        # recommended (equal principal repays sooner than the annuity: less interest).
        (CASE_15000, "15000.00", False, "extension-equal-principal-6", Rule.LOWEST_COST),
        # With verified evidence the waivers are on the menu, but still not recommended.
        (CASE_15000, "15000.00", True, "extension-equal-principal-6", Rule.LOWEST_COST),
        (WORKED, "2000.00", True, "extension-equal-principal-6", Rule.LOWEST_COST),
        # Every plan costs the same: arrears-3 is the shortest.
        (INTEREST_FREE, "4000.00", False, "arrears-3", Rule.SHORTEST),
        # Only arrears are unaffordable; extension-6 and its equal-principal twin are equal on
        # every step at a zero rate, and the first on the menu is taken.
        (INTEREST_FREE, "900.00", False, "extension-6", Rule.SHORTEST),
        # Of the plans with nothing waived only extension-24 (126.90 a month) is affordable; the
        # agent's waiver-extension-24 (126.59) is too, and waives more.
        (WORKED, "253.90", True, "extension-24", Rule.LEAST_WAIVED),
        (WORKED, "253.90", False, "extension-24", Rule.ONLY_AFFORDABLE),
        # Nothing without a waiver is affordable: the agent's interest waiver is offered even
        # without evidence (9.00; the penalty needs evidence), and the only affordable option.
        (WORKED, "253.50", False, "waiver-extension-24", Rule.ONLY_AFFORDABLE),
        (WORKED, "253.18", True, "waiver-extension-24", Rule.ONLY_AFFORDABLE),
        # Nothing within the agent's authority is affordable: the supervisor's deeper waiver.
        (WORKED, "253.17", True, "waiver-extension-24-supervisor", Rule.ONLY_AFFORDABLE),
    ],
)
def test_the_recommendation_picks_by_the_documented_rule(
    position: LoanPosition, disposable: str, verified: bool, expected: str, rule: RecommendationRule
) -> None:
    hardship = Hardship(Money.of(disposable, "CNY"))
    recommended = recommend(plan_options(position, verified, hardship), hardship)
    assert recommended is not None
    assert (recommended.option.option_id, recommended.rule) == (expected, rule)


def test_the_15000_case_offers_no_waiver_and_recommends_nothing_waived() -> None:
    hardship = Hardship(Money.of("15000.00", "CNY"))
    options = {option.option_id: option for option in plan_options(CASE_15000, False, hardship)}
    assert options["arrears-3"].largest_outflow == D("1932.40")
    assert options["arrears-3"].affordable(hardship)
    assert not any(option.waived.total for option in options.values())  # no evidence, and none needed
    with_evidence = {option.option_id: option for option in plan_options(CASE_15000, True, hardship)}
    # What the old rule took: 14 months, 60.00 of interest (and, with evidence, the 1.20 penalty) waived.
    assert (with_evidence["waiver-extension-6"].months, with_evidence["waiver-extension-6"].waived.total) == (14, D("61.20"))
    assert with_evidence["waiver-extension-6"].total_cost < options["extension-equal-principal-6"].total_cost


def test_nothing_affordable_is_no_recommendation() -> None:
    hardship = Hardship(Money.of("252.17", "CNY"))
    assert recommend(plan_options(WORKED, True, hardship), hardship) is None


def _option(option_id: str, total: str, *, waived: str = "0", supervisor: bool = False, months: int = 1) -> ComputedOption:
    parts = [D(total) / months] * months
    zeros = [D(0)] * months
    due = tuple(date(2026, 3 + n, 18) for n in range(months))
    return ComputedOption(
        option_id=option_id,
        kind=OptionKind.WAIVER_WITH_TERM_EXTENSION if D(waived) else OptionKind.TERM_EXTENSION,
        columns=Schedule.of(due, parts, zeros, zeros, zeros),
        currency="CNY",
        waived=Waived(interest=D(waived)),
        needs_supervisor=supervisor,
    )


@pytest.mark.parametrize(
    ("options", "expected", "rule"),
    [
        ([_option("a", "100", waived="5"), _option("b", "120")], "b", Rule.LEAST_WAIVED),
        ([_option("a", "120", waived="5"), _option("b", "100", waived="5")], "b", Rule.LOWEST_COST),
        # Two waivers alike in amount and cost, one beyond the agent's authority (e.g. a kind the
        # menu does not build today): the one the agent can grant.
        ([_option("a", "100", waived="5", supervisor=True), _option("b", "100", waived="5")], "b", Rule.NO_SUPERVISOR),
        ([_option("a", "100", months=4), _option("b", "100", months=2)], "b", Rule.SHORTEST),
        ([_option("a", "100")], "a", Rule.ONLY_AFFORDABLE),
        # Not affordable (600.00 in one month, over 50% of 1,000.00): never recommended, nor a rival.
        ([_option("a", "600"), _option("b", "700", waived="5", months=2)], "b", Rule.ONLY_AFFORDABLE),
    ],
)
def test_each_step_of_the_rule_decides_in_its_turn(
    options: list[ComputedOption], expected: str, rule: RecommendationRule
) -> None:
    recommended = recommend(options, Hardship(Money.of("1000.00", "CNY")))
    assert recommended is not None
    assert (recommended.option.option_id, recommended.rule) == (expected, rule)


cents = st.integers(min_value=0, max_value=2_000_000).map(lambda c: Decimal(c) / 100)


@given(position=positions(), verified=st.booleans(), disposable=cents)
@settings(max_examples=200, deadline=None)
def test_no_affordable_option_is_better_than_the_recommended_one(
    position: LoanPosition, verified: bool, disposable: Decimal
) -> None:
    hardship = Hardship(Money.of(disposable, "CNY"))
    options = plan_options(position, verified, hardship)
    affordable = [option for option in options if option.affordable(hardship)]
    recommended = recommend(options, hardship)
    if not affordable:
        assert recommended is None
        return
    assert recommended is not None
    best = recommended.option
    assert best.affordable(hardship)
    key = (best.waived.total, best.total_cost, best.needs_supervisor, best.months)
    assert not any((o.waived.total, o.total_cost, o.needs_supervisor, o.months) < key for o in affordable)
    # The rule named is the step that separated it from the rest: every rival is worse by that
    # step at the latest, and (but for the only affordable option) one was level before it.
    rivals = [option for option in affordable if option is not best]
    if recommended.rule is Rule.ONLY_AFFORDABLE:
        assert rivals == []
        return
    step = RULE_STEPS.index(recommended.rule)
    assert rivals
    assert all(preference(option)[: step + 1] >= key[: step + 1] for option in rivals)
    assert recommended.rule is Rule.SHORTEST or all(preference(option)[: step + 1] > key[: step + 1] for option in rivals)
    assert step == 0 or any(preference(option)[:step] == key[:step] for option in rivals)


def test_every_reason_is_written_in_every_locale_an_option_is_explained_in() -> None:
    locales = set(explain(plan_options(WORKED, True)[0]))
    assert set(WHY) == set(RecommendationRule)
    assert all(set(texts) == locales for texts in WHY.values())


def test_the_offer_says_why_the_recommended_option_was_chosen_and_no_other() -> None:
    menu = quote(CASE_15000, Hardship(Money.of("15000.00", "CNY")), True)
    described = {option.option_id: option for option in describe(menu)}
    recommended = described["extension-equal-principal-6"]
    assert recommended.explanation["en"].endswith(
        "Recommended: of the affordable options with the least waived, the lowest total cost to the borrower."
    )
    assert recommended.explanation["zh-CN"].endswith("推荐理由：在负担得起且减免最少的方案中，借款人总还款额最低。")
    assert recommended.explanation["en"].startswith("Everything outstanding is spread over 14 months with the same principal")
    others = [option for option_id, option in described.items() if option_id != "extension-equal-principal-6"]
    assert not any("Recommended" in o.explanation["en"] or "推荐理由" in o.explanation["zh-CN"] for o in others)
