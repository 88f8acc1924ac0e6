"""The written plans the tests of the written plan render (test_written_plan*.py, test_templates*.py):
the cases of each kind of plan, the terms they are stated with, and what reads them back."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from notification.adapters.templates import render
from notification.application.message_facts import facts_for
from notification.application.ports import Rendered
from notification.application.written_plan import WrittenPlanTerms
from tideover_contracts.common import (
    Channel,
    ContinuingInstallment,
    Jurisdiction,
    Language,
    PlanInstallmentLine,
    WaivedAmounts,
)
from tideover_contracts.events.negotiation import OptionKind, PlanEffect, PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import cny, golden_events, plan_schedule
from tideover_contracts.policy import PlanRules

from .signed_links import with_link

#: Rules and instructions unlike the defaults (3 days, 1% or 10.00, 2 months, 30 days), so that a
#: figure written into a template would show.
TERMS = WrittenPlanTerms(
    PlanRules(
        grace_days=5,
        tolerance_share=Decimal("0.02"),
        tolerance_floor=Decimal("20.00"),
        misses_to_break=3,
        unpaid_days_to_break=45,
    ),
    MappingProxyType(
        {
            Language.EN: "Pay to account 6222 0000 1111 at Example Bank, quoting the loan reference.",
            Language.ZH_HANS: "请转账至示例银行账户6222 0000 1111，并注明贷款编号。",
            Language.ZH_HANT: "請轉帳至示例銀行帳戶6222 0000 1111，並註明貸款編號。",
        }
    ),
)
#: A concatenated SMS of at most 10 segments: 10 × 67 UCS-2 characters (Chinese), 10 × 153 GSM-7
#: characters (en). Carriers and gateways commonly cap a long SMS at about this size.
SMS_SEGMENTS = 10
SMS_BOUND = {Language.ZH_HANS: SMS_SEGMENTS * 67, Language.ZH_HANT: SMS_SEGMENTS * 67, Language.EN: SMS_SEGMENTS * 153}
CHINESE = (Language.ZH_HANS, Language.ZH_HANT)
#: The GSM 03.38 default alphabet and its extension table: an en SMS outside it is sent as UCS-2
#: (67 characters a segment), which the bound above does not allow for.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
BASIS = date(2026, 3, 15)
WAIVED = WaivedAmounts(penalty=cny("120.00"), interest=cny("30.00"), fee=cny("0.00"), total=cny("150.00"))
NOTHING = WaivedAmounts(penalty=cny("0.00"), interest=cny("0.00"), fee=cny("0.00"), total=cny("0.00"))
#: Regular installment 3 falls due on the plan's first date; 4 on 10 May, inside the second month.
REGULAR = (
    ContinuingInstallment(sequence=3, due_date=date(2026, 4, 15), amount=cny("1045.00")),
    ContinuingInstallment(sequence=4, due_date=date(2026, 5, 10), amount=cny("1045.00")),
)


def line(sequence: int, due: date, principal: str, interest: str) -> PlanInstallmentLine:
    zero = cny("0.00")
    return PlanInstallmentLine(
        sequence=sequence,
        due_date=due,
        principal=cny(principal),
        interest=cny(interest),
        penalty=zero,
        fee=zero,
        total=cny(principal) + cny(interest),
    )


def monthly(count: int, first: date, principal: str, interest: str, last_interest: str) -> tuple[PlanInstallmentLine, ...]:
    dates = [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, first.day) for n in range(count)]
    return tuple(line(n, due, principal, last_interest if n == count else interest) for n, due in enumerate(dates, start=1))


EXTENSION = monthly(12, date(2026, 4, 15), "250.00", "18.00", "17.95")


@dataclass(frozen=True)
class Case:
    """A plan of one kind, and what each month asks for: {due date: total}, totals as written."""

    name: str
    kind: OptionKind
    schedule: tuple[PlanInstallmentLine, ...]
    continuing: tuple[ContinuingInstallment, ...]
    waived: WaivedAmounts
    rate: str
    months: dict[date, str]

    @property
    def effect(self) -> PlanEffect:
        arrears = (OptionKind.ARREARS_INSTALLMENTS, OptionKind.WAIVER, OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS)
        return PlanEffect.ARREARS if self.kind in arrears else PlanEffect.RESCHEDULE

    def event(self) -> PlanSentToBorrower:
        golden = next(event for event in golden_events() if isinstance(event, PlanSentToBorrower))
        plan = golden.plan.model_copy(
            update={
                "option_id": self.name,
                "kind": self.kind,
                "effect": self.effect,
                "schedule": self.schedule,
                "total_payable": sum((item.total for item in self.schedule), start=cny("0.00")),
                "waived": self.waived,
                "waiver_conditional": not self.waived.total.is_zero,
                "first_due_date": self.schedule[0].due_date,
                "basis_business_date": BASIS,
                "continuing_installments": self.continuing,
                "plan_rate": Decimal(self.rate),
            }
        )
        return golden.model_copy(update={"plan": plan})


ARREARS_MONTHS = {date(2026, 4, 15): "1,393.33", date(2026, 5, 15): "1,393.33", date(2026, 6, 15): "348.34"}
EXTENSION_MONTHS = {item.due_date: "268.00" for item in EXTENSION[:-1]} | {EXTENSION[-1].due_date: "267.95"}
CASES = (
    Case("arrears-3", OptionKind.ARREARS_INSTALLMENTS, plan_schedule(), REGULAR, NOTHING, "0", ARREARS_MONTHS),
    Case(
        "arrears-3-no-regular",
        OptionKind.ARREARS_INSTALLMENTS,
        plan_schedule(),
        (),
        NOTHING,
        "0",
        {date(2026, 4, 15): "348.33", date(2026, 5, 15): "348.33", date(2026, 6, 15): "348.34"},
    ),
    Case(
        "waiver",
        OptionKind.WAIVER,
        (line(1, date(2026, 4, 15), "1000.00", "15.00"),),
        REGULAR[:1],
        WAIVED,
        "0",
        {date(2026, 4, 15): "2,060.00"},
    ),
    Case("waiver-arrears-3", OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS, plan_schedule(), REGULAR, WAIVED, "0", ARREARS_MONTHS),
    Case("extension-12", OptionKind.TERM_EXTENSION, EXTENSION, (), NOTHING, "0.072", EXTENSION_MONTHS),
    Case("waiver-extension-12", OptionKind.WAIVER_WITH_TERM_EXTENSION, EXTENSION, (), WAIVED, "0.072", EXTENSION_MONTHS),
)

_ZH_DATE = r"\d{4}年\d{1,2}月\d{1,2}日"
_DATE = {Language.EN: r"[A-Z][a-z]+ \d{1,2}, \d{4}", Language.ZH_HANS: _ZH_DATE, Language.ZH_HANT: _ZH_DATE}
_AMOUNT = {Language.EN: r"CNY ([\d,]+\.\d\d)", Language.ZH_HANS: r"¥([\d,]+\.\d\d)", Language.ZH_HANT: r"¥([\d,]+\.\d\d)"}
#: "pay" as a month's line says it.
_PAY = {Language.ZH_HANS: "还", Language.ZH_HANT: "還"}


def patterns(channel: Channel, language: Language) -> tuple[str, str | None]:
    """How a version writes one month, and a run of months (first, last, day, the note that a
    shorter month's is its last day, amount), if it has runs."""
    d, a = _DATE[language], _AMOUNT[language]
    if channel is Channel.EMAIL:
        single = rf"^\d+\. ({d}): {a}" if language is Language.EN else rf"^第\d+期 ({d})：{a}"
        return single, None
    if language in CHINESE:
        pay = _PAY[language]
        return rf"({d}){pay}{a}", rf"({d})至({d})，?每月(\d+)日((?:（不足\d+天的月份(?:为月末|為月底)）)?)各{pay}{a}"
    shorter = r"((?: \(the last day of shorter months\))?)"
    if channel is Channel.VOICE_CALL:
        return rf"on ({d}), {a}", rf"from ({d}) to ({d}), on day (\d+) of each month{shorter}, {a} each month"
    return rf"({d}): {a}", rf"({d}) to ({d}), monthly on day (\d+){shorter}: {a} each"


def next_month(due: date, day: int) -> date:
    """The plan's date a month after `due`: day `day`, or the last day of a shorter month."""
    year, month = due.year + due.month // 12, due.month % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _day(text: str, language: Language) -> date:
    if language in CHINESE:
        year, month, day = map(int, re.findall(r"\d+", text))
        return date(year, month, day)
    parts = re.fullmatch(r"([A-Z][a-z]+) (\d+), (\d+)", text)
    assert parts is not None, text
    month_name, day_of_month, year_number = parts.groups()
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    return date(int(year_number), months.index(month_name) + 1, int(day_of_month))


def months_read_back(body: str, channel: Channel, language: Language) -> dict[date, str]:
    """Every month the text states, with its total: runs expanded month by month."""
    single, run = patterns(channel, language)
    found: dict[date, str] = {}
    if run is not None:
        for first, last, day, shorter, amount in re.findall(run, body):
            due, end, on = _day(first, language), _day(last, language), int(day)
            assert due.day == on
            run_months = []
            while due <= end:
                found[due] = amount
                run_months.append(due)
                due = next_month(due, on)
            assert run_months[-1] == end
            assert bool(shorter) == any(month.day != on for month in run_months), "the last-day note, where due"
    for due_text, amount in re.findall(single, body, flags=re.MULTILINE):
        due = _day(due_text, language)
        assert due not in found, f"{due} stated twice"
        found[due] = amount
    return found


def written(case: Case, channel: Channel, language: Language, jurisdiction: Jurisdiction = Jurisdiction.CN) -> Rendered:
    _, facts = facts_for(case.event(), terms=TERMS)
    return render(
        Purpose.WRITTEN_PLAN, channel, language, jurisdiction, "Asia/Shanghai", with_link(Purpose.WRITTEN_PLAN, channel, facts)
    )


def day_text(day: date, language: Language) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language in CHINESE else day.strftime("%B %-d, %Y")


def percent_text(number: str, channel: Channel, language: Language) -> str:
    if channel is not Channel.VOICE_CALL:
        return f"{number}%"
    return f"百分之{number}" if language in CHINESE else f"{number} percent"


#: What each language says, whatever the channel, for the terms that are words.
WORDS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "arrears": "regular installments",
        "reschedule": "whole remaining schedule",
        "condition": "on condition that you keep to the plan",
        "reinstated": "payable again",
        "paused": "no penalty interest accrues",
        "grace": r"(?<!\d)5 days after its",
        "misses": "3 months are missed at the same time",
        "unpaid": "unpaid 45 days after its",
        "break": "original schedule",
    },
    Language.ZH_HANS: {
        "arrears": "常规月供",
        "reschedule": "全部剩余还款计划",
        "condition": "按方案还款为条件",
        "reinstated": "恢复为应还",
        "paused": "暂停计收罚息",
        "grace": r"到期5天后",
        "misses": "同时有3期逾期未还",
        "unpaid": "到期满45天",
        "break": "恢复按原",
    },
    Language.ZH_HANT: {
        "arrears": "原定月付金",
        "reschedule": "全部剩餘還款計畫",
        "condition": "按方案還款為條件",
        "reinstated": "恢復為應還",
        "paused": "暫停計收罰息",
        "grace": r"到期5天後",
        "misses": "同時有3期逾期未還",
        "unpaid": "到期滿45天",
        "break": "恢復按原",
    },
}
