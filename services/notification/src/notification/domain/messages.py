"""What a borrower reads: rendered in their locale, with amounts formatted by Babel.

Every message that states a debt states the amount and the days overdue (DESIGN.md §3
step 3). Templates move to versioned files with the notification issue; these are the
skeleton's two purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency

from tideover_contracts.common import Locale
from tideover_contracts.money import Money

_BABEL_LOCALE = {Locale.ZH_CN: "zh_CN", Locale.EN: "en"}
TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class Rendered:
    template: str
    body: str


def money_text(amount: Money, locale: Locale) -> str:
    """¥1,234.56 in zh-CN, CN¥1,234.56 or CNY 1,234.56 in en (CLDR's own symbols)."""
    return format_currency(amount.amount, amount.currency, locale=_BABEL_LOCALE[locale])


def date_text(day: date, locale: Locale) -> str:
    return format_date(day, format="long", locale=_BABEL_LOCALE[locale])


def overdue_notice(locale: Locale, overdue_total: Money, days_past_due: int) -> Rendered:
    amount = money_text(overdue_total, locale)
    if locale == Locale.ZH_CN:
        body = f"【Tideover】您的贷款已逾期{days_past_due}天，逾期金额{amount}。如还款有困难，请联系我们协商还款方案。"
    else:
        body = (
            f"Tideover: your loan payment is {days_past_due} day(s) overdue. Amount overdue: {amount}. "
            "If you are in difficulty, call us to agree a repayment plan."
        )
    return Rendered(f"overdue_notice.sms.{locale.value}@{TEMPLATE_VERSION}", body)


def written_plan(locale: Locale, code: str, months: int, total_payable: Money, first_due: date, waived: Money) -> Rendered:
    total = money_text(total_payable, locale)
    waived_text = money_text(waived, locale)
    first = date_text(first_due, locale)
    if locale == Locale.ZH_CN:
        body = (
            f"【Tideover】您的还款方案：分{months}期，共需还款{total}，减免{waived_text}，首期还款日{first}。"
            f"确认请提供验证码{code}（24小时内有效）。"
        )
    else:
        body = (
            f"Tideover: your repayment plan: {months} installment(s), {total} in total, {waived_text} waived, "
            f"first payment due {first}. To accept, give the code {code} (valid 24 hours)."
        )
    return Rendered(f"written_plan.sms.{locale.value}@{TEMPLATE_VERSION}", body)
