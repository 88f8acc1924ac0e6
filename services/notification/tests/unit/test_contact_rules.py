"""The contact rules over any sequence of messages, clock ticks, time zones, opt-outs, plans and
closures: nothing is released inside quiet hours, over a daily or 7-day limit, to an opted-out or
do-not-contact borrower, as a collection message while a plan is active, or as a message that
presses for payment (or a cure confirmation a write-off or sale caused) once the loan closed; no
written plan once its one-time code expired; nothing twice; and every held message is released
(or suppressed by a rule) once its window opens."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notification.domain.contact_rules import (
    COLLECTION,
    PRESSING,
    PROFILES,
    UNCONFIRMED_CLOSURES,
    WEEK,
    Borrower,
    Decision,
    History,
    Message,
    Outcome,
    Sent,
    configured,
    decide,
)
from tideover_contracts.common import Channel, Jurisdiction
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.notifications import Purpose

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@dataclass
class World:
    """A borrower's messages as the service would handle them: each decided when it arrives,
    the held ones decided again when the clock passes their time."""

    borrower: Borrower
    now: datetime = START
    plan_active: bool = False
    closed: LoanClosureReason | None = None
    held: dict[int, tuple[Message, datetime]] = field(default_factory=dict)
    sent: list[tuple[int, Message, Sent, Borrower, bool, LoanClosureReason | None]] = field(default_factory=list)
    conversation: datetime | None = None
    conversations: list[datetime] = field(default_factory=list)

    @property
    def profile(self):  # type: ignore[no-untyped-def]
        return PROFILES[self.borrower.jurisdiction]

    def history(self) -> History:
        return History(tuple(s for _, _, s, _, _, _ in self.sent), self.conversation)

    def handle(self, number: int, message: Message) -> Decision:
        decision = decide(
            message,
            self.borrower,
            self.history(),
            self.now,
            plan_active=self.plan_active,
            profile=self.profile,
            closed=self.closed,
        )
        if decision.outcome is Outcome.SEND:
            assert decision.channel is not None
            sent = Sent(decision.channel, self.now, message.purpose)
            self.sent.append((number, message, sent, self.borrower, self.plan_active, self.closed))
            if decision.channel == Channel.VOICE_CALL and number % 11 == 0:  # a few calls reach the borrower
                self.conversation = self.now
                self.conversations.append(self.now)
        elif decision.outcome is Outcome.HOLD:
            assert decision.until is not None
            assert decision.until > self.now
            self.held[number] = (message, decision.until)
        return decision

    def tick(self, to: datetime) -> None:
        self.now = to
        for number, (message, until) in sorted(self.held.items(), key=lambda item: item[1][1]):
            if until <= self.now:
                del self.held[number]
                self.handle(number, message)


zones = st.sampled_from(["Asia/Shanghai", "America/New_York", "America/Los_Angeles", "Europe/London"])
channels = st.lists(st.sampled_from(list(Channel)), min_size=1, max_size=4, unique=True)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("message"), st.sampled_from(list(Purpose))),
        st.tuples(st.just("cured_by_closure"), st.none()),
        st.tuples(st.just("written_plan"), st.integers(min_value=1, max_value=36)),  # its code valid for hours
        st.tuples(st.just("close"), st.sampled_from(list(LoanClosureReason))),
        st.tuples(st.just("burst"), st.integers(min_value=2, max_value=12)),  # many messages at one instant
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=12 * 60)),  # minutes
        st.tuples(st.just("opt_out"), st.sampled_from(list(Channel))),
        st.tuples(st.just("do_not_contact"), st.booleans()),
        st.tuples(st.just("plan"), st.booleans()),
    ),
    max_size=80,
)


@given(
    zone=zones,
    jurisdiction=st.sampled_from(list(Jurisdiction)),
    preferred=channels,
    steps=steps,
)
@settings(max_examples=300, deadline=None)
def test_the_rules_hold_for_any_history(  # noqa: PLR0912 - one world, every invariant checked
    zone: str, jurisdiction: Jurisdiction, preferred: list[Channel], steps: list[tuple[str, object]]
) -> None:
    world = World(Borrower(zone, jurisdiction, tuple(preferred)))
    number = 0
    for kind, value in steps:
        if kind == "message":
            number += 1
            world.handle(number, Message(Purpose(str(value)), world.now))
        elif kind == "cured_by_closure":
            number += 1
            world.handle(number, Message(Purpose.CURED_CONFIRMATION, world.now, cured_by_closure=True))
        elif kind == "written_plan":
            number += 1
            expires = world.now + timedelta(hours=int(value))  # type: ignore[call-overload]
            world.handle(number, Message(Purpose.WRITTEN_PLAN, world.now, code_expires_at=expires))
        elif kind == "close":
            world.closed = world.closed or LoanClosureReason(str(value))  # a loan closes once
        elif kind == "burst":
            for _ in range(int(value)):  # type: ignore[call-overload]
                number += 1
                world.handle(number, Message(Purpose.PLAN_INSTALLMENT_REMINDER, world.now))
        elif kind == "tick":
            world.tick(world.now + timedelta(minutes=int(value)))  # type: ignore[call-overload]
        elif kind == "opt_out":
            world.borrower = replace(world.borrower, opted_out=world.borrower.opted_out | {Channel(str(value))})
        elif kind == "do_not_contact":
            world.borrower = replace(world.borrower, do_not_contact=bool(value))
        else:
            world.plan_active = bool(value)
    # Long enough for every window to open and every message to go stale.
    for _ in range(12):
        world.tick(world.now + timedelta(days=1))

    profile = world.profile
    tz = ZoneInfo(zone)
    numbers = [number for number, *_ in world.sent]
    assert len(numbers) == len(set(numbers))  # nothing twice
    assert not world.held  # every held message was released or suppressed once its window opened
    for _, message, sent, borrower, plan_active, closed in world.sent:
        local = sent.at.astimezone(tz).time()
        assert profile.quiet_until <= local < profile.quiet_from  # never in quiet hours
        assert not borrower.do_not_contact
        assert sent.channel not in borrower.opted_out
        assert not (plan_active and message.purpose in COLLECTION)
        assert not (closed and message.purpose in PRESSING)
        assert not (message.cured_by_closure and closed in UNCONFIRMED_CLOSURES)
        assert sent.at - message.created_at <= message.stale_after
        assert message.code_expires_at is None or sent.at < message.code_expires_at
    for channel, limit in profile.daily_limit.items():
        per_day: dict[object, int] = {}
        for _, _, sent, _, _, _ in world.sent:
            if sent.channel == channel and sent.purpose in PRESSING:
                day = sent.at.astimezone(tz).date()
                per_day[day] = per_day.get(day, 0) + 1
        assert all(count <= limit for count in per_day.values())
    if profile.calls_per_week is not None:
        calls = sorted(sent.at for _, _, sent, _, _, _ in world.sent if sent.channel == Channel.VOICE_CALL)
        for index, at in enumerate(calls):
            assert sum(1 for other in calls[: index + 1] if at - other < WEEK) <= profile.calls_per_week
            assert not any(talk < at < talk + WEEK for talk in world.conversations)  # none in the week after a talk


def test_a_notice_at_23_30_in_beijing_is_held_until_08_00() -> None:
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS,))
    at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    held = decide(
        Message(Purpose.OVERDUE_NOTICE, at), borrower, History(), at, plan_active=False, profile=PROFILES[Jurisdiction.CN]
    )
    assert (held.outcome, held.rule, held.until) == (Outcome.HOLD, "quiet_hours", datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    released = decide(
        Message(Purpose.OVERDUE_NOTICE, at),
        borrower,
        History(),
        held.until,
        plan_active=False,
        profile=PROFILES[Jurisdiction.CN],  # type: ignore[arg-type]
    )
    assert (released.outcome, released.channel) == (Outcome.SEND, Channel.SMS)


def test_us_quiet_hours_follow_daylight_saving_time() -> None:
    # New York is UTC−4 in summer: 21:00 local is 01:00 UTC; before 08:00 local is before 12:00 UTC.
    borrower = Borrower("America/New_York", Jurisdiction.US, (Channel.EMAIL,))
    at = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    held = decide(
        Message(Purpose.OVERDUE_NOTICE, at), borrower, History(), at, plan_active=False, profile=PROFILES[Jurisdiction.US]
    )
    assert held.until == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_no_call_within_a_week_after_a_conversation_in_the_us() -> None:
    borrower = Borrower("America/Chicago", Jurisdiction.US, (Channel.VOICE_CALL, Channel.SMS))
    at = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
    talked = at - timedelta(days=2)
    decision = decide(
        Message(Purpose.OVERDUE_NOTICE, at),
        borrower,
        History((), talked),
        at,
        plan_active=False,
        profile=PROFILES[Jurisdiction.US],
    )
    assert (decision.outcome, decision.rule, decision.until) == (Outcome.HOLD, "week_after_conversation", talked + WEEK)


def test_a_failed_channel_falls_back_to_the_next() -> None:
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS, Channel.EMAIL))
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    message = Message(Purpose.OVERDUE_NOTICE, at, failed_channels=frozenset({Channel.SMS}))
    decision = decide(message, borrower, History(), at, plan_active=False, profile=PROFILES[Jurisdiction.CN])
    assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.EMAIL)
    both = replace(message, failed_channels=frozenset({Channel.SMS, Channel.EMAIL}))
    assert decide(both, borrower, History(), at, plan_active=False, profile=PROFILES[Jurisdiction.CN]).rule == "no_channel_left"


def test_only_plan_messages_while_a_plan_is_active() -> None:
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS,))
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    cn = PROFILES[Jurisdiction.CN]
    assert (
        decide(Message(Purpose.OVERDUE_NOTICE, at), borrower, History(), at, plan_active=True, profile=cn).rule == "plan_active"
    )
    plan = decide(Message(Purpose.PLAN_INSTALLMENT_REMINDER, at), borrower, History(), at, plan_active=True, profile=cn)
    assert plan.outcome is Outcome.SEND


def test_quiet_hours_are_the_profiles() -> None:
    assert (PROFILES[Jurisdiction.CN].quiet_from, PROFILES[Jurisdiction.CN].quiet_until) == (time(22), time(8))
    assert (PROFILES[Jurisdiction.US].quiet_from, PROFILES[Jurisdiction.US].quiet_until) == (time(21), time(8))


def test_the_written_plan_is_not_held_by_the_daily_limit() -> None:
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS,))
    at = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 20:00 in Beijing
    three_notices = History(tuple(Sent(Channel.SMS, at - timedelta(hours=h), Purpose.OVERDUE_NOTICE) for h in (1, 2, 3)))
    cn = PROFILES[Jurisdiction.CN]
    notice = decide(Message(Purpose.OVERDUE_NOTICE, at), borrower, three_notices, at, plan_active=False, profile=cn)
    assert (notice.outcome, notice.rule) == (Outcome.HOLD, "daily_limit")
    plan = decide(Message(Purpose.WRITTEN_PLAN, at), borrower, three_notices, at, plan_active=False, profile=cn)
    assert plan.outcome is Outcome.SEND


def test_a_written_plan_goes_only_while_its_code_is_valid() -> None:
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS, Channel.EMAIL))
    night = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    cn = PROFILES[Jurisdiction.CN]
    plan = Message(Purpose.WRITTEN_PLAN, night, code_expires_at=night + timedelta(hours=9))  # 08:30 in Beijing
    held = decide(plan, borrower, History(), night, plan_active=False, profile=cn)
    assert (held.outcome, held.until) == (Outcome.HOLD, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    assert decide(plan, borrower, History(), held.until, plan_active=False, profile=cn).outcome is Outcome.SEND  # type: ignore[arg-type]

    expired = replace(plan, code_expires_at=night + timedelta(hours=8))  # 07:30: before the window opens
    late = decide(expired, borrower, History(), held.until, plan_active=False, profile=cn)  # type: ignore[arg-type]
    assert (late.outcome, late.rule) == (Outcome.SUPPRESS, "code_expired")
    fallback = replace(plan, failed_channels=frozenset({Channel.SMS}))
    at_expiry = night + timedelta(hours=9)
    assert decide(fallback, borrower, History(), at_expiry, plan_active=False, profile=cn).rule == "code_expired"


def test_the_channel_is_chosen_by_purpose_and_preference() -> None:
    # Preferring calls: a notice may be a call task, but the written plan and its code go as text.
    borrower = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.VOICE_CALL, Channel.EMAIL, Channel.SMS))
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    cn = PROFILES[Jurisdiction.CN]
    assert decide(Message(Purpose.OVERDUE_NOTICE, at), borrower, History(), at, plan_active=False, profile=cn).channel == (
        Channel.VOICE_CALL
    )
    assert decide(Message(Purpose.WRITTEN_PLAN, at), borrower, History(), at, plan_active=False, profile=cn).channel == (
        Channel.EMAIL
    )


def test_profiles_are_configurable() -> None:
    profiles = configured({"CN": {"quiet_from": "21:30", "daily_limit": {"voice_call": 3}}})
    assert (profiles[Jurisdiction.CN].quiet_from, profiles[Jurisdiction.CN].daily_limit) == (
        time(21, 30),
        {Channel.VOICE_CALL: 3},
    )
    assert profiles[Jurisdiction.US] == PROFILES[Jurisdiction.US]
    with pytest.raises(ValueError, match="no contact rule named 'quiet'"):
        configured({"US": {"quiet": "22:00"}})


class TestClosedLoans:
    """A closed loan left the book (DESIGN.md §3a): nothing presses for its payment any more."""

    AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    BORROWER = Borrower("Asia/Shanghai", Jurisdiction.CN, (Channel.SMS,))

    def decided(self, message: Message, closed: LoanClosureReason | None) -> Decision:
        cn = PROFILES[Jurisdiction.CN]
        return decide(message, self.BORROWER, History(), self.AT, plan_active=False, profile=cn, closed=closed)

    @pytest.mark.parametrize("reason", list(LoanClosureReason))
    @pytest.mark.parametrize("purpose", sorted(PRESSING))
    def test_nothing_that_presses_for_payment_goes_out(self, purpose: Purpose, reason: LoanClosureReason) -> None:
        decision = self.decided(Message(purpose, self.AT), reason)

        assert (decision.outcome, decision.rule, decision.channel) == (Outcome.SUPPRESS, "loan_closed", None)
        assert self.decided(Message(purpose, self.AT), None).outcome is Outcome.SEND

    def test_the_collection_purposes_and_the_plan_reminders_are_all_pressing(self) -> None:
        assert {
            Purpose.PRE_DUE_REMINDER,
            Purpose.OVERDUE_NOTICE,
            Purpose.PLAN_INSTALLMENT_REMINDER,
            Purpose.PLAN_INSTALLMENT_MISSED,
            Purpose.PLAN_BROKEN,
        } == PRESSING

    @pytest.mark.parametrize("reason", list(LoanClosureReason))
    @pytest.mark.parametrize("purpose", sorted(set(Purpose) - PRESSING))
    def test_what_does_not_press_still_goes_out(self, purpose: Purpose, reason: LoanClosureReason) -> None:
        assert self.decided(Message(purpose, self.AT), reason).outcome is Outcome.SEND

    @pytest.mark.parametrize(
        ("reason", "outcome", "rule"),
        [
            (LoanClosureReason.PAID_OFF, Outcome.SEND, None),
            (LoanClosureReason.REFINANCED, Outcome.SEND, None),
            (LoanClosureReason.WRITTEN_OFF, Outcome.SUPPRESS, "loan_closed"),
            (LoanClosureReason.SOLD, Outcome.SUPPRESS, "loan_closed"),
        ],
    )
    def test_a_cure_by_closure_is_confirmed_only_when_the_debt_was_settled(
        self, reason: LoanClosureReason, outcome: Outcome, rule: str | None
    ) -> None:
        decision = self.decided(Message(Purpose.CURED_CONFIRMATION, self.AT, cured_by_closure=True), reason)

        assert (decision.outcome, decision.rule) == (outcome, rule)

    def test_do_not_contact_is_named_before_the_closure(self) -> None:
        borrower = replace(self.BORROWER, do_not_contact=True)
        cn = PROFILES[Jurisdiction.CN]
        message = Message(Purpose.OVERDUE_NOTICE, self.AT)
        decision = decide(message, borrower, History(), self.AT, plan_active=True, profile=cn, closed=LoanClosureReason.SOLD)

        assert decision.rule == "do_not_contact"

    def test_a_notice_held_overnight_is_suppressed_when_the_loan_closed_meanwhile(self) -> None:
        night = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
        cn = PROFILES[Jurisdiction.CN]
        notice = Message(Purpose.OVERDUE_NOTICE, night)
        held = decide(notice, self.BORROWER, History(), night, plan_active=False, profile=cn)
        assert held.outcome is Outcome.HOLD
        assert held.until is not None

        released = decide(
            notice, self.BORROWER, History(), held.until, plan_active=False, profile=cn, closed=LoanClosureReason.PAID_OFF
        )

        assert (released.outcome, released.rule) == (Outcome.SUPPRESS, "loan_closed")
