"""The written plan states every term, for each kind of plan, in every language and channel (issue 16).

A borrower confirms the written plan on whatever channel it reached them, in their language
(zh-Hans, zh-Hant or en); an SMS is all a
borrower without e-mail gets. So each version is read back here: the loan reference, each
month's date and total (for an arrears plan, its installment plus the regular installments due
that month), the regular installments' own dates, what is waived and on what condition, the
rate, how and where to pay, the grace days and the tolerance, that penalty is paused while the
plan is in force, and what a break does. The rules and payment instructions come from the terms
given (WrittenPlanTerms), never from the template: the figures here differ from the defaults.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

import pytest

from notification.adapters.templates import render
from notification.application.message_facts import facts_for
from notification.application.ports import Rendered
from notification.application.written_plan import HOW_TO_PAY, WrittenPlanTerms
from notification.entrypoints.bootstrap import NotificationSettings, PlanRulesSettings, plan_terms
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
from tideover_contracts.examples import LOAN_ID, cny, golden_events, plan_schedule
from tideover_contracts.policy import PlanRules

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


def _patterns(channel: Channel, language: Language) -> tuple[str, str | None]:
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
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]  # fmt: skip
    return date(int(year_number), months.index(month_name) + 1, int(day_of_month))


def months_read_back(body: str, channel: Channel, language: Language) -> dict[date, str]:
    """Every month the text states, with its total: runs expanded month by month."""
    single, run = _patterns(channel, language)
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
    return render(Purpose.WRITTEN_PLAN, channel, language, jurisdiction, "Asia/Shanghai", facts)


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

NOTHING_WAIVED = {
    Language.EN: ("nothing is waived",),
    Language.ZH_HANS: ("无减免", "不减免任何款项"),
    Language.ZH_HANT: ("無減免", "不減免任何款項"),
}


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
class TestEveryTermIsStated:
    def test_the_loan_reference_and_what_the_plan_does_to_the_loan(
        self, case: Case, language: Language, channel: Channel
    ) -> None:
        body = written(case, channel, language).body

        assert str(LOAN_ID) in body
        assert WORDS[language][case.effect.value] in body

    def test_each_months_date_and_total_the_plan_line_with_the_regular_installments_beside_it(
        self, case: Case, language: Language, channel: Channel
    ) -> None:
        body = written(case, channel, language).body

        assert months_read_back(body, channel, language) == case.months
        for item in case.continuing:
            assert f"{item.amount.amount:,}" in body
            if item.due_date not in case.months:  # due on another day than its plan month's
                assert day_text(item.due_date, language) in body

    def test_what_is_waived_and_on_what_condition(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body.lower()

        if case.waived.total.is_zero:
            assert any(words in body for words in NOTHING_WAIVED[language])
        else:
            assert "150.00" in body
            assert "120.00" in body  # penalty interest
            assert "30.00" in body  # interest
            assert WORDS[language]["condition"] in body
            assert WORDS[language]["reinstated"] in body

    def test_the_rate_and_how_and_where_to_pay(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body

        assert percent_text("7.20" if case.rate == "0.072" else "0.00", channel, language) in body
        assert TERMS.how_to_pay[language] in body

    def test_grace_tolerance_penalty_paused_and_what_a_break_does(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body
        words = WORDS[language]

        assert re.search(words["grace"], body)  # 5, not the 45 of the break rule
        assert ("¥20.00" if language in CHINESE else "CNY 20.00") in body
        assert re.search(rf"(?<![\d.]){re.escape(percent_text('2', channel, language))}", body)  # 2%, not 12% or 0.02%
        assert words["paused"] in body.lower()
        assert words["misses"] in body
        assert words["unpaid"] in body
        assert words["break"] in body

    def test_the_confirmation_code(self, case: Case, language: Language, channel: Channel) -> None:
        body = written(case, channel, language).body

        assert ("4 8 2 9 1 5" if channel is Channel.VOICE_CALL else "482915") in body
        if channel is not Channel.VOICE_CALL:
            # The first six digits in a row are the code (gateways and the journey tests read it so).
            assert re.search(r"\d{6}", body).group() == "482915"  # type: ignore[union-attr]


def plan_dates(first: date, months: int) -> list[date]:
    """The plan's dates as plan-calculation makes them: `first`'s day of each month, the last
    day of a shorter month."""
    dates = [first]
    while len(dates) < months:
        dates.append(next_month(dates[-1], first.day))
    return dates


def long_extension(months: int, *, first: date = date(2026, 4, 15), holiday: int = 0, level: bool = False) -> Case:
    """A reschedule as the menu makes it (plan-calculation: menu.extension, payment_holiday),
    waiver included: 60,000.00 over `months` months at 7.20% a year, `holiday` months of
    nothing first; level payments, or equal principal (the same principal each month, rounded
    down, the last taking the rest; interest on the falling balance, so every month differs)."""
    principal, rate, paying = Decimal("60000.00"), Decimal("0.072") / 12, months - holiday
    part = (principal / paying).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    balance, lines = principal, []
    for n, due in enumerate(plan_dates(first, months), start=1):
        if n <= holiday:
            lines.append(line(n, due, "0.00", "0.00"))
            continue
        this_part = balance if n == months else part
        interest = Decimal("300.00") if level else (balance * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        lines.append(line(n, due, f"{this_part:.2f}" if not level else "1000.00", f"{interest:.2f}"))
        balance -= this_part
    months_due = {item.due_date: f"{item.total.amount:,}" for item in lines}
    shape = "level" if level else "equal-principal"
    name = f"extension-{months}-{shape}-from-{first:%b-%d}" + (f"-holiday-{holiday}" if holiday else "")
    return Case(name, OptionKind.WAIVER_WITH_TERM_EXTENSION, tuple(lines), (), WAIVED, "0.072", months_due)


#: The longest plans the menu can produce (DESIGN.md §4: 60 months): equal principal (a different
#: amount every month), due on the 15th or on the 31st (the last day of shorter months), and a
#: payment holiday of 3 months before 57 months of equal principal.
LONGEST = (
    long_extension(60),
    long_extension(60, first=date(2026, 1, 31)),
    long_extension(60, holiday=3),
)
#: Where the text says each month's amount is to be had, when it cannot list them all.
FULL_SCHEDULE = {Language.ZH_HANS: "完整还款计划", Language.ZH_HANT: "完整還款計畫", Language.EN: "full schedule"}


def within_ten_segments(body: str, language: Language) -> bool:
    return len(body) <= SMS_BOUND[language] and (language is not Language.EN or set(body) <= GSM7)


class TestTheSmsIsOneConcatenatedMessage:
    """The SMS carries the whole plan, within 10 segments (`SMS_BOUND`), for a US borrower with
    the opt-out line too; an en SMS stays within the GSM-7 alphabet."""

    @pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
    @pytest.mark.parametrize("language", list(Language))
    @pytest.mark.parametrize("case", [*CASES, long_extension(60, level=True), *LONGEST], ids=lambda case: case.name)
    def test_within_ten_segments(self, case: Case, language: Language, jurisdiction: Jurisdiction) -> None:
        body = written(case, Channel.SMS, language, jurisdiction).body

        assert within_ten_segments(body, language)

    @pytest.mark.parametrize("first", [date(2026, 4, 15), date(2026, 1, 31)], ids=["15th", "31st"])
    @pytest.mark.parametrize("channel", [Channel.SMS, Channel.PUSH, Channel.VOICE_CALL])
    @pytest.mark.parametrize("language", list(Language))
    def test_a_level_schedule_of_60_months_is_told_as_runs(self, language: Language, channel: Channel, first: date) -> None:
        case = long_extension(60, first=first, level=True)
        body = written(case, channel, language).body

        single, run = _patterns(channel, language)
        assert months_read_back(body, channel, language) == case.months
        assert (len(re.findall(single, body)), len(re.findall(run or "$^", body))) == (0, 1)  # one run, 60 months

    @pytest.mark.parametrize("language", list(Language))
    def test_a_schedule_of_differing_months_that_fits_is_told_month_by_month(self, language: Language) -> None:
        case = long_extension(12)
        body = written(case, Channel.SMS, language).body

        assert within_ten_segments(body, language)
        assert months_read_back(body, Channel.SMS, language) == case.months
        assert FULL_SCHEDULE[language] not in body


@pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("case", LONGEST, ids=lambda case: case.name)
class TestALongScheduleInTheSmsIsToldCompactly:
    """60 months that all differ do not fit in 10 segments one by one: the SMS tells them as a
    stretch (application/written_plan.py `compact`), and every other term as before."""

    def test_the_first_and_last_months_and_the_runs_exactly_and_the_stretchs_day_count_and_total(
        self, case: Case, language: Language, jurisdiction: Jurisdiction
    ) -> None:
        body = written(case, Channel.SMS, language, jurisdiction).body
        paying = [item for item in case.schedule if not item.total.is_zero]
        stretch_total = sum((item.total for item in paying), start=cny("0.00"))

        told = months_read_back(body, Channel.SMS, language)

        assert told.items() <= case.months.items()
        assert {case.schedule[0].due_date, paying[0].due_date, case.schedule[-1].due_date} <= told.keys()
        assert f"{stretch_total.amount:,}" in body
        count, day = len(paying), paying[0].due_date.day
        assert (f"共{count}期" if language in CHINESE else f"{count} months and") in body
        assert (f"每月{day}日" if language in CHINESE else f"monthly on day {day}") in body
        if any(item.due_date.day != day for item in paying):
            assert ("月份" if language in CHINESE else "the last day of shorter months") in body
        assert FULL_SCHEDULE[language] in body

    def test_every_other_term_as_in_the_full_text(self, case: Case, language: Language, jurisdiction: Jurisdiction) -> None:
        body = written(case, Channel.SMS, language, jurisdiction).body
        words = WORDS[language]

        assert str(LOAN_ID) in body
        assert "482915" in body
        assert TERMS.how_to_pay[language] in body
        assert percent_text("7.20", Channel.SMS, language) in body
        assert "150.00" in body
        for term in ("reschedule", "condition", "reinstated", "misses", "unpaid", "break"):
            assert words[term] in body, term
        assert words["paused"] in body.lower()
        assert re.search(words["grace"], body)
        assert ("¥20.00" if language in CHINESE else "CNY 20.00") in body


class TestTheTermsComeFromSettings:
    def test_the_defaults_are_the_policys(self) -> None:
        terms = plan_terms(NotificationSettings(), PlanRulesSettings().rules())

        assert terms.rules == PlanRules()
        assert terms.how_to_pay == HOW_TO_PAY

    def test_the_plan_rules_are_read_from_the_variables_repayment_tracking_reads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TIDEOVER_PLAN_GRACE_DAYS", "5")
        monkeypatch.setenv("TIDEOVER_PLAN_TOLERANCE_FLOOR", "20.00")
        monkeypatch.setenv("TIDEOVER_PAYMENT_INSTRUCTIONS", '{"en": "Pay to account 6222 0000 1111."}')

        terms = plan_terms(NotificationSettings(), PlanRulesSettings().rules())

        assert (terms.rules.grace_days, terms.rules.tolerance_floor, terms.rules.misses_to_break) == (5, Decimal("20.00"), 2)
        assert terms.how_to_pay[Language.EN] == "Pay to account 6222 0000 1111."
        assert terms.how_to_pay[Language.ZH_HANS] == HOW_TO_PAY[Language.ZH_HANS]  # a language not named keeps its text

    def test_instructions_are_named_by_language_and_zh_cn_still_names_simplified_chinese(self) -> None:
        terms = WrittenPlanTerms().with_instructions({"zh-CN": "转账至6222。", "zh-Hant": "轉帳至6222。"})

        assert terms.how_to_pay[Language.ZH_HANS] == "转账至6222。"
        assert terms.how_to_pay[Language.ZH_HANT] == "轉帳至6222。"
        assert terms.how_to_pay[Language.EN] == HOW_TO_PAY[Language.EN]
        with pytest.raises(ValueError, match="zh-TW"):
            WrittenPlanTerms().with_instructions({"zh-TW": "轉帳至6222。"})

    def test_blank_instructions_are_refused(self) -> None:
        with pytest.raises(ValueError, match="blank"):
            WrittenPlanTerms().with_instructions({"zh-CN": "  "})


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
def test_months_with_nothing_to_pay_are_stated_as_such(language: Language, channel: Channel) -> None:
    """A payment holiday's first months ask for nothing (a reschedule whose lines are zero)."""
    lines = (
        line(1, date(2026, 4, 15), "0.00", "0.00"),
        line(2, date(2026, 5, 15), "0.00", "0.00"),
        line(3, date(2026, 6, 15), "500.00", "30.00"),
    )
    months = {date(2026, 4, 15): "0.00", date(2026, 5, 15): "0.00", date(2026, 6, 15): "530.00"}
    case = Case("holiday-3", OptionKind.TERM_EXTENSION, lines, (), NOTHING, "0.072", months)

    body = written(case, channel, language).body

    assert months_read_back(body, channel, language) == months
    assert "()" not in body
    assert "（）" not in body
