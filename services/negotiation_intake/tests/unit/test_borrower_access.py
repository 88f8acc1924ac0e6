"""Who may see the borrower's page (issue 21): a link opens its loan for the loan's current
borrower until it expires by the service's clock, and nothing else does; the session it starts
ends no later than the link, and with the loan's borrower. What the page says happens if nothing
is paid follows the buckets and the penalty as the system applies them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from negotiation_intake.domain.borrower_access import BorrowerSession, LinkRefusal, refusal_of_link, session_lifetime
from negotiation_intake.domain.if_unpaid import NextStage, next_due, next_stage, penalty_per_day
from negotiation_intake.entrypoints.door import kept_path
from tideover_contracts.common import Bucket
from tideover_contracts.policy import bucket_for, next_bucket
from tideover_runtime.borrower_links import TOKEN_LENGTH, read, sign

SECRET = b"k" * 32
NOW = datetime(2027, 6, 18, 10, tzinfo=UTC)
LOAN = uuid.UUID("0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11")
TOKEN = sign(LOAN, "B-000123", NOW + timedelta(days=7), SECRET)


def refusal(token: str, borrower: str | None = "B-000123", now: datetime = NOW, secret: bytes = SECRET) -> LinkRefusal | None:
    return refusal_of_link(read(token), borrower, now, secret)


class TestTheLink:
    def test_a_good_link_opens_its_loan_for_its_borrower(self) -> None:
        assert refusal(TOKEN) is None

    def test_each_reason_to_refuse_is_named_for_the_log(self) -> None:
        assert refusal("not-a-token") is LinkRefusal.MALFORMED
        assert refusal(TOKEN, borrower=None) is LinkRefusal.UNKNOWN_LOAN
        assert refusal(TOKEN, borrower="B-999999") is LinkRefusal.NOT_SIGNED_FOR_BORROWER
        assert refusal(TOKEN, secret=b"x" * 32) is LinkRefusal.NOT_SIGNED_FOR_BORROWER
        assert refusal(TOKEN, now=NOW + timedelta(days=7, hours=1)) is LinkRefusal.EXPIRED

    def test_another_loans_id_in_a_link_signed_for_the_borrower_is_refused(self) -> None:
        other = sign(uuid.uuid4(), "B-000123", NOW + timedelta(days=7), SECRET)
        swapped = TOKEN[:1] + other[1:23] + TOKEN[23:]  # the loan id of another, the MAC of this one
        assert read(swapped) is not None
        assert refusal(swapped) is LinkRefusal.NOT_SIGNED_FOR_BORROWER

    @given(position=st.integers(0, TOKEN_LENGTH - 1), char=st.sampled_from("AQgw019-_"))
    def test_any_altered_character_is_refused(self, position: int, char: str) -> None:
        altered = TOKEN[:position] + char + TOKEN[position + 1 :]
        if altered != TOKEN:
            assert refusal(altered) is not None

    @given(st.text(max_size=80))
    def test_junk_is_refused_and_never_raises(self, junk: str) -> None:
        assert refusal(junk) is not None


class TestTheSession:
    def test_it_lasts_its_longest_but_never_past_the_link(self) -> None:
        expires = NOW + timedelta(minutes=20)
        assert session_lifetime(expires, NOW, timedelta(hours=1)) == timedelta(minutes=20)
        assert session_lifetime(NOW + timedelta(days=7), NOW, timedelta(hours=1)) == timedelta(hours=1)
        assert session_lifetime(NOW - timedelta(seconds=1), NOW, timedelta(hours=1)) == timedelta(0)

    def test_it_holds_for_its_borrower_until_the_link_expires(self) -> None:
        session = BorrowerSession(LOAN, "B-000123", "csrf", "", NOW + timedelta(days=7))
        assert session.holds("B-000123", NOW)
        assert not session.holds("B-000456", NOW)  # the loan moved to another borrower
        assert not session.holds(None, NOW)  # the loan is no longer known
        assert not session.holds("B-000123", NOW + timedelta(days=7))  # by the service's clock


class TestIfNothingIsPaid:
    @pytest.mark.parametrize(
        ("dpd", "stage"),
        [
            (1, NextStage(Bucket.M2, 31, 60, date(2027, 7, 18))),
            (30, NextStage(Bucket.M2, 31, 60, date(2027, 6, 19))),
            (31, NextStage(Bucket.M3, 61, 90, date(2027, 7, 18))),
            (150, NextStage(Bucket.M5_PLUS, 181, None, date(2027, 7, 19))),
            (181, None),
            (0, None),
        ],
    )
    def test_the_next_bucket_begins_when_the_days_reach_it(self, dpd: int, stage: NextStage | None) -> None:
        assert next_stage(dpd, date(2027, 6, 18)) == stage

    @given(st.integers(0, 400))
    def test_the_next_bucket_is_the_first_day_past_this_one(self, dpd: int) -> None:
        found = next_bucket(dpd)
        if found is None:
            assert bucket_for(dpd) is Bucket.M5_PLUS
            return
        bucket, starts = found
        assert starts > dpd
        assert bucket_for(starts) is bucket
        assert bucket_for(starts - 1) is bucket_for(dpd) is not bucket

    def test_penalty_a_day_is_the_yearly_rate_on_principal_and_interest_over_365(self) -> None:
        assert penalty_per_day(Decimal("1045.00"), Decimal("0.0360")) == Decimal("0.10")
        assert penalty_per_day(Decimal("36500.00"), Decimal("0.1200")) == Decimal("12.00")

    def test_the_next_due_is_the_earliest_not_yet_overdue(self) -> None:
        schedule = [(date(2027, 5, 15), Decimal(1045)), (date(2027, 7, 15), Decimal(1040)), (date(2027, 6, 18), Decimal(0))]
        assert next_due(schedule, date(2027, 6, 18)) == (date(2027, 7, 15), Decimal(1040))
        assert next_due(schedule, date(2027, 7, 16)) is None


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        (f"/b/{TOKEN}", "/b/{token}"),
        (f"/b/{TOKEN}/more", "/b/{token}/more"),
        ("/b/", "/b/"),
        ("/b/language", "/b/language"),
        ("/b/plan/confirmation", "/b/plan/confirmation"),
        ("/b/help/code", "/b/help/code"),
        ("/b/static/borrower.css", "/b/static/borrower.css"),
        ("/v1/loans/x", "/v1/loans/x"),
    ],
)
def test_a_refused_path_is_kept_without_the_links_token(path: str, kept: str) -> None:
    assert kept_path(path) == kept
