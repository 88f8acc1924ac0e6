"""One paragraph per option and locale, so that a borrower can compare the plans."""

from __future__ import annotations

from decimal import Decimal

from plan_calculation.domain.options import ComputedOption
from tideover_contracts.events.negotiation import OptionKind

ARREARS_KINDS = (OptionKind.ARREARS_INSTALLMENTS, OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS)
EXTENSION_KINDS = (OptionKind.TERM_EXTENSION, OptionKind.WAIVER_WITH_TERM_EXTENSION)


def explain(option: ComputedOption) -> dict[str, str]:
    currency = option.currency

    def amount(value: Decimal) -> str:
        return f"{currency} {value:,}"

    months = option.months
    total, largest, waived = amount(option.total_payable), amount(option.largest_payment), option.waived.total
    en_waiver = f" {amount(waived)} of penalty and interest is waived, on condition that the plan is kept." if waived else ""
    zh_waiver = f"减免罚息及利息 {amount(waived)}，以按计划还款为条件。" if waived else ""
    if option.kind in ARREARS_KINDS:
        en = (
            f"Pay what is overdue in {months} monthly parts ({total} in all, at most {largest} a month)"
            " on top of the regular installments."
        )
        zh = f"逾期款项分 {months} 个月偿还（共 {total}，每月最多 {largest}），与原有分期一并支付。"
    elif option.kind in EXTENSION_KINDS and option.shape == "annuity":
        en = (
            f"Everything outstanding is spread over {months} months: {total} in all, at most {largest} a month;"
            " the regular installments are replaced."
        )
        zh = f"全部未还款项分 {months} 个月偿还：共 {total}，每月最多 {largest}；原有分期由本计划取代。"
    elif option.kind in EXTENSION_KINDS:
        en = (
            f"Everything outstanding is spread over {months} months with the same principal each month, so the"
            f" payments fall over time: {total} in all, at most {largest} (the first) a month;"
            " the regular installments are replaced."
        )
        zh = f"全部未还款项分 {months} 个月等额本金偿还，月供逐月递减：共 {total}，首月最多 {largest}；原有分期由本计划取代。"
    else:
        en = f"Pay the overdue amount less the waiver, {total}, next month."
        zh = f"下月一次性偿还减免后的逾期金额 {total}。"
    supervisor_en = " A supervisor must approve this waiver." if option.needs_supervisor else ""
    supervisor_zh = "本减免需主管审批。" if option.needs_supervisor else ""
    return {"en": en + en_waiver + supervisor_en, "zh-CN": zh + zh_waiver + supervisor_zh}
