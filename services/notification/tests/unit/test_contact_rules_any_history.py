"""The contact rules over any sequence of messages, clock ticks, time zones, opt-outs, plans and
closures: nothing is released inside quiet hours, over a daily or 7-day limit, to an opted-out or
do-not-contact borrower, as a collection message while a plan is active, or as a message that
presses for payment (or a cure confirmation a write-off or sale caused) once the loan closed; no
written plan once its one-time code expired; nothing twice; and every held message is released
(or suppressed by a rule) once its window opens."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from notification.domain.contact_rules import (
    ASKED_FOR_NOW,
    CODES_A_DAY,
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


def play(world: World, steps: list[tuple[str, object]]) -> None:
    """Each step in turn; then long enough for every window to open and every message to go stale."""
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
    for _ in range(12):
        world.tick(world.now + timedelta(days=1))


@given(
    zone=zones,
    jurisdiction=st.sampled_from(list(Jurisdiction)),
    preferred=channels,
    steps=steps,
)
@settings(max_examples=300, deadline=None)
def test_the_rules_hold_for_any_history(
    zone: str, jurisdiction: Jurisdiction, preferred: list[Channel], steps: list[tuple[str, object]]
) -> None:
    world = World(Borrower(zone, jurisdiction, tuple(preferred)))
    play(world, steps)

    profile = world.profile
    tz = ZoneInfo(zone)
    numbers = [number for number, *_ in world.sent]
    assert len(numbers) == len(set(numbers))  # nothing twice
    assert not world.held  # every held message was released or suppressed once its window opened
    for _, message, sent, borrower, plan_active, closed in world.sent:
        local = sent.at.astimezone(tz).time()
        # Never in quiet hours, but a change code the borrower just asked for (not a collection contact).
        assert message.purpose in ASKED_FOR_NOW or profile.quiet_until <= local < profile.quiet_from
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
    codes = sorted(sent.at for _, _, sent, _, _, _ in world.sent if sent.purpose is Purpose.CHANGE_CODE)
    for index, at in enumerate(codes):  # never more than CODES_A_DAY change codes in 24 hours
        assert sum(1 for other in codes[: index + 1] if at - other < timedelta(hours=24)) <= CODES_A_DAY
    if profile.calls_per_week is not None:
        calls = sorted(sent.at for _, _, sent, _, _, _ in world.sent if sent.channel == Channel.VOICE_CALL)
        for index, at in enumerate(calls):
            assert sum(1 for other in calls[: index + 1] if at - other < WEEK) <= profile.calls_per_week
            assert not any(talk < at < talk + WEEK for talk in world.conversations)  # none in the week after a talk
