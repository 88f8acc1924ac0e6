"""The written plan states every term, for each kind of plan, in every language and channel (issue 16).

A borrower confirms the written plan on whatever channel it reached them, in their language
(zh-Hans, zh-Hant or en); an SMS is all a
borrower without e-mail gets. So each version is read back here: the loan reference, each
month's date and total (for an arrears plan, its installment plus the regular installments due
that month), the regular installments' own dates, what is waived and on what condition, the
rate, how and where to pay, the grace days and the tolerance, that penalty is paused while the
plan is in force, and what a break does. The rules and payment instructions come from the terms
given (WrittenPlanTerms), never from the template: the figures here differ from the defaults.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from notification.application.written_plan import HOW_TO_PAY, WrittenPlanTerms
from notification.entrypoints.bootstrap import NotificationSettings, PlanRulesSettings, plan_terms
from tideover_contracts.common import (
    Channel,
    Language,
)
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.examples import LOAN_ID
from tideover_contracts.policy import PlanRules

from .written_plans import (
    CASES,
    CHINESE,
    NOTHING,
    TERMS,
    WORDS,
    Case,
    day_text,
    line,
    months_read_back,
    percent_text,
    written,
)

NOTHING_WAIVED = {
    Language.EN: ("nothing is waived",),
    Language.ZH_HANS: ("无减免", "不减免任何款项"),
    Language.ZH_HANT: ("無減免", "不減免任何款項"),
}


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
class TestEveryTermIsStated:
    def test_the_loan_reference_and_what_the_plan_does_to_the_loan(
        self, case: Case, language: Language, channel: Channel
    ) -> None:
        body = written(case, channel, language).body

        assert str(LOAN_ID) in body
        assert WORDS[language][case.effect.value] in body

    def test_each_months_date_and_total_the_plan_line_with_the_regular_installments_beside_it(
        self, case: Case, language: Language, channel: Channel
    ) -> None:
        body = written(case, channel, language).body

        assert months_read_back(body, channel, language) == case.months
        for item in case.continuing:
            assert f"{item.amount.amount:,}" in body
            if item.due_date not in case.months:  # due on another day than its plan month's
                assert day_text(item.due_date, language) in body

    def test_what_is_waived_and_on_what_condition(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body.lower()

        if case.waived.total.is_zero:
            assert any(words in body for words in NOTHING_WAIVED[language])
        else:
            assert "150.00" in body
            assert "120.00" in body  # penalty interest
            assert "30.00" in body  # interest
            assert WORDS[language]["condition"] in body
            assert WORDS[language]["reinstated"] in body

    def test_the_rate_and_how_and_where_to_pay(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body

        assert percent_text("7.20" if case.rate == "0.072" else "0.00", channel, language) in body
        assert TERMS.how_to_pay[language] in body

    def test_grace_tolerance_penalty_paused_and_what_a_break_does(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body
        words = WORDS[language]

        assert re.search(words["grace"], body)  # 5, not the 45 of the break rule
        assert ("¥20.00" if language in CHINESE else "CNY 20.00") in body
        assert re.search(rf"(?<![\d.]){re.escape(percent_text('2', channel, language))}", body)  # 2%, not 12% or 0.02%
        assert words["paused"] in body.lower()
        assert words["misses"] in body
        assert words["unpaid"] in body
        assert words["break"] in body

    def test_the_confirmation_code(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body

        assert ("4 8 2 9 1 5" if channel is Channel.VOICE_CALL else "482915") in body
        if channel is not Channel.VOICE_CALL:
            # The first six digits in a row are the code (gateways and the journey tests read it so).
            assert re.search(r"\d{6}", body).group() == "482915"  # type: ignore[union-attr]


class TestTheTermsComeFromSettings:
    def test_the_defaults_are_the_policys(self) -> None:
        terms = plan_terms(NotificationSettings(), PlanRulesSettings().rules())

        assert terms.rules == PlanRules()
        assert terms.how_to_pay == HOW_TO_PAY

    def test_the_plan_rules_are_read_from_the_variables_repayment_tracking_reads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TIDEOVER_PLAN_GRACE_DAYS", "5")
        monkeypatch.setenv("TIDEOVER_PLAN_TOLERANCE_FLOOR", "20.00")
        monkeypatch.setenv("TIDEOVER_PAYMENT_INSTRUCTIONS", '{"en": "Pay to account 6222 0000 1111."}')

        terms = plan_terms(NotificationSettings(), PlanRulesSettings().rules())

        assert (terms.rules.grace_days, terms.rules.tolerance_floor, terms.rules.misses_to_break) == (5, Decimal("20.00"), 2)
        assert terms.how_to_pay[Language.EN] == "Pay to account 6222 0000 1111."
        assert terms.how_to_pay[Language.ZH_HANS] == HOW_TO_PAY[Language.ZH_HANS]  # a language not named keeps its text

    def test_instructions_are_named_by_language_and_zh_cn_still_names_simplified_chinese(self) -> None:
        terms = WrittenPlanTerms().with_instructions({"zh-CN": "转账至6222。", "zh-Hant": "轉帳至6222。"})

        assert terms.how_to_pay[Language.ZH_HANS] == "转账至6222。"
        assert terms.how_to_pay[Language.ZH_HANT] == "轉帳至6222。"
        assert terms.how_to_pay[Language.EN] == HOW_TO_PAY[Language.EN]
        with pytest.raises(ValueError, match="zh-TW"):
            WrittenPlanTerms().with_instructions({"zh-TW": "轉帳至6222。"})

    def test_blank_instructions_are_refused(self) -> None:
        with pytest.raises(ValueError, match="blank"):
            WrittenPlanTerms().with_instructions({"zh-CN": "  "})


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
def test_months_with_nothing_to_pay_are_stated_as_such(language: Language, channel: Channel) -> None:
    """A payment holiday's first months ask for nothing (a reschedule whose lines are zero)."""
    lines = (
        line(1, date(2026, 4, 15), "0.00", "0.00"),
        line(2, date(2026, 5, 15), "0.00", "0.00"),
        line(3, date(2026, 6, 15), "500.00", "30.00"),
    )
    months = {date(2026, 4, 15): "0.00", date(2026, 5, 15): "0.00", date(2026, 6, 15): "530.00"}
    case = Case("holiday-3", OptionKind.TERM_EXTENSION, lines, (), NOTHING, "0.072", months)

    body = written(case, channel, language).body

    assert months_read_back(body, channel, language) == months
    assert "()" not in body
    assert "（）" not in body
