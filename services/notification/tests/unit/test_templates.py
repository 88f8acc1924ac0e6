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

from datetime import date

import pytest

from notification.adapters.templates import template_names
from notification.application.links import carries_link
from notification.application.message_facts import facts_for
from notification.application.ports import LedgerStatus
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import LoanBecameOverdue, OverdueStatusChanged
from tideover_contracts.events.tracking import PlanBroken
from tideover_contracts.money import Money

from .renderings import (
    BROKEN_PLAN_DAYS_PAST_DUE,
    FACTS,
    GOLDEN,
    KEY,
    TIME_ZONES,
    UPDATE_GOLDEN,
    days_overdue,
    golden_event,
    money,
    rendered,
    text,
    version,
)
from .signed_links import LINK
from .written_plans import CHINESE, SMS_BOUND


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
        assert len(messages) == 12 * 4 * 3

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
            # The borrower's link takes a segment more (test_borrower_link_sms.py pins how many).
            if purpose is Purpose.WRITTEN_PLAN:
                assert len(sms) <= SMS_BOUND[language]
            else:
                assert len(sms) <= (3 * 67 if carries_link(purpose, Channel.SMS) else 120)


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
            f"请尽快还款；如还款有困难，可在 {LINK[Purpose.OVERDUE_NOTICE].url} 查看贷款、申请还款方案，或联系我们。"
        )

    def test_zh_hant_sms(self) -> None:
        message = rendered(Purpose.OVERDUE_NOTICE, Channel.SMS, Language.ZH_HANT)

        assert message.template == "overdue_notice/sms.zh-Hant@v2"
        assert message.body == (
            "【Tideover】您的貸款已逾期1天，逾期金額¥1,045.00（應還款日2026年2月15日）。"
            f"請儘快還款；如還款有困難，可在 {LINK[Purpose.OVERDUE_NOTICE].url} 查看貸款、申請還款方案，或聯絡我們。"
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
