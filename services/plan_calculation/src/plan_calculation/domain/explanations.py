"""One paragraph per option and locale, so that a borrower can compare the plans; the
recommended option's also says which step of the recommendation rule chose it."""

from __future__ import annotations

from decimal import Decimal

from plan_calculation.domain.options import ComputedOption
from plan_calculation.domain.recommendation import RecommendationRule
from tideover_contracts.events.negotiation import OptionKind

ARREARS_KINDS = (OptionKind.ARREARS_INSTALLMENTS, OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS)
EXTENSION_KINDS = (OptionKind.TERM_EXTENSION, OptionKind.WAIVER_WITH_TERM_EXTENSION)

#: Why the recommended option was chosen, by the step of the rule (DESIGN.md §4) and locale: a
#: new locale is a new entry in each (tests/unit/test_recommendation.py checks none is missing).
WHY: dict[RecommendationRule, dict[str, str]] = {
    RecommendationRule.ONLY_AFFORDABLE: {
        "en": "Recommended: the only option the borrower can afford.",
        "zh-CN": "推荐理由：这是借款人唯一负担得起的方案。",
    },
    RecommendationRule.LEAST_WAIVED: {
        "en": "Recommended: the affordable option with the least waived.",
        "zh-CN": "推荐理由：在负担得起的方案中，减免金额最少。",
    },
    RecommendationRule.LOWEST_COST: {
        "en": "Recommended: of the affordable options with the least waived, the lowest total cost to the borrower.",
        "zh-CN": "推荐理由：在负担得起且减免最少的方案中，借款人总还款额最低。",
    },
    RecommendationRule.NO_SUPERVISOR: {
        "en": (
            "Recommended: of the affordable options with the least waived and the lowest total cost,"
            " the one that needs no supervisor."
        ),
        "zh-CN": "推荐理由：在负担得起、减免最少且总还款额最低的方案中，无需主管审批。",
    },
    RecommendationRule.SHORTEST: {
        "en": "Recommended: of the affordable options equal in what is waived, total cost and approval, the shortest.",
        "zh-CN": "推荐理由：在负担得起且减免、总还款额及审批要求均相同的方案中，期限最短。",
    },
}

#: What separates two sentences: a space, but nothing in Chinese.
SENTENCE_GAP = {"en": " ", "zh-CN": ""}


def explain(option: ComputedOption, why: RecommendationRule | None = None) -> dict[str, str]:
    """`option` in a paragraph per locale; `why`: the step that chose it, if it is recommended."""
    paragraphs = _describe(option)
    if why is None:
        return paragraphs
    return {locale: text + SENTENCE_GAP[locale] + WHY[why][locale] for locale, text in paragraphs.items()}


def _describe(option: ComputedOption) -> dict[str, str]:
    if option.holiday_months:
        return _describe_holiday(option)
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


def _describe_holiday(option: ComputedOption) -> dict[str, str]:
    """A payment holiday (DESIGN.md §4): its months with nothing to pay, the interest they accrue,
    when payments resume and what they are; and that only the holiday months are judged against
    the borrower's income now."""

    def amount(value: Decimal) -> str:
        return f"{option.currency} {value:,}"

    holiday, later = option.schedule[: option.holiday_months], option.schedule[option.holiday_months :]
    first, last, resumes = holiday[0].due_date.isoformat(), holiday[-1].due_date.isoformat(), later[0].due_date.isoformat()
    months, total, largest = option.holiday_months, amount(option.total_payable), amount(option.largest_payment)
    interest = amount(option.holiday_interest)
    en_months = "month" if months == 1 else f"{months} months"
    en = (
        f"Payment holiday: nothing to pay for the first {en_months} ({first} to {last}); contract interest of"
        f" {interest} accrues meanwhile, but no penalty. Payments resume on {resumes}: everything outstanding,"
        f" with that interest, is spread over {len(later)} months, {total} in all, at most {largest} a month;"
        " the regular installments are replaced. Only the holiday months are judged against the borrower's income"
        " now; the payments after them are not. A supervisor must approve this payment holiday."
    )
    zh = (
        f"还款假期：前 {months} 个月（{first} 至 {last}）无需还款；期间按合同利率计息 {interest}，不计罚息。"
        f"自 {resumes} 起恢复还款：全部未还款项连同上述利息分 {len(later)} 个月偿还，共 {total}，每月最多 {largest}；"
        "原有分期由本计划取代。目前仅按借款人收入评估假期内的还款，恢复后的还款暂不评估。本还款假期需主管审批。"
    )
    return {"en": en, "zh-CN": zh}
