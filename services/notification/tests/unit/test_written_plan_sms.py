"""The written plan as an SMS (issue 16): one concatenated message of at most ten segments, in
every language; a long schedule told compactly, every other term as in the full version."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest

from tideover_contracts.common import (
    Channel,
    Jurisdiction,
    Language,
)
from tideover_contracts.events.negotiation import OptionKind
from tideover_contracts.examples import LOAN_ID, cny

from .written_plans import (
    CASES,
    CHINESE,
    GSM7,
    SMS_BOUND,
    TERMS,
    WAIVED,
    WORDS,
    Case,
    line,
    months_read_back,
    next_month,
    patterns,
    percent_text,
    written,
)


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

        single, run = patterns(channel, language)
        assert months_read_back(body, channel, language) == case.months
        assert (len(re.findall(single, body)), len(re.findall(run or "$^", body))) == (0, 1)  # one run, 60 months

    @pytest.mark.parametrize("language", list(Language))
    def test_a_schedule_of_differing_months_that_fits_is_told_month_by_month(self, language: Language) -> None:
        # 9 months: the borrower's link (issue 21) takes a segment of a Chinese SMS, where 12 fitted before.
        case = long_extension(9)
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
