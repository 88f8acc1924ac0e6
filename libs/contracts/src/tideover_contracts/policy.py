"""Policy figures more than one service applies (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType

from tideover_contracts.common import Bucket, Jurisdiction, Language, Locale

#: The most days past due of each bucket, industry convention (DESIGN.md §4: M1 1–30, M2 31–60,
#: M3 61–90, M4 91–180, M5+ 181+): overdue-detection classifies by them, and the borrower's page
#: says when the next one begins.
BUCKET_LIMITS: tuple[tuple[int, Bucket], ...] = (
    (0, Bucket.CURRENT),
    (30, Bucket.M1),
    (60, Bucket.M2),
    (90, Bucket.M3),
    (180, Bucket.M4),
)


def bucket_for(dpd: int) -> Bucket:
    """The bucket of a loan `dpd` days past due."""
    for limit, bucket in BUCKET_LIMITS:
        if dpd <= limit:
            return bucket
    return Bucket.M5_PLUS


def next_bucket(dpd: int) -> tuple[Bucket, int] | None:
    """The bucket a loan `dpd` days past due comes to next, and the days past due it begins at;
    None from the last bucket on."""
    later = [(limit + 1, bucket) for limit, bucket in BUCKET_LIMITS if limit >= dpd]
    if not later:
        return None
    starts = later[0][0]
    return bucket_for(starts), starts


#: Change codes (issue 21: a change on the borrower's page is confirmed with a one-time code sent
#: to the phone on file) one loan may be sent in any 24 hours. Notification sends no more
#: (contact_rules, `change_code_limit`) and negotiation-intake asks for no more (borrower_limits):
#: one figure, so that intake never promises a borrower a code notification will not send. Ten:
#: a whole journey on the page (I need help, a choice, a choice again after a supervisor's
#: refusal, contact preferences, a resend or two) fits in a day; the 3 a quarter of an hour
#: (borrower_codes_per_loan) keep a script from flooding the phone.
CHANGE_CODES_A_DAY = 10
#: The window CHANGE_CODES_A_DAY is counted in: any 24 hours, not a calendar day.
CHANGE_CODE_DAY = timedelta(hours=24)


#: How and where to pay, by default: upstream sends no payment instructions, so the loan
#: contract's repayment account and the loan reference are what a borrower can always use. The
#: written plan (notification) and the borrower's page (negotiation-intake) state it, each with
#: TIDEOVER_PAYMENT_INSTRUCTIONS over it (`payment_instructions`).
HOW_TO_PAY: Mapping[Language, str] = MappingProxyType(
    {
        Language.EN: (
            "In the Tideover app, or by bank transfer to the repayment account named in your loan contract,"
            " quoting your loan reference."
        ),
        Language.ZH_HANS: "通过Tideover App还款，或银行转账至您借款合同所列的还款账户，并在附言中注明贷款编号。",
        Language.ZH_HANT: "透過Tideover App還款，或以銀行轉帳至您借款合約所列的還款帳戶，並於轉帳備註中註明貸款編號。",
    }
)


def payment_instructions(instructions: Mapping[str, str], base: Mapping[Language, str] = HOW_TO_PAY) -> Mapping[Language, str]:
    """`base` with the texts of `instructions`, by language ({"en": ..., "zh-Hans": ...,
    "zh-Hant": ...}; "zh-CN", the locale, names zh-Hans); a language it does not name keeps its
    text. ValueError for a tag that names no language, or a blank text."""
    texts = {**base, **{_language(code): text.strip() for code, text in instructions.items()}}
    if not all(texts.values()):
        raise ValueError("payment instructions may not be blank")
    return MappingProxyType(texts)


def _language(code: str) -> Language:
    """A language tag, or a locale for its own language ("zh-CN" → zh-Hans)."""
    try:
        return Language(code)
    except ValueError:
        return Language.of(Locale(code))


@dataclass(frozen=True)
class ChargeCaps:
    """The CN cap on charges is 4 × the one-year LPR a year (SPC private-lending rules 2020,
    arts. 25, 28, 29): overdue-detection caps penalty interest with it, plan-calculation the
    rate a plan charges. The LPR is configuration (TIDEOVER_ONE_YEAR_LPR,
    TIDEOVER_LPR_MULTIPLE): 3.0% since 2025-05-20."""

    one_year_lpr: Decimal = Decimal("0.0300")
    lpr_multiple: int = 4

    def cap_for(self, jurisdiction: Jurisdiction) -> Decimal | None:
        # US: usury limits are state law and product-specific; none is applied by default.
        return self.one_year_lpr * self.lpr_multiple if jurisdiction == Jurisdiction.CN else None


@dataclass(frozen=True)
class PlanRules:
    """The terms every plan is kept by (DESIGN.md §4, plan grace and plan broken): repayment-tracking
    judges plans by them and the written plan states them to the borrower, so both must read the
    same figures. Configuration, in every service that applies them: TIDEOVER_PLAN_GRACE_DAYS,
    TIDEOVER_PLAN_TOLERANCE_SHARE, TIDEOVER_PLAN_TOLERANCE_FLOOR, TIDEOVER_PLAN_MISSES_TO_BREAK,
    TIDEOVER_PLAN_UNPAID_DAYS_TO_BREAK."""

    #: A plan month is missed when unpaid `grace_days` after its due date ...
    grace_days: int = 3
    #: ... by more than max(`tolerance_share` of it, `tolerance_floor` in the loan's currency).
    tolerance_share: Decimal = Decimal("0.01")
    tolerance_floor: Decimal = Decimal("10.00")
    #: A plan breaks at `misses_to_break` months missed at the same time (a month made good no
    #: longer counts), or when any amount stays unpaid `unpaid_days_to_break` days after its due date.
    misses_to_break: int = 2
    unpaid_days_to_break: int = 30

    def tolerance(self, amount: Decimal) -> Decimal:
        return max(amount * self.tolerance_share, self.tolerance_floor)
