"""What the borrower reads: the overdue amount and the days overdue, in their locale."""

from __future__ import annotations

from datetime import date

from notification.domain.messages import overdue_notice, written_plan
from tideover_contracts.common import Locale
from tideover_contracts.money import Money

OVERDUE = Money.of("1045.00", "CNY")
NOTHING_WAIVED = Money.of("0.00", "CNY")


class TestOverdueNotice:
    def test_zh_cn_states_days_and_amount(self) -> None:
        notice = overdue_notice(Locale.ZH_CN, OVERDUE, 3)

        assert "逾期3天" in notice.body
        assert "¥1,045.00" in notice.body
        assert notice.template == "overdue_notice.sms.zh-CN@1"

    def test_en_states_days_and_amount(self) -> None:
        notice = overdue_notice(Locale.EN, OVERDUE, 3)

        assert "3 day" in notice.body
        assert "1,045.00" in notice.body
        assert notice.template == "overdue_notice.sms.en@1"

    def test_en_uses_the_cldr_symbol_of_the_currency(self) -> None:
        assert "$2,000.50" in overdue_notice(Locale.EN, Money.of("2000.50", "USD"), 1).body

    def test_jpy_is_shown_without_decimals(self) -> None:
        body = overdue_notice(Locale.EN, Money.of("12000", "JPY"), 7).body

        assert "12,000" in body
        assert "12,000.00" not in body


class TestWrittenPlan:
    def test_zh_cn_states_code_installments_total_and_first_due_date(self) -> None:
        plan = written_plan(Locale.ZH_CN, "482915", 3, OVERDUE, date(2026, 4, 15), NOTHING_WAIVED)

        assert "482915" in plan.body
        assert "分3期" in plan.body
        assert "¥1,045.00" in plan.body
        assert "2026年4月15日" in plan.body
        assert plan.template == "written_plan.sms.zh-CN@1"

    def test_en_states_code_installments_total_and_first_due_date(self) -> None:
        plan = written_plan(Locale.EN, "482915", 3, OVERDUE, date(2026, 4, 15), Money.of("120.00", "CNY"))

        assert "482915" in plan.body
        assert "3 installment" in plan.body
        assert "1,045.00 in total" in plan.body
        assert "120.00 waived" in plan.body
        assert "April 15, 2026" in plan.body
        assert plan.template == "written_plan.sms.en@1"
