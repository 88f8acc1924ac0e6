"""The borrower's page as it renders (issue 21): *My loan* in zh-CN, zh-Hant and en, with the live
figures of overdue-detection or intake's copy said to be one, amounts and dates as each language
writes them and no raw code; the frame's landmarks, skip link, language and navigation; the
refusal that is the same for every reason; and the language the page picks."""

from __future__ import annotations

import json
import re
import string
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.borrower_access import BorrowerSession
from negotiation_intake.entrypoints.borrower_page import i18n
from negotiation_intake.entrypoints.borrower_page.i18n import Words, accepted_language, contact_language, page_language
from negotiation_intake.entrypoints.borrower_page.my_loan import my_loan
from negotiation_intake.entrypoints.borrower_page.pages import Visit, frame
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, TEMPLATES
from tideover_contracts.common import Language
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events
from tideover_contracts.policy import HOW_TO_PAY
from tideover_testkit.console import raw_codes

PAGE = Path(i18n.__file__).parent
ASKED = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']""")
LOAN = uuid.UUID("0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11")


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def overdue_status(status: str = "active", overdue: bool = True, **changes: Any) -> dict[str, Any]:
    """An answer of overdue-detection's GET /v1/loans/{id}/overdue-status."""
    amounts = {"principal": "1000.00", "interest": "45.00", "fee": "10.00", "penalty": "3.21"}
    return {
        "loan_id": str(LOAN),
        "as_of": "2027-06-18",
        "status": status,
        "overdue": overdue,
        "episode": 1,
        "days_past_due": 34,
        "bucket": "M2",
        "oldest_overdue_due_date": "2027-05-15",
        "overdue_amounts": {part: cny(amount) for part, amount in amounts.items()},
        "charges_cap_applied": False,
        "penalty_rate": "0.0360",
        "credit": cny("0.00"),
        "remaining_schedule": [
            {"sequence": 1, "due_date": "2027-05-15", "outstanding": cny("1058.21")},
            {"sequence": 2, "due_date": "2027-07-15", "outstanding": cny("1040.00")},
        ],
        "last_payments": [],
        **changes,
    }


def loan(overdue: bool = True, plan_status: str | None = None, **snapshot: Any) -> LoanView:
    """The golden LoanBecameOverdue as intake keeps it (its copy), with `snapshot` changed."""
    event = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    copy = {**event.model_dump(mode="json"), **snapshot}
    return LoanView(LOAN, "B-000123", overdue, copy, uuid.uuid4() if plan_status else None, plan_status)


def visit_of(view_loan: LoanView, applications: Sequence[Application] = ()) -> Visit:
    """A visit of the loan's borrower, whose session's form token is "form-token"."""
    session = BorrowerSession(view_loan.loan_id, view_loan.borrower_id, "form-token", "", datetime(2027, 6, 25, tzinfo=UTC))
    return Visit("session-token", session, view_loan, tuple(applications))


def render(view_loan: LoanView, live: dict[str, Any] | None, language: str) -> str:
    words = Words(language)
    view = my_loan(view_loan, live, HOW_TO_PAY, words.written_in)
    shown = frame(visit_of(view_loan), words, "my_loan")
    return TEMPLATES.get_template("my_loan.html").render(t=words, lang=language, base=PREFIX, view=view, **shown)


