"""The contact rules (domain/contact_rules.py) by example: quiet hours held to the window, US rules
after a conversation and for daylight saving time, fallback, plans, written plans, channels by
purpose, configured profiles and closed loans (any history: test_contact_rules_any_history.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from notification.domain.contact_rules import (
    PRESSING,
    PROFILES,
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
