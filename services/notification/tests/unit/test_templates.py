"""What a borrower reads: every template renders from the golden events, in every language
(zh-Hans, zh-Hant, en).

The renderings checked in under golden/ (one file per purpose: every channel and language, for a
CN borrower in Asia/Shanghai and a US borrower in America/New_York) were read and checked
against the golden events' amounts, days, dates and plan terms. After a deliberate template
change, regenerate them with

    TIDEOVER_UPDATE_GOLDEN=1 .venv/bin/pytest services/notification/tests/unit/test_templates.py

and read the diff before committing it.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from notification.adapters.templates import Rendered, TemplateError, render, template_names
from notification.application.message_facts import Facts, NoMessageForEventError, facts_for
from notification.application.ports import LedgerStatus
from tideover_contracts.common import Channel, Jurisdiction, Language, WaivedAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason, RepaymentReceived
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import CureReason, LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected, RejectionReason
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.examples import OFFER_ID, golden_events
from tideover_contracts.money import Money

from .test_written_plan import CHINESE, SMS_BOUND

EventT = TypeVar("EventT", bound=Event)
GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("TIDEOVER_UPDATE_GOLDEN") == "1"
TIME_ZONES = {Jurisdiction.CN: "Asia/Shanghai", Jurisdiction.US: "America/New_York"}
#: What overdue detection's ledger reports as it undoes the golden broken plan on 18 June (the
#: OverdueStatusChanged with reason plan_broken; PlanBroken itself carries neither figure): 34
#: days past due, and the plan's unpaid 696.67 with 15.73 penalty overdue in all.
BROKEN_PLAN_DAYS_PAST_DUE = 34
LEDGER_AFTER_BREAK = LedgerStatus(date(2026, 6, 18), BROKEN_PLAN_DAYS_PAST_DUE, Money.of("712.40", "CNY"))
#: Template versions above 1: plan_broken v2 states the ledger's overdue total; written_plan v2
#: states every term of the plan in every channel (test_written_plan.py); its SMS, push and call
#: v3 tell months due on the last day of shorter months in one run, and the SMS a schedule too
#: long for it compactly.
VERSIONS = {Purpose.PLAN_BROKEN: 2, Purpose.WRITTEN_PLAN: 2}
V3 = {(Purpose.WRITTEN_PLAN, channel) for channel in (Channel.SMS, Channel.PUSH, Channel.VOICE_CALL)}


def version(purpose: Purpose, channel: Channel) -> int:
    return 3 if (purpose, channel) in V3 else VERSIONS.get(purpose, 1)


#: The file key of each language: zh-Hans keeps the name its files had before languages were
#: named (zh-CN), so the contact log names the same text the same way.
KEY = {Language.ZH_HANS: "zh-CN", Language.ZH_HANT: "zh-Hant", Language.EN: "en"}
OPT_OUT = {
    (Channel.SMS, Language.EN): "Reply STOP to opt out.",
    (Channel.SMS, Language.ZH_HANS): "回复STOP退订。",
    (Channel.SMS, Language.ZH_HANT): "回覆STOP退訂。",
    (
        Channel.EMAIL,
        Language.EN,
    ): "To stop receiving e-mails from Tideover about this loan, reply to this e-mail with the word UNSUBSCRIBE.",
    (Channel.EMAIL, Language.ZH_HANS): "如不希望再收到Tideover关于本贷款的电子邮件，请回复本邮件并注明“UNSUBSCRIBE”。",
    (Channel.EMAIL, Language.ZH_HANT): "如不希望再收到Tideover關於本貸款的電子郵件，請回覆本郵件並註明「UNSUBSCRIBE」。",
}


def golden_event(kind: type[EventT]) -> EventT:
    return next(event for event in golden_events() if isinstance(event, kind) and type(event) is kind)


def facts_of(event: Event) -> Facts:
    return facts_for(event, ledger=LEDGER_AFTER_BREAK if isinstance(event, PlanBroken) else None)[1]


def told_events() -> list[Event]:
    """The golden events, and two that are told: the golden PlanRejected refuses an application
    and the golden LoanClosed closes a loan paid off, neither of which a message tells; refused
    as an acceptance (the loan cured meanwhile) and closed as sold, they are."""
    rejected = golden_event(PlanRejected)
    refused = rejected.model_copy(
        update={"offer_id": OFFER_ID, "reasons": (RejectionReason(code="loan_cured", message="cured on 2026-04-20"),)}
    )
    sold = golden_event(LoanClosed).model_copy(
        update={"reason": LoanClosureReason.SOLD, "assignee": "Acme Asset Management, 400-000-0000"}
    )
    return [*golden_events(), refused, sold]


def golden_facts() -> dict[Purpose, Facts]:
    """The facts of the first told event of each purpose."""
    facts: dict[Purpose, Facts] = {}
    for event in told_events():
        try:
            purpose, _ = facts_for(event)
        except NoMessageForEventError:
            continue
        facts.setdefault(purpose, facts_of(event))
    return facts


FACTS = golden_facts()


def rendered(
    purpose: Purpose,
    channel: Channel,
    language: Language,
    jurisdiction: Jurisdiction = Jurisdiction.CN,
    facts: Facts | None = None,
) -> Rendered:
    chosen = FACTS[purpose] if facts is None else facts
    return render(purpose, channel, language, jurisdiction, TIME_ZONES[jurisdiction], chosen)


def text(message: Rendered) -> str:
    return f"{message.subject}\n{message.body}" if message.subject else message.body


def money(amount: str, language: Language) -> str:
    return f"¥{amount}" if language in CHINESE else f"CNY {amount}"


def days_overdue(days: int, language: Language) -> str:
    if language in CHINESE:
        return f"逾期{days}天"
    return f"{days} day overdue" if days == 1 else f"{days} days overdue"


class TestEveryTemplate:
    @pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_renders_from_the_golden_event(
        self, purpose: Purpose, channel: Channel, language: Language, jurisdiction: Jurisdiction
    ) -> None:
        message = rendered(purpose, channel, language, jurisdiction)

        assert message.template == f"{purpose.value}/{channel.value}.{KEY[language]}@v{version(purpose, channel)}"
        assert (message.subject is not None) == (channel is Channel.EMAIL)
        assert message.body
        assert message.body == message.body.strip()
        for leftover in ("None", "{{", "{%", "Undefined"):
            assert leftover not in text(message)

    def test_every_purpose_has_a_golden_event(self) -> None:
        assert set(FACTS) == set(Purpose)

    def test_the_files_on_disk_are_one_per_purpose_channel_and_language_and_the_opt_out_lines(self) -> None:
        messages = {f"{p.value}/{c.value}.{KEY[language]}" for p in Purpose for c in Channel for language in Language}
        opt_outs = {f"_opt_out/{c.value}.{KEY[language]}" for c in (Channel.SMS, Channel.EMAIL) for language in Language}

        assert template_names() == messages | opt_outs
        assert len(messages) == 11 * 4 * 3

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_chinese_sms_is_signed_and_short_and_sms_and_push_are_one_line(self, purpose: Purpose, language: Language) -> None:
        sms = rendered(purpose, Channel.SMS, language).body

        assert "\n" not in sms
        assert "\n" not in rendered(purpose, Channel.PUSH, language).body
        if language in CHINESE:
            assert sms.startswith("【Tideover】")
            # The written plan is the exception: its SMS carries the whole plan, in at most 10
            # segments of a concatenated SMS (test_written_plan.py, TestTheSmsIsOneConcatenatedMessage).
            assert len(sms) <= (SMS_BOUND[language] if purpose is Purpose.WRITTEN_PLAN else 120)


class TestGoldenRenderings:
    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_match_the_reviewed_text(self, purpose: Purpose) -> None:
        path = GOLDEN / f"{purpose.value}.txt"
        actual = golden_text(purpose)
        if UPDATE_GOLDEN:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == actual


def golden_text(purpose: Purpose) -> str:
    sections = [
        f"# {purpose.value}: every channel and language, rendered from the golden event "
        "(tideover_contracts.examples.golden_events()).\n# Regenerate: TIDEOVER_UPDATE_GOLDEN=1 (see test_templates.py).\n"
    ]
    for jurisdiction, time_zone in TIME_ZONES.items():
        for channel in Channel:
            for language in Language:
                message = rendered(purpose, channel, language, jurisdiction)
                subject = f"Subject: {message.subject}\n\n" if message.subject is not None else ""
                sections.append(
                    f"=== {message.template} | {jurisdiction.value} borrower, {time_zone} ===\n{subject}{message.body}\n"
                )
    return "\n".join(sections)


class TestDebtMessagesStateAmountAndDays:
    """DESIGN.md §3 step 3: every message that states a debt states the amount and the days overdue."""

    CASES = (
        (Purpose.OVERDUE_NOTICE, "1,045.00", 1),
        (Purpose.PLAN_INSTALLMENT_MISSED, "348.33", 3),
        (Purpose.PLAN_BROKEN, "696.67", BROKEN_PLAN_DAYS_PAST_DUE),
    )

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    @pytest.mark.parametrize(("purpose", "amount", "days"), CASES)
    def test_in_the_body_of_every_channel(
        self, purpose: Purpose, amount: str, days: int, channel: Channel, language: Language
    ) -> None:
        body = rendered(purpose, channel, language).body

        assert money(amount, language) in body
        assert days_overdue(days, language) in body

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_broken_plan_states_the_ledgers_days_and_overdue_total(self, channel: Channel, language: Language) -> None:
        # DESIGN.md §3a: the figures the ledger reports after the break, not ones counted from the
        # plan (its oldest missed installment fell due 34 days before; the ledger says 31).
        ledger = LedgerStatus(date(2026, 6, 18), 31, Money.of("2250.08", "CNY"))

        body = rendered(Purpose.PLAN_BROKEN, channel, language, facts=facts_for(golden_event(PlanBroken), ledger=ledger)[1]).body

        assert days_overdue(31, language) in body
        assert money("2,250.08", language) in body
        assert money("696.67", language) in body
        assert "34" not in body

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_broken_plan_without_known_days_still_states_the_amount(self, channel: Channel, language: Language) -> None:
        facts = facts_for(golden_event(PlanBroken))[1]

        message = rendered(Purpose.PLAN_BROKEN, channel, language, facts=facts)

        assert money("696.67", language) in message.body
        assert "None" not in text(message)
        assert "34" not in text(message)
        assert "712.40" not in text(message)

    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("channel", list(Channel))
    def test_a_pre_due_reminder_states_the_amount_and_the_due_date(self, channel: Channel, language: Language) -> None:
        body = rendered(Purpose.PRE_DUE_REMINDER, channel, language).body

        assert money("1,045.00", language) in body
        assert ("2026年2月15日" if language in CHINESE else "February 15, 2026") in body


class TestOverdueNotice:
    def test_zh_cn_sms(self) -> None:
        body = rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.ZH_HANS).body

        assert body == (
            "【Tideover】您的贷款已逾期1天，逾期金额¥1,045.00（应还款日2026年2月15日）。"
            "请尽快还款；如还款有困难，请联系我们协商还款方案。"
        )

    def test_zh_hant_sms(self) -> None:
        message = rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.ZH_HANT)

        assert message.template == "overdue_notice/sms.zh-Hant@v1"
        assert message.body == (
            "【Tideover】您的貸款已逾期1天，逾期金額¥1,045.00（應還款日2026年2月15日）。"
            "請儘快還款；如還款有困難，請聯絡我們協商還款方案。"
        )

    def test_en_sms(self) -> None:
        body = rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.EN).body

        assert body.startswith(
            "Tideover: your loan payment is 1 day overdue. Amount overdue: CNY 1,045.00 (due February 15, 2026)."
        )

    def test_the_e_mail_breaks_the_total_down(self) -> None:
        message = rendered(Purpose.OVERDUE_NOTICE, Channel.EMAIL, Language.EN)

        assert message.subject == "Your loan payment is 1 day overdue: CNY 1,045.00"
        for line in ("Principal: CNY 1,000.00", "Interest: CNY 45.00", "Fees: CNY 0.00", "Penalty interest: CNY 0.00"):
            assert line in message.body
        assert "As of February 16, 2026" in message.body

    def test_a_status_change_reads_the_same_facts_as_the_first_notice(self) -> None:
        first = facts_for(golden_event(LoanBecameOverdue))
        change = facts_for(golden_event(OverdueStatusChanged))

        assert first == change
        assert first[0] is Purpose.OVERDUE_NOTICE


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


def waived(penalty: str, interest: str) -> WaivedAmounts:
    zero = Money.of("0.00", "CNY")
    penalty_money, interest_money = Money.of(penalty, "CNY"), Money.of(interest, "CNY")
    return WaivedAmounts(penalty=penalty_money, interest=interest_money, fee=zero, total=penalty_money + interest_money)


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
