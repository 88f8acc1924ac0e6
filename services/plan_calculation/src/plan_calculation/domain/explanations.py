"""One paragraph per option and locale, so that a borrower can compare the plans."""

from __future__ import annotations

from plan_calculation.domain.options import ComputedOption
from tideover_contracts.events.negotiation import OptionKind


def explain(option: ComputedOption, currency: str) -> dict[str, str]:
    months = len(option.schedule)
    total = f"{currency} {option.total_payable.amount:,}"
    largest = f"{currency} {option.largest_payment.amount:,}"
    waived = option.waived.total.amount
    en_waiver = f" {currency} {waived:,} of penalty and interest is waived, on condition that the plan is kept." if waived else ""
    zh_waiver = f"减免罚息及利息 {currency} {waived:,}，以按计划还款为条件。" if waived else ""
    if option.kind in (OptionKind.ARREARS_INSTALLMENTS, OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS):
        en = (
            f"Pay what is overdue in {months} monthly parts ({total} in all, at most {largest} a month)"
            " on top of the regular installments."
        )
        zh = f"逾期款项分 {months} 个月偿还（共 {total}，每月最多 {largest}），与原有分期一并支付。"
    elif option.kind in (OptionKind.TERM_EXTENSION, OptionKind.WAIVER_WITH_TERM_EXTENSION):
        en = (
            f"Everything outstanding is spread over {months} months: {total} in all, at most {largest} a month;"
            " the regular installments are replaced."
        )
        zh = f"全部未还款项分 {months} 个月偿还：共 {total}，每月最多 {largest}；原有分期由本计划取代。"
    else:
        en = f"Pay the overdue amount less the waiver, {total}, next month."
        zh = f"下月一次性偿还减免后的逾期金额 {total}。"
    supervisor_en = " A supervisor must approve this waiver." if option.needs_supervisor else ""
    supervisor_zh = "本减免需主管审批。" if option.needs_supervisor else ""
    return {"en": en + en_waiver + supervisor_en, "zh-CN": zh + zh_waiver + supervisor_zh}