def text_of(html: str) -> str:
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def attribute(html: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


class TestMyLoan:
    @pytest.mark.parametrize(
        ("language", "total", "penalty", "days", "as_of"),
        [
            ("en", "CNY 1,058.21", "CNY 3.21", "34 days overdue", "June 18, 2027"),
            ("zh-CN", "¥1,058.21", "¥3.21", "已逾期34天", "2027年6月18日"),
            ("zh-Hant", "¥1,058.21", "¥3.21", "已逾期34天", "2027年6月18日"),
        ],
    )
    def test_the_live_figures_by_component_in_each_language(
        self, language: str, total: str, penalty: str, days: str, as_of: str
    ) -> None:
        html = render(loan(), overdue_status(), language)
        text = text_of(html)

        assert attribute(html, "data-owed-total") == "1058.21"
        assert attribute(html, "data-source") == "ledger"
        assert re.findall(r'data-part="(\w+)" data-amount="([\d.]+)"', html) == [
            ("principal", "1000.00"),
            ("interest", "45.00"),
            ("fee", "10.00"),
            ("penalty", "3.21"),
        ]
        assert total in text
        assert penalty in text
        assert days in text
        assert as_of in text
        assert raw_codes(text, language) == []
        assert "M2" not in text  # a bucket is said as its days
        assert 'lang="' + language + '"' in html

    def test_what_happens_if_nothing_is_paid_and_when(self) -> None:
        text = text_of(render(loan(), overdue_status(), "en"))

        # 1,045.00 of principal and interest at 3.6% a year: 0.103 a day.
        assert "Penalty interest accrues every day on the overdue principal and interest (CNY 1,045.00) at 3.6% a year." in text
        assert "about CNY 0.10 a day" in text
        # 34 days overdue on June 18: 61 days on July 15.
        assert "From July 15, 2027, your loan will be 61 to 90 days overdue" in text
        assert "If the CNY 1,040.00 due on July 15, 2027 is not paid by then, it becomes overdue the next day" in text
        assert "CNY 1,040.00 due on July 15, 2027." in text  # the next due date

    def test_where_the_cap_binds_it_says_so(self) -> None:
        text = text_of(render(loan(), overdue_status(charges_cap_applied=True, penalty_rate="0.0480"), "en"))
        assert "at 4.8% a year" in text
        assert "The legal cap on overdue charges applies" in text

    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    def test_how_and_where_to_pay_is_what_the_written_plan_states(self, language: str) -> None:
        html = render(loan(), overdue_status(), language)
        assert HOW_TO_PAY[i18n.WRITTEN_IN[language]] in unescape(html)
        assert str(LOAN) in text_of(html)  # the loan reference the instructions ask for

    def test_without_overdue_detection_the_copy_says_as_of_when(self) -> None:
        html = render(loan(), None, "en")
        text = text_of(html)
        assert attribute(html, "data-source") == "copy"
        assert "these are the figures we last had, as of February 16, 2026" in text
        assert attribute(html, "data-owed-total") == "1045.00"

    def test_under_a_plan_no_penalty_accrues_and_no_bucket_comes(self) -> None:
        text = text_of(render(loan(plan_status="active"), overdue_status(status="under_plan"), "en"))
        assert "While you keep to your repayment plan" in text
        assert "Penalty interest accrues" not in text
        assert "next stage" not in text

    def test_nothing_overdue_and_a_closed_loan(self) -> None:
        nothing = {part: cny("0.00") for part in ("principal", "interest", "fee", "penalty")}
        cured = overdue_status(overdue=False, overdue_amounts=nothing)
        assert "Nothing on your loan is overdue." in text_of(render(loan(), cured, "en"))
        assert "Nothing on your loan is overdue." in text_of(render(loan(overdue=False), None, "en"))
        closed = text_of(render(loan(), overdue_status(status="closed", overdue=False), "en"))
        assert "This loan is closed in our records." in closed
        assert "Next payment due" not in closed


class TestTheFrame:
    def test_landmarks_headings_skip_link_and_language(self) -> None:
        html = render(loan(), overdue_status(), "zh-Hant")
        assert '<html lang="zh-Hant">' in html
        assert '<a class="skip" href="#main">' in html
        assert '<main id="main" tabindex="-1">' in html
        for landmark in ("<header", "<nav", "<footer"):
            assert landmark in html
        assert re.findall(r"<h1[^>]*>", html) == ["<h1>"]
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html

    def test_the_navigation_lists_only_the_sections_that_exist(self) -> None:
        html = render(loan(), overdue_status(), "en")
        nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
        # *My plan* only with a plan to show
        assert re.findall(r'<a href="([^"]+)"', nav)[:3] == [f"{PREFIX}/", f"{PREFIX}/help", f"{PREFIX}/options"]
        assert 'aria-current="page"' in nav
        assert "My plan" not in html

    def test_my_plan_is_listed_once_the_loan_has_a_plan(self) -> None:
        nav = render(loan(plan_status="broken"), overdue_status(), "en").split("<nav", 1)[1].split("</nav>", 1)[0]
        assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)<', nav) == [
            (f"{PREFIX}/", "My loan"),
            (f"{PREFIX}/help", "I need help"),
            (f"{PREFIX}/options", "My options"),
            (f"{PREFIX}/plan", "My plan"),
            (f"{PREFIX}/contact", "How we contact you"),
        ]

    def test_the_switch_offers_the_other_languages_each_in_itself(self) -> None:
        html = render(loan(), overdue_status(), "zh-CN")
        switch = html.split('class="languages"', 1)[1].split("</form>", 1)[0]
        assert re.findall(r'value="([\w-]+)" lang="([\w-]+)">([^<]+)<', switch) == [
            ("zh-Hant", "zh-Hant", "繁體中文"),
            ("en", "en", "English"),
        ]
        assert 'name="csrf" value="form-token"' in switch


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize("message", ["link_refused", "session_ended", "left", "too_many", "form_expired", "not_found"])
def test_every_message_page_is_in_words(language: str, message: str) -> None:
    template = TEMPLATES.get_template("message.html")
    html = template.render(t=Words(language), lang=language, base=PREFIX, message=message, minutes=3)
    text = text_of(html)
    assert raw_codes(text, language) == []
    assert "_" not in text
    assert "csrf" not in html  # no form without a session


