"""The console's own parts of issue 17: what a query string or a sign-in form may carry without a
500 (M1), what a session does as it is signed in and out (M5), and the cookie that names it (M6).
The same requests against the running service are in tests/integration/test_console_sessions.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.datastructures import FormData

from negotiation_intake.adapters.store import CURSOR_PATTERN
from negotiation_intake.entrypoints.console import forms
from negotiation_intake.entrypoints.console.pages import _cursor
from negotiation_intake.entrypoints.console.queue_view import MAX_DAYS_PAST_DUE, MAX_PAGE, MAX_SEARCH, queue_filter
from negotiation_intake.entrypoints.console.sessions import Session, SessionPolicy

KEY = "tdo_0123456789ab_" + "A" * 43


@pytest.mark.parametrize(
    ("value", "page"),
    [("3", 3), ("²", 1), ("٣", 1), ("-2", 1), ("0", 1), (" 4 ", 4), ("100000000000000000000", MAX_PAGE), ("9" * 5000, MAX_PAGE)],
)
def test_a_page_number_is_ascii_digits_and_bounded(value: str, page: int) -> None:
    assert queue_filter({"page": value}).page == page


@pytest.mark.parametrize(
    ("value", "days"),
    [("30", 30), ("²", None), ("1000000000000", MAX_DAYS_PAST_DUE), ("", None), ("3.5", None), ("9" * 5000, MAX_DAYS_PAST_DUE)],
)
def test_days_past_due_are_ascii_digits_and_bounded(value: str, days: int | None) -> None:
    assert queue_filter({"min_dpd": value}).min_days_past_due == days


def test_the_bounds_fit_a_query_parameter() -> None:
    # The queue's SQL casts min_dpd to int (int4); the offset is (page - 1) * 25.
    assert MAX_DAYS_PAST_DUE < 2**31
    assert (MAX_PAGE - 1) * 25 < 2**31


@pytest.mark.parametrize(
    ("value", "search"),
    [("a\x00b", "ab"), ("\x00", None), ("  B-000123 ", "B-000123"), ("x" * 1000, "x" * MAX_SEARCH), ("a\u202eb", "ab")],
)
def test_the_search_drops_what_postgres_text_cannot_hold(value: str, search: str | None) -> None:
    assert queue_filter({"q": value}).search == search


@pytest.mark.parametrize(
    ("after", "kept"),
    [
        ("1" * 16 + "_" + "a" * 32, True),
        ("1" * 17 + "_" + "a" * 32, False),  # a time past what the store reads
        ("1" * 16 + "_" + "A" * 32, False),
        ("", False),
    ],
)
def test_a_supervisor_cursor_is_one_the_store_reads_or_the_first_page(after: str, kept: bool) -> None:
    assert (_cursor(after, CURSOR_PATTERN) == after) is kept


@pytest.mark.parametrize(
    ("presented", "may_be"),
    [(KEY, True), (KEY[:10] + "\x00" + KEY[10:], False), ("tdo_é_x", False), ("", False), ("x" * 10_000, False)],
)
def test_only_printable_ascii_of_a_keys_length_is_looked_up(presented: str, may_be: bool) -> None:
    assert forms.may_be_a_key(presented) is may_be


@pytest.mark.parametrize(("version", "if_match"), [("7", '"7"'), ("²", None), ("7a", None), ("9" * 40, None), ("", None)])
def test_a_forms_version_is_ascii_digits_or_no_precondition(version: str, if_match: str | None) -> None:
    assert forms.if_match(FormData({"version": version})) == if_match


class TestSession:
    def test_a_visitors_first_csrf_token_makes_the_session(self) -> None:
        session = Session()
        token = session.csrf_token()
        assert session.issue
        assert session.csrf_token() == token
        assert len(token) >= 32

    def test_a_resumed_session_keeps_its_token_and_is_not_issued_again(self) -> None:
        session = Session("t" * 43, "key1", "csrf", "zh-CN")
        assert session.csrf_token() == "csrf"
        assert not session.issue

    def test_sign_in_is_a_new_session_with_a_new_csrf_token_and_the_same_language(self) -> None:
        session = Session("t" * 43, None, "visitor-csrf", "zh-CN", "flash_approved")
        session.sign_in("key1")
        assert (session.key_id, session.language, session.flash, session.issue) == ("key1", "zh-CN", None, True)
        assert session.csrf not in {None, "visitor-csrf"}

    def test_sign_out_ends_the_session_and_forgets_the_key_and_token(self) -> None:
        session = Session("t" * 43, "key1", "csrf", "en")
        session.sign_out()
        assert (session.ended, session.issue, session.key_id, session.csrf) == (True, False, None, None)

    def test_a_flash_is_shown_once(self) -> None:
        session = Session("t" * 43, "key1", "csrf", "en")
        session.put_flash("flash_approved")
        assert session.take_flash() == "flash_approved"
        assert session.take_flash() is None
        assert session.changed


class TestCookie:
    def test_outside_development_the_cookie_is_secure_and_host_only(self) -> None:
        policy = SessionPolicy(secure=True, lifetime=timedelta(hours=8), idle=timedelta(minutes=30))
        cookie = policy.set_cookie("T" * 43)
        assert cookie == f"__Host-tideover_console={'T' * 43}; Path=/; HttpOnly; SameSite=Lax; Secure"
        assert "Domain" not in cookie
        assert "Max-Age" not in cookie  # gone when the browser closes; the server ends it sooner

    def test_in_development_the_cookie_may_travel_over_http(self) -> None:
        policy = SessionPolicy(secure=False, lifetime=timedelta(hours=8), idle=timedelta(minutes=30))
        assert policy.set_cookie("T" * 43) == f"tideover_console={'T' * 43}; Path=/; HttpOnly; SameSite=Lax"
        assert policy.clear_cookie() == "tideover_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
