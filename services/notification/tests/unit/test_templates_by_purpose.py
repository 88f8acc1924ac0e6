"""What the other templates say: a cure confirmed, the opt-out line, refused and requoted plans;
and that templates are strict about their facts and format them in the borrower's locale."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from notification.adapters.templates import TemplateError
from notification.application.message_facts import NoMessageForEventError, facts_for
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason, RepaymentReceived
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import CureReason, LoanCured
from tideover_contracts.events.plans import PlanOffered, PlanRejected
from tideover_contracts.examples import OFFER_ID
from tideover_contracts.money import Money

from .renderings import (
    FACTS,
    OPT_OUT,
    facts_of,
    golden_event,
    money,
    rendered,
)
from .written_plans import CHINESE


class TestCuredConfirmation:
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_closed_loan_is_told_so_without_a_remaining_principal(self, channel: Channel, language: Language) -> None:
        event = golden_event(LoanCured).model_copy(update={"reason": CureReason.LOAN_CLOSED})

        body = rendered(Purpose.CURED_CONFIRMATION, channel, language, facts=facts_of(event)).body

        assert {Language.ZH_HANS: "关闭", Language.ZH_HANT: "關閉"}.get(language, "closed") in body
        assert "2,000.00" not in body

    @pytest.mark.parametrize("language", list(Language))
    def test_a_paid_loan_states_the_remaining_principal(self, language: Language) -> None:
        assert money("2,000.00", language) in rendered(Purpose.CURED_CONFIRMATION, Channel.SMS, language).body


class TestOptOut:
    """Regulation F §1006.6(e): every SMS and e-mail to a US borrower says how to opt out."""

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_us_sms_and_email_end_with_it_and_cn_ones_do_not(
        self, purpose: Purpose, channel: Channel, language: Language
    ) -> None:
        line = OPT_OUT[channel, language]

        assert rendered(purpose, channel, language, Jurisdiction.US).body.endswith(line)
        assert "STOP" not in rendered(purpose, channel, language, Jurisdiction.CN).body
        assert "UNSUBSCRIBE" not in rendered(purpose, channel, language, Jurisdiction.CN).body

    @pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", [Channel.PUSH, Channel.VOICE_CALL])
    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_push_and_voice_never_carry_it(
        self, purpose: Purpose, channel: Channel, language: Language, jurisdiction: Jurisdiction
    ) -> None:
        body = rendered(purpose, channel, language, jurisdiction).body

        assert "STOP" not in body
        assert "UNSUBSCRIBE" not in body

    def test_the_e_mail_opt_out_is_its_own_paragraph(self) -> None:
        body = rendered(Purpose.OVERDUE_NOTICE, Channel.EMAIL, Language.EN, Jurisdiction.US).body

        assert body.endswith(f"Tideover Customer Service\n\n{OPT_OUT[Channel.EMAIL, Language.EN]}")


class TestStrictness:
    def test_a_missing_fact_raises(self) -> None:
        facts = dict(FACTS[Purpose.OVERDUE_NOTICE])
        del facts["days_past_due"]

        with pytest.raises(TemplateError, match="days_past_due"):
            rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.EN, facts=facts)

    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_missing_fact_raises_on_every_channel(self, channel: Channel) -> None:
        facts = dict(FACTS[Purpose.WRITTEN_PLAN])
        del facts["total_payable"]

        with pytest.raises(TemplateError, match="total_payable"):
            rendered(Purpose.WRITTEN_PLAN, channel, Language.ZH_HANT, facts=facts)

    def test_an_amount_that_is_not_money_raises(self) -> None:
        facts = {**FACTS[Purpose.OVERDUE_NOTICE], "overdue_total": Decimal("1045.00")}

        with pytest.raises(TemplateError, match="money filter needs a Money"):
            rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.EN, facts=facts)

    def test_a_naive_datetime_raises(self) -> None:
        facts = {**FACTS[Purpose.WRITTEN_PLAN], "code_expires_at": datetime(2026, 3, 17, 1, 30)}  # noqa: DTZ001

        with pytest.raises(TemplateError, match="naive datetime"):
            rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.EN, facts=facts)

    def test_facts_may_not_override_the_language(self) -> None:
        with pytest.raises(TemplateError, match="language"):
            rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.EN, facts={**FACTS[Purpose.OVERDUE_NOTICE], "language": "en"})

    def test_an_event_that_calls_for_no_message_is_refused(self) -> None:
        with pytest.raises(NoMessageForEventError):
            facts_for(golden_event(RepaymentReceived))


class TestFormats:
    @pytest.mark.parametrize(
        ("amount", "language", "expected"),
        [
            (Money.of("1234.56", "CNY"), Language.ZH_HANS, "¥1,234.56"),
            # zh-Hant writes amounts as zh-Hans does: the yuan as ¥, not Babel zh_Hant's CN¥.
            (Money.of("1234.56", "CNY"), Language.ZH_HANT, "¥1,234.56"),
            (Money.of("1234.56", "CNY"), Language.EN, "CNY 1,234.56"),
            (Money.of("12000", "JPY"), Language.EN, "JPY 12,000"),
            (Money.of("2000.50", "USD"), Language.ZH_HANS, "US$2,000.50"),
            (Money.of("2000.50", "USD"), Language.ZH_HANT, "US$2,000.50"),
        ],
    )
    def test_money(self, amount: Money, language: Language, expected: str) -> None:
        facts = {**FACTS[Purpose.PLAN_COMPLETED], "total_paid": amount}

        body = rendered(Purpose.PLAN_COMPLETED, Channel.PUSH, language, facts=facts).body

        assert expected in body
        assert "CN¥" not in body

    def test_dates_are_calendar_days_in_the_languages_long_form(self) -> None:
        assert "2026年6月15日" in rendered(Purpose.PLAN_COMPLETED, Channel.SMS, Language.ZH_HANS).body
        assert "2026年6月15日" in rendered(Purpose.PLAN_COMPLETED, Channel.SMS, Language.ZH_HANT).body
        assert "June 15, 2026" in rendered(Purpose.PLAN_COMPLETED, Channel.SMS, Language.EN).body


class TestARefusedPlanSaysWhyAndWhatComesNext:
    """plan_refused: each reason plan-calculation gives (and a re-quote) has its own words."""

    CASES = (
        ("loan_cured", "brought up to date", "已无逾期", "已無逾期"),
        ("loan_closed", "was closed", "已结清或关闭", "已結清或關閉"),
        ("plan_already_active", "already in force", "原方案继续有效", "原方案繼續有效"),
        ("offer_expired", "had expired", "已过有效期", "已過有效期"),
        ("unaffordable", "no plan within your means", "没有在您还款能力范围内的方案", "沒有在您還款能力範圍內的方案"),
        ("requoted", "send you the updated plan to confirm", "更新后的方案发给您确认", "更新後的方案發給您確認"),
        ("unknown_option", "could not be put in force", "该方案无法生效", "該方案無法生效"),
    )

    @pytest.mark.parametrize(("code", "en", "zh_hans", "zh_hant"), CASES)
    @pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL, Channel.PUSH])
    def test_in_each_text_channel(self, code: str, en: str, zh_hans: str, zh_hant: str, channel: Channel) -> None:
        facts = {"refusals": [code]}

        assert en in rendered(Purpose.PLAN_REFUSED, channel, Language.EN, facts=facts).body
        assert zh_hans in rendered(Purpose.PLAN_REFUSED, channel, Language.ZH_HANS, facts=facts).body
        assert zh_hant in rendered(Purpose.PLAN_REFUSED, channel, Language.ZH_HANT, facts=facts).body
        for chinese in CHINESE:
            assert len(rendered(Purpose.PLAN_REFUSED, Channel.SMS, chinese, facts=facts).body) <= 120

    def test_a_requote_is_told_and_a_first_offer_is_not(self) -> None:
        offer = golden_event(PlanOffered)
        requote = offer.model_copy(update={"supersedes_offer_id": OFFER_ID})

        assert facts_for(requote) == (Purpose.PLAN_REFUSED, {"refusals": ["requoted"]})
        with pytest.raises(NoMessageForEventError):
            facts_for(offer)

    @pytest.mark.parametrize("reason", [LoanClosureReason.PAID_OFF, LoanClosureReason.WRITTEN_OFF, LoanClosureReason.REFINANCED])
    def test_only_a_sale_of_the_closures_is_told(self, reason: LoanClosureReason) -> None:
        with pytest.raises(NoMessageForEventError):
            facts_for(golden_event(LoanClosed).model_copy(update={"reason": reason}))

    def test_an_application_without_a_plan_is_the_agents_to_explain(self) -> None:
        with pytest.raises(NoMessageForEventError):
            facts_for(golden_event(PlanRejected))
