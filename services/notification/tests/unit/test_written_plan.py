"""The written plan states every term, for each kind of plan, in every locale and channel (issue 16).

A borrower confirms the written plan on whatever channel it reached them; an SMS is all a
borrower without e-mail gets. So each version is read back here: the loan reference, each
month's date and total (for an arrears plan, its installment plus the regular installments due
that month), the regular installments' own dates, what is waived and on what condition, the
rate, how and where to pay, the grace days and the tolerance, that penalty is paused while the
plan is in force, and what a break does. The rules and payment instructions come from the terms
given (WrittenPlanTerms), never from the template: the figures here differ from the defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
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
    Locale,
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
            Locale.EN: "Pay to account 6222 0000 1111 at Example Bank, quoting the loan reference.",
            Locale.ZH_CN: "请转账至示例银行账户6222 0000 1111，并注明贷款编号。",
        }
    ),
)
#: A concatenated SMS of at most 10 segments: 10 × 67 UCS-2 characters (zh-CN), 10 × 153 GSM-7
#: characters (en). Carriers and gateways commonly cap a long SMS at about this size.
SMS_SEGMENTS = 10
SMS_BOUND = {Locale.ZH_CN: SMS_SEGMENTS * 67, Locale.EN: SMS_SEGMENTS * 153}
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

_DATE = {Locale.EN: r"[A-Z][a-z]+ \d{1,2}, \d{4}", Locale.ZH_CN: r"\d{4}年\d{1,2}月\d{1,2}日"}
_AMOUNT = {Locale.EN: r"CNY ([\d,]+\.\d\d)", Locale.ZH_CN: r"¥([\d,]+\.\d\d)"}


def _patterns(channel: Channel, locale: Locale) -> tuple[str, str | None]:
    """How a version writes one month, and a run of months (first, last, day, amount), if it has runs."""
    d, a = _DATE[locale], _AMOUNT[locale]
    if channel is Channel.EMAIL:
        single = rf"^\d+\. ({d}): {a}" if locale is Locale.EN else rf"^第\d+期 ({d})：{a}"
        return single, None
    if locale is Locale.ZH_CN:
        return rf"({d})还{a}", rf"({d})至({d})，?每月(\d+)日各还{a}"
    if channel is Channel.VOICE_CALL:
        return rf"on ({d}), {a}", rf"from ({d}) to ({d}), on day (\d+) of each month, {a} each month"
    return rf"({d}): {a}", rf"({d}) to ({d}), monthly on day (\d+): {a} each"


def _day(text: str, locale: Locale) -> date:
    if locale is Locale.ZH_CN:
        year, month, day = map(int, re.findall(r"\d+", text))
        return date(year, month, day)
    parts = re.fullmatch(r"([A-Z][a-z]+) (\d+), (\d+)", text)
    assert parts is not None, text
    month_name, day_of_month, year_number = parts.groups()
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]  # fmt: skip
    return date(int(year_number), months.index(month_name) + 1, int(day_of_month))


def months_read_back(body: str, channel: Channel, locale: Locale) -> dict[date, str]:
    """Every month the text states, with its total: runs expanded month by month."""
    single, run = _patterns(channel, locale)
    found: dict[date, str] = {}
    if run is not None:
        for first, last, day, amount in re.findall(run, body):
            due, end = _day(first, locale), _day(last, locale)
            assert due.day == end.day == int(day)
            while due <= end:
                found[due] = amount
                due = date(due.year + due.month // 12, due.month % 12 + 1, due.day)
    for due_text, amount in re.findall(single, body, flags=re.MULTILINE):
        due = _day(due_text, locale)
        assert due not in found, f"{due} stated twice"
        found[due] = amount
    return found


def written(case: Case, channel: Channel, locale: Locale, jurisdiction: Jurisdiction = Jurisdiction.CN) -> Rendered:
    _, facts = facts_for(case.event(), terms=TERMS)
    return render(Purpose.WRITTEN_PLAN, channel, locale, jurisdiction, "Asia/Shanghai", facts)


def day_text(day: date, locale: Locale) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if locale is Locale.ZH_CN else day.strftime("%B %-d, %Y")


def percent_text(number: str, channel: Channel, locale: Locale) -> str:
    if channel is not Channel.VOICE_CALL:
        return f"{number}%"
    return f"百分之{number}" if locale is Locale.ZH_CN else f"{number} percent"


#: What each locale says, whatever the channel, for the terms that are words.
WORDS: dict[Locale, dict[str, str]] = {
    Locale.EN: {
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
    Locale.ZH_CN: {
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
}

NOTHING_WAIVED = {Locale.EN: ("nothing is waived",), Locale.ZH_CN: ("无减免", "不减免任何款项")}


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
class TestEveryTermIsStated:
    def test_the_loan_reference_and_what_the_plan_does_to_the_loan(self, case: Case, locale: Locale, channel: Channel) -> None:
        body = written(case, channel, locale).body

        assert str(LOAN_ID) in body
        assert WORDS[locale][case.effect.value] in body

    def test_each_months_date_and_total_the_plan_line_with_the_regular_installments_beside_it(
        self, case: Case, locale: Locale, channel: Channel
    ) -> None:
        body = written(case, channel, locale).body

        assert months_read_back(body, channel, locale) == case.months
        for item in case.continuing:
            assert f"{item.amount.amount:,}" in body
            if item.due_date not in case.months:  # due on another day than its plan month's
                assert day_text(item.due_date, locale) in body

    def test_what_is_waived_and_on_what_condition(self, case: Case, locale: Locale, channel: Channel) -> None:
        body = written(case, channel, locale).body.lower()

        if case.waived.total.is_zero:
            assert any(words in body for words in NOTHING_WAIVED[locale])
        else:
            assert "150.00" in body
            assert "120.00" in body  # penalty interest
            assert "30.00" in body  # interest
            assert WORDS[locale]["condition"] in body
            assert WORDS[locale]["reinstated"] in body

    def test_the_rate_and_how_and_where_to_pay(self, case: Case, locale: Locale, channel: Channel) -> None:
        body = written(case, channel, locale).body

        assert percent_text("7.20" if case.rate == "0.072" else "0.00", channel, locale) in body
        assert TERMS.how_to_pay[locale] in body

    def test_grace_tolerance_penalty_paused_and_what_a_break_does(self, case: Case, locale: Locale, channel: Channel) -> None:
        body = written(case, channel, locale).body
        words = WORDS[locale]

        assert re.search(words["grace"], body)  # 5, not the 45 of the break rule
        assert ("¥20.00" if locale is Locale.ZH_CN else "CNY 20.00") in body
        assert re.search(rf"(?<![\d.]){re.escape(percent_text('2', channel, locale))}", body)  # 2%, not 12% or 0.02%
        assert words["paused"] in body.lower()
        assert words["misses"] in body
        assert words["unpaid"] in body
        assert words["break"] in body

    def test_the_confirmation_code(self, case: Case, locale: Locale, channel: Channel) -> None:
        body = written(case, channel, locale).body

        assert ("4 8 2 9 1 5" if channel is Channel.VOICE_CALL else "482915") in body
        if channel is not Channel.VOICE_CALL:
            # The first six digits in a row are the code (gateways and the journey tests read it so).
            assert re.search(r"\d{6}", body).group() == "482915"  # type: ignore[union-attr]


def long_extension(months: int, *, level: bool) -> Case:
    """A reschedule of `months` months: level payments, or falling ones (equal principal)."""
    first = date(2026, 4, 15)
    lines = tuple(
        line(n, date(first.year + (first.month - 2 + n) // 12, (first.month - 2 + n) % 12 + 1, 15), "1000.00",
             "30.00" if level else f"{Decimal(600 - 10 * n):.2f}")
        for n in range(1, months + 1)
    )  # fmt: skip
    return Case(f"extension-{months}", OptionKind.WAIVER_WITH_TERM_EXTENSION, lines, (), WAIVED, "0.072", {})


class TestTheSmsIsOneConcatenatedMessage:
    """The SMS carries the whole plan, within 10 segments (`SMS_BOUND`), for a US borrower with
    the opt-out line too; an en SMS stays within the GSM-7 alphabet."""

    @pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
    @pytest.mark.parametrize("locale", list(Locale))
    @pytest.mark.parametrize(
        "case", [*CASES, long_extension(60, level=True)], ids=[*(case.name for case in CASES), "extension-60-level"]
    )
    def test_within_ten_segments(self, case: Case, locale: Locale, jurisdiction: Jurisdiction) -> None:
        body = written(case, Channel.SMS, locale, jurisdiction).body

        assert len(body) <= SMS_BOUND[locale]
        if locale is Locale.EN:
            assert set(body) <= GSM7

    @pytest.mark.parametrize("locale", list(Locale))
    def test_a_level_schedule_of_60_months_is_told_as_runs(self, locale: Locale) -> None:
        case = long_extension(60, level=True)
        body = written(case, Channel.SMS, locale).body

        assert months_read_back(body, Channel.SMS, locale) == {item.due_date: "1,030.00" for item in case.schedule}


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
        assert terms.how_to_pay[Locale.EN] == "Pay to account 6222 0000 1111."
        assert terms.how_to_pay[Locale.ZH_CN] == HOW_TO_PAY[Locale.ZH_CN]  # a locale not named keeps its text

    def test_blank_instructions_are_refused(self) -> None:
        with pytest.raises(ValueError, match="blank"):
            WrittenPlanTerms().with_instructions({"zh-CN": "  "})


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("locale", list(Locale))
def test_months_with_nothing_to_pay_are_stated_as_such(locale: Locale, channel: Channel) -> None:
    """A payment holiday's first months ask for nothing (a reschedule whose lines are zero)."""
    lines = (
        line(1, date(2026, 4, 15), "0.00", "0.00"),
        line(2, date(2026, 5, 15), "0.00", "0.00"),
        line(3, date(2026, 6, 15), "500.00", "30.00"),
    )
    months = {date(2026, 4, 15): "0.00", date(2026, 5, 15): "0.00", date(2026, 6, 15): "530.00"}
    case = Case("holiday-3", OptionKind.TERM_EXTENSION, lines, (), NOTHING, "0.072", months)

    body = written(case, channel, locale).body

    assert months_read_back(body, channel, locale) == months
    assert "()" not in body
    assert "（）" not in body
