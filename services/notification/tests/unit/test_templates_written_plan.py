"""The written plan and the waivers as the templates state them, in every language and channel."""

from __future__ import annotations

from datetime import datetime

import pytest

from notification.application.message_facts import facts_for
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted

from .renderings import (
    facts_of,
    golden_event,
    money,
    rendered,
    text,
    waived,
)
from .written_plans import CHINESE


class TestWrittenPlan:
    """The golden arrears plan: 3 months, regular installment 3 due beside the first
    (test_written_plan.py reads every term back for each kind of plan)."""

    def test_the_e_mail_lists_each_month_the_totals_and_the_code(self) -> None:
        message = rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.EN)

        assert message.subject == "Your repayment plan to confirm: 3 installments, CNY 1,045.00 in total"
        for line in (
            "Loan reference: 0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11",
            "Number of installments: 3",
            "Total payable under the plan: CNY 1,045.00",
            "Regular installments due during the plan: CNY 1,045.00",
            "Total to pay during the plan: CNY 2,090.00",
            "First month: CNY 1,393.33, due April 15, 2026",
            "1. April 15, 2026: CNY 1,393.33, of which\n"
            "   plan installment CNY 348.33 (principal CNY 333.33, interest CNY 15.00)\n"
            "   regular installment 3, due April 15, 2026: CNY 1,045.00\n"
            "2. May 15, 2026: CNY 348.33 (principal CNY 333.33, interest CNY 15.00)\n"
            "3. June 15, 2026: CNY 348.34 (principal CNY 333.34, interest CNY 15.00)\n"
            "Total: CNY 2,090.00",
            "Nothing is waived under this plan.",
            "Interest rate: 0.00% a year. The plan adds no interest",
            "confirmation code 482915",
        ):
            assert line in message.body

    def test_the_code_expiry_is_shown_in_the_borrowers_time_zone(self) -> None:
        expires_at = golden_event(PlanSentToBorrower).code_expires_at
        assert expires_at == datetime.fromisoformat("2026-03-17T01:30:00+00:00")

        shanghai = rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.EN, Jurisdiction.CN).body
        new_york = rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.EN, Jurisdiction.US).body
        zh_hans = rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.ZH_HANS, Jurisdiction.CN).body
        zh_hant = rendered(Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.ZH_HANT, Jurisdiction.CN).body

        assert "valid for 24 hours, until March 17, 2026 at 9:30 AM (China Standard Time)" in shanghai  # UTC+8
        assert "valid for 24 hours, until March 16, 2026 at 9:30 PM (Eastern Daylight Time)" in new_york  # UTC-4
        assert "有效期至2026年3月17日 09:30（中国标准时间）" in zh_hans
        assert "有效期限至2026年3月17日 09:30（中國標準時間）" in zh_hant

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_every_channel_states_installments_total_first_month_and_code(self, channel: Channel, language: Language) -> None:
        body = rendered(Purpose.WRITTEN_PLAN, channel, language).body
        code = "4 8 2 9 1 5" if channel is Channel.VOICE_CALL else "482915"

        installments = {Language.ZH_HANS: "分3期", Language.ZH_HANT: "分3期", Language.EN: "3 monthly installments"}
        if channel is Channel.EMAIL:
            installments = {
                Language.ZH_HANS: "分期数：3期",
                Language.ZH_HANT: "分期數：3期",
                Language.EN: "Number of installments: 3",
            }

        assert installments[language] in body
        assert money("1,045.00", language) in body
        assert money("1,393.33", language) in body  # the first month: 348.33 of the plan and regular installment 3
        assert ("2026年4月15日" if language in CHINESE else "April 15, 2026") in body
        assert code in body

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_conditional_waiver_is_stated_with_its_condition(self, channel: Channel, language: Language) -> None:
        event = golden_event(PlanSentToBorrower)
        plan = event.plan.model_copy(update={"waived": waived("120.00", "30.00"), "waiver_conditional": True})

        body = rendered(Purpose.WRITTEN_PLAN, channel, language, facts=facts_of(event.model_copy(update={"plan": plan}))).body

        assert money("150.00", language) in body
        condition = {Language.ZH_HANS: "按方案还款为条件", Language.ZH_HANT: "按方案還款為條件"}
        assert condition.get(language, "on condition that you keep to the plan") in body

    def test_the_e_mail_itemises_a_waiver(self) -> None:
        event = golden_event(PlanSentToBorrower)
        plan = event.plan.model_copy(update={"waived": waived("120.00", "30.00"), "waiver_conditional": True})

        body = rendered(
            Purpose.WRITTEN_PLAN, Channel.EMAIL, Language.EN, facts=facts_of(event.model_copy(update={"plan": plan}))
        ).body

        assert "Waived: CNY 150.00 (penalty interest CNY 120.00, interest CNY 30.00)." in body
        assert "if the plan breaks the waived amount becomes payable again" in body
        assert "The waived CNY 150.00 becomes payable again." in body

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_plan_sent_before_the_offer_carried_its_rate_and_basis_still_renders(
        self, channel: Channel, language: Language
    ) -> None:
        event = golden_event(PlanSentToBorrower)
        plan = event.plan.model_copy(
            update={"effect": None, "basis_business_date": None, "continuing_installments": (), "plan_rate": None}
        )

        message = rendered(Purpose.WRITTEN_PLAN, channel, language, facts=facts_of(event.model_copy(update={"plan": plan})))

        assert money("348.33", language) in message.body
        assert "interest rate" not in message.body.lower()
        assert "年利率" not in message.body
        assert "None" not in text(message)


class TestWaiversAfterTheOffer:
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL, Channel.VOICE_CALL])
    def test_activation_breaking_and_completion_state_the_waived_amount(self, channel: Channel, language: Language) -> None:
        activated = golden_event(PlanActivated).model_copy(update={"conditional_waiver": waived("120.00", "30.00")})
        broken = golden_event(PlanBroken).model_copy(update={"reinstated_waiver": waived("120.00", "30.00")})
        completed = golden_event(PlanCompleted).model_copy(update={"final_waiver": waived("120.00", "30.00")})

        for event in (activated, broken, completed):
            purpose, facts = facts_for(event)
            assert money("150.00", language) in rendered(purpose, channel, language, facts=facts).body