def test_the_refusal_says_how_to_get_a_new_link() -> None:
    html = TEMPLATES.get_template("message.html").render(t=Words("en"), lang="en", base=PREFIX, message="link_refused")
    text = text_of(html)
    assert "This link cannot be opened" in text
    assert "How to get a new link" in text
    assert "every overdue notice, written plan and plan reminder carries a new one" in text


class TestWords:
    def asked_for(self) -> set[str]:
        sources = [*PAGE.glob("templates/**/*.html"), *PAGE.glob("*.py")]
        return {key for path in sources for key in ASKED.findall(path.read_text(encoding="utf-8"))}

    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    def test_every_word_asked_for_is_there(self, language: str) -> None:
        words = set(i18n.messages(language))
        asked = self.asked_for()
        assert len(asked) > 30
        missing = {key for key in asked if not (any(w.startswith(key) for w in words) if key.endswith("_") else key in words)}
        assert not missing, f"{language} lacks {sorted(missing)}"

    def test_the_three_languages_have_the_same_words_and_placeholders(self) -> None:
        def placeholders(text: str) -> set[str]:
            return {name for _, name, _, _ in string.Formatter().parse(text) if name}

        english = i18n.messages("en")
        for language in ("zh-CN", "zh-Hant"):
            other = i18n.messages(language)
            assert set(other) == set(english)
            assert [key for key in english if placeholders(english[key]) != placeholders(other[key])] == []

    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    def test_a_word_is_said_in_one_file_only(self, language: str) -> None:
        files = [i18n.LOCALES / f"{language}.json", *sorted(i18n.LOCALES.glob(f"*/{language}.json"))]
        keys = [key for path in files for key in json.loads(path.read_text(encoding="utf-8"))]
        assert sorted({key for key in keys if keys.count(key) > 1}) == []

    @pytest.mark.parametrize(("language", "text"), [("en", "3.6%"), ("zh-CN", "3.6%"), ("zh-Hant", "3.6%")])
    def test_a_rate_is_a_percentage(self, language: str, text: str) -> None:
        assert Words(language).percent(Decimal("0.036")) == text


class TestTheLanguage:
    @pytest.mark.parametrize(
        ("header", "language"),
        [
            ("zh-TW,zh;q=0.9,en;q=0.8", "zh-Hant"),
            ("zh-HK", "zh-Hant"),
            ("zh-Hant-TW", "zh-Hant"),
            ("zh-CN,zh;q=0.9", "zh-CN"),
            ("zh", "zh-CN"),
            ("fr-FR,en;q=0.5,zh;q=0.4", "en"),
            ("en;q=0.2,zh-TW;q=0.8", "zh-Hant"),
            ("en;q=0,zh", "zh-CN"),
            ("fr", None),
            ("", None),
            (None, None),
            (";;;,q=,zh;q=abc,en;q=nan,zh-TW;q=2", None),
            ("x" * 10_000, None),
        ],
    )
    def test_the_browsers_most_preferred_of_ours(self, header: str | None, language: str | None) -> None:
        assert accepted_language(header) == language

    def test_the_borrowers_choice_then_their_messages_language_then_the_browsers(self) -> None:
        assert page_language("en", "zh-CN", "zh-TW") == "en"
        assert page_language("", "zh-CN", "zh-TW") == "zh-CN"
        assert page_language("", None, "zh-TW") == "zh-Hant"
        assert page_language("", None, None) == "en"
        assert page_language("xx", None, None) == "en"

    @pytest.mark.parametrize(
        ("contact", "language"),
        [
            ({"locale": "zh-CN"}, "zh-CN"),
            ({"locale": "en"}, "en"),
            ({"locale": "zh-CN", "language": "zh-Hant"}, "zh-Hant"),
            ({"locale": "fr"}, None),
            ({}, None),
        ],
    )
    def test_the_language_the_borrowers_messages_are_written_in(self, contact: dict[str, str], language: str | None) -> None:
        assert contact_language({"contact": contact}) == language
        assert contact_language({}) is None

    def test_each_page_language_is_a_language_messages_are_written_in(self) -> None:
        assert {i18n.WRITTEN_IN[language] for language in i18n.LANGUAGES} == set(Language)
