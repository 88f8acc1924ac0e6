"""The borrower's choices on their page in the contact rules (issue 21, How we contact you): channels
in the order they chose; their opt-outs beside upstream's, but a change code they asked for now
still goes by SMS; preferred hours clipped to the legal window. Hypothesis: no collection message
is ever sent outside the legal window nor outside the preferred hours, and a message held for
them is held until the first instant both allow (checked minute by minute against the law written
out here, not the rule's own helpers)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notification.domain.contact_hours import honoured_hours, legal_slots
from notification.domain.contact_rules import (
    COLLECTION,
    PROFILES,
    Borrower,
    History,
    Message,
    Outcome,
    Sent,
    decide,
)
from tideover_contracts.common import Channel, Jurisdiction
from tideover_contracts.events.negotiation import PreferredHours
from tideover_contracts.events.notifications import Purpose

CN = PROFILES[Jurisdiction.CN]
US = PROFILES[Jurisdiction.US]
#: The law as DESIGN.md §4 states it, written out here: CN 08:00–22:00, US 08:00–21:00, local.
LEGAL = {Jurisdiction.CN: (time(8), time(22)), Jurisdiction.US: (time(8), time(21))}
ZONES = ("Asia/Shanghai", "America/New_York", "America/Los_Angeles", "Asia/Taipei")
NOON_BEIJING = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def borrower(**changes: object) -> Borrower:
    base: dict[str, object] = {
        "time_zone": "Asia/Shanghai",
        "jurisdiction": Jurisdiction.CN,
        "channels": (Channel.SMS, Channel.EMAIL, Channel.VOICE_CALL),
    }
    return Borrower(**{**base, **changes})  # type: ignore[arg-type]


def hours(start: time, end: time) -> PreferredHours:
    return PreferredHours(start=start, end=end)


def notice(now: datetime, purpose: Purpose = Purpose.OVERDUE_NOTICE) -> Message:
    return Message(purpose, now)


class TestChannelsAndOptOuts:
    def test_the_first_channel_the_borrower_chose_carries_the_notice(self) -> None:
        who = borrower(channels=(Channel.EMAIL, Channel.SMS, Channel.VOICE_CALL))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.EMAIL)

    def test_the_pages_opt_outs_add_to_upstreams_for_a_notice(self) -> None:
        who = borrower(opted_out=frozenset({Channel.SMS}), page_opted_out=frozenset({Channel.EMAIL}))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.VOICE_CALL)

    def test_a_notice_with_every_channel_opted_out_on_the_page_is_suppressed(self) -> None:
        who = borrower(page_opted_out=frozenset({Channel.SMS, Channel.EMAIL, Channel.VOICE_CALL}))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.rule) == (Outcome.SUPPRESS, "opted_out")

    def test_a_change_code_still_goes_by_sms_opted_out_on_the_page_but_not_upstream(self) -> None:
        code = notice(NOON_BEIJING, Purpose.CHANGE_CODE)
        page_only = borrower(page_opted_out=frozenset({Channel.SMS}), preferred_hours=hours(time(9), time(10)))
        decision = decide(code, page_only, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.SMS)  # outside the preferred hours too
        upstream = borrower(opted_out=frozenset({Channel.SMS}))
        refused = decide(code, upstream, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (refused.outcome, refused.rule) == (Outcome.SUPPRESS, "opted_out")


class TestPreferredHours:
    def test_a_notice_before_the_preferred_hours_is_held_until_they_begin(self) -> None:
        who = borrower(preferred_hours=hours(time(14), time(16, 30)))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.rule) == (Outcome.HOLD, "preferred_hours")
        assert decision.until == datetime(2031, 3, 4, 6, 0, tzinfo=UTC)  # 14:00 in Beijing

    def test_a_notice_after_them_waits_for_the_next_day(self) -> None:
        who = borrower(preferred_hours=hours(time(9), time(11)))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert decision.until == datetime(2031, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 the next day

    def test_hours_partly_in_the_quiet_hours_are_clipped_to_the_legal_window(self) -> None:
        night = datetime(2031, 3, 3, 22, 0, tzinfo=UTC)  # 06:00 in Beijing
        who = borrower(preferred_hours=hours(time(6), time(9)))
        decision = decide(notice(night), who, History(), night, plan_active=False, profile=CN)
        assert (decision.outcome, decision.rule, decision.until) == (
            Outcome.HOLD,
            "quiet_hours",
            datetime(2031, 3, 4, 0, 0, tzinfo=UTC),  # 08:00, not 06:00
        )

    def test_hours_wholly_in_the_quiet_hours_leave_the_legal_window_alone(self) -> None:
        assert honoured_hours(hours(time(22), time(23)), CN) is None
        who = borrower(preferred_hours=hours(time(22), time(23)))
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert decision.outcome is Outcome.SEND

    def test_the_daily_limit_waits_for_the_next_days_preferred_hours(self) -> None:
        who = borrower(channels=(Channel.SMS,), preferred_hours=hours(time(10), time(14)))
        sent = tuple(Sent(Channel.SMS, NOON_BEIJING - timedelta(minutes=m)) for m in (1, 2, 3))
        decision = decide(notice(NOON_BEIJING), who, History(sent), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.rule, decision.until) == ("daily_limit", datetime(2031, 3, 5, 2, 0, tzinfo=UTC))

    def test_the_slots_a_borrower_may_choose_are_the_legal_windows_half_hours(self) -> None:
        assert (legal_slots(CN)[0], legal_slots(CN)[-1], len(legal_slots(CN))) == (time(8), time(21, 30), 28)
        assert (legal_slots(US)[0], legal_slots(US)[-1], len(legal_slots(US))) == (time(8), time(20, 30), 26)


def _law_allows(local: time, jurisdiction: Jurisdiction) -> bool:
    opens, closes = LEGAL[jurisdiction]
    return opens <= local < closes


def _allowed(instant: datetime, zone: str, jurisdiction: Jurisdiction, preferred: PreferredHours) -> bool:
    """Both the law and the borrower's hours; hours the law leaves nothing of are not honoured."""
    local = instant.astimezone(ZoneInfo(zone)).time()
    opens, closes = LEGAL[jurisdiction]
    overlaps = max(opens, preferred.start) < min(closes, preferred.end)
    return _law_allows(local, jurisdiction) and (not overlaps or preferred.start <= local < preferred.end)


half_hours = st.integers(min_value=0, max_value=47).map(lambda n: time(n // 2, 30 * (n % 2)))


@st.composite
def preferred_hours(draw: st.DrawFn) -> PreferredHours:
    start, end = sorted(draw(st.lists(half_hours, min_size=2, max_size=2, unique=True)))
    return PreferredHours(start=start, end=end)


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 14),
    zone=st.sampled_from(ZONES),
    jurisdiction=st.sampled_from(list(LEGAL)),
    preferred=preferred_hours(),
    purpose=st.sampled_from(sorted(COLLECTION)),
)
def test_no_collection_message_goes_outside_the_law_or_the_preferred_hours(
    minutes: int, zone: str, jurisdiction: Jurisdiction, preferred: PreferredHours, purpose: Purpose
) -> None:
    now = datetime(2031, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    who = borrower(time_zone=zone, jurisdiction=jurisdiction, preferred_hours=preferred)
    decision = decide(Message(purpose, now), who, History(), now, plan_active=False, profile=PROFILES[jurisdiction])
    if decision.outcome is Outcome.SEND:
        assert _allowed(now, zone, jurisdiction, preferred)
        return
    assert decision.outcome is Outcome.HOLD
    assert decision.rule in ("quiet_hours", "preferred_hours")
    assert decision.until is not None
    assert decision.until > now
    assert _allowed(decision.until, zone, jurisdiction, preferred)
    assert decision.until.astimezone(ZoneInfo(zone)).time().minute in (0, 30)
    moment = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment < decision.until:  # nothing earlier both allow
        assert not _allowed(moment, zone, jurisdiction, preferred), moment
        moment += timedelta(minutes=1)
    released = decide(Message(purpose, now), who, History(), decision.until, plan_active=False, profile=PROFILES[jurisdiction])
    assert released.outcome is Outcome.SEND


@pytest.mark.parametrize("purpose", sorted(COLLECTION))
def test_a_notice_inside_both_windows_goes_at_once(purpose: Purpose) -> None:
    who = borrower(preferred_hours=hours(time(11, 30), time(12, 30)))
    decision = decide(Message(purpose, NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
    assert decision.outcome is Outcome.SEND


#: Chosen on the page: no SMS, no e-mail, calls from 19:00 to 21:00 only.
ONLY_CALLS_IN_THE_EVENING = {
    "page_opted_out": frozenset({Channel.SMS, Channel.EMAIL}),
    "preferred_hours": PreferredHours(start=time(19), end=time(21)),
}


class TestWhatTheBorrowerAskedFor:
    """The page's opt-outs and hours shape how we press for payment, never whether the borrower gets
    what they asked for: the written plan of the option they chose, its outcome, a cure."""

    @pytest.mark.parametrize(
        "purpose", [Purpose.WRITTEN_PLAN, Purpose.PLAN_ACTIVATED, Purpose.PLAN_REFUSED, Purpose.PLAN_COMPLETED]
    )
    def test_goes_at_noon_by_text_despite_the_pages_opt_outs_and_hours(self, purpose: Purpose) -> None:
        who = borrower(**ONLY_CALLS_IN_THE_EVENING)
        decision = decide(notice(NOON_BEIJING, purpose), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.SMS)

    def test_still_waits_for_the_legal_window(self) -> None:
        night = NOON_BEIJING + timedelta(hours=11)  # 23:00 in Beijing
        who = borrower(**ONLY_CALLS_IN_THE_EVENING)
        decision = decide(notice(night, Purpose.WRITTEN_PLAN), who, History(), night, plan_active=False, profile=CN)
        assert (decision.outcome, decision.rule) == (Outcome.HOLD, "quiet_hours")

    def test_an_upstream_opt_out_still_holds_for_it(self) -> None:
        who = borrower(opted_out=frozenset({Channel.SMS}), **ONLY_CALLS_IN_THE_EVENING)
        decision = decide(notice(NOON_BEIJING, Purpose.WRITTEN_PLAN), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.EMAIL)

    def test_the_overdue_notice_keeps_to_the_pages_choice(self) -> None:
        who = borrower(**ONLY_CALLS_IN_THE_EVENING)
        decision = decide(notice(NOON_BEIJING), who, History(), NOON_BEIJING, plan_active=False, profile=CN)
        assert (decision.outcome, decision.channel, decision.rule) == (Outcome.HOLD, Channel.VOICE_CALL, "preferred_hours")
