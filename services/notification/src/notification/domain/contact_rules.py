"""When, how often and by which channel a borrower may be contacted (DESIGN.md §4 profiles).

`decide` is the whole rule book for one message at one instant: send it now on a channel,
hold it until an instant when it may go, or suppress it naming the rule. It reads nothing but
its arguments, so that the property tests can run it over any history.

Rules, in the order they are applied:
1. do-not-contact, from BorrowerContactChanged, stops everything at once;
2. a closed loan (LoanClosed) is pressed for nothing any more: every message that presses for
   payment is suppressed (`loan_closed`); a cure that the closure caused is confirmed only when
   the loan was paid off or refinanced, not when it was written off or sold;
3. while a plan is active, collection messages stop; only plan messages go out;
4. the first channel, in the borrower's preference, that may carry the purpose (CHANNELS_FOR),
   is not opted out, has an address and has not failed for this message; none left →
   suppressed;
5. quiet hours in the borrower's local time (CN 22:00–08:00; US before 08:00 or after 21:00):
   held until the window opens;
6. per local day, at most `daily_limit[channel]` messages that press for payment on that
   channel (CN: 6 call attempts a number a day) → held until the next day's window opens;
7. US calls: at most 7 in 7 days per debt, and none within 7 days after a conversation →
   held until the oldest attempt leaves the 7 days, or the 7 days after the conversation end;
8. a message held past its useful life (`stale_after`) is suppressed rather than sent late; a
   written plan whose one-time code has expired (`code_expires_at`) is no use at all, and is
   suppressed from that instant (`code_expired`), whether held, waiting or falling back.

A change code (Purpose.CHANGE_CODE, issue 21) is not a collection contact: the borrower asked for
it on their page a moment ago to confirm a change they are making, and it is of use for 10
minutes. So quiet hours (rule 5) do not hold it — the borrower who asks at 23:00 is awake and
waiting for it; held until 08:00 it would have expired — and it is not counted in, nor held by,
the daily limits of messages that press for payment (rule 6). It goes by SMS to the phone on file
alone (CHANNELS_FOR). Do-not-contact and an SMS opt-out still stop it (rules 1 and 4): the page
then has the borrower call us. Its own limit keeps the page from being used to flood a phone: at
most `CODES_A_DAY` change codes a loan in any 24 hours; beyond, suppressed (`change_code_limit`),
never held (a late code is no use).

The borrower's choices on their page (ContactPreferencesChosen, issue 21) narrow these rules: rule
4 tries their channels in their order; for PRESSING messages it adds their opt-outs to upstream's
and rule 5 waits for their hours within the legal window (domain/contact_hours.py). The rest (a
code, the written plan they chose, a plan's outcome, a cure) keeps to the law and upstream alone.

Duplicates (same purpose, loan, installment and day) share one notification id and become one
message before these rules run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from notification.domain.contact_hours import first_allowed, honoured_hours, may_contact_at, quiet
from tideover_contracts.common import Channel, Jurisdiction
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.negotiation import PreferredHours
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.policy import CHANGE_CODE_DAY, CHANGE_CODES_A_DAY

#: Messages that ask for payment of the loan's arrears: they stop while a plan is active.
COLLECTION = frozenset({Purpose.PRE_DUE_REMINDER, Purpose.OVERDUE_NOTICE})
#: Messages that press for a payment: the daily limits count them and hold them, and none goes
#: out for a closed loan. What the borrower asked for or is glad to hear (the written plan and
#: its code, a plan activated or completed, a loan cured) is neither counted nor held by them.
PRESSING = COLLECTION | {Purpose.PLAN_INSTALLMENT_REMINDER, Purpose.PLAN_INSTALLMENT_MISSED, Purpose.PLAN_BROKEN}
#: Closures after which a cure is not confirmed: a debt written off or sold is not settled (the
#: buyer, or the lender later, may still collect it), and "nothing is overdue any more" would
#: tell the borrower otherwise. Paid off and refinanced loans are settled: the cure is confirmed.
#: (The borrower of a sold loan is told of the assignment instead: Purpose.LOAN_ASSIGNED.)
UNCONFIRMED_CLOSURES = frozenset({LoanClosureReason.WRITTEN_OFF, LoanClosureReason.SOLD})
WEEK = timedelta(days=7)
ALL_CHANNELS = frozenset(Channel)
_TEXT = frozenset({Channel.SMS, Channel.EMAIL, Channel.PUSH})
#: The channels that may carry a purpose (the rest: any). A written plan and its code must be
#: read, so it goes as text a borrower keeps (no push, no call); what only informs goes as text.
CHANNELS_FOR: dict[Purpose, frozenset[Channel]] = {
    Purpose.WRITTEN_PLAN: frozenset({Channel.SMS, Channel.EMAIL}),
    Purpose.PLAN_ACTIVATED: _TEXT,
    Purpose.PLAN_COMPLETED: _TEXT,
    Purpose.CURED_CONFIRMATION: _TEXT,
    Purpose.PLAN_REFUSED: _TEXT,
    Purpose.LOAN_ASSIGNED: _TEXT,
    Purpose.CHANGE_CODE: frozenset({Channel.SMS}),
}
#: Messages the borrower asked for just now, at their own request: no quiet hours hold them.
ASKED_FOR_NOW = frozenset({Purpose.CHANGE_CODE})
#: Change codes a loan may be sent in any 24 hours: the contracts' one figure, which
#: negotiation-intake limits the asking by too.
CODES_A_DAY = CHANGE_CODES_A_DAY
DAY = CHANGE_CODE_DAY


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's contact rules; every figure configurable (DESIGN.md §4)."""

    jurisdiction: Jurisdiction
    #: No contact from `quiet_from` to `quiet_until`, borrower's local time (across midnight).
    quiet_from: time
    quiet_until: time
    #: At most this many messages a local day on a channel (a channel not named: no limit).
    daily_limit: dict[Channel, int] = field(default_factory=dict)
    #: US Regulation F §1006.14(b)(2): at most this many calls in 7 days per debt, and none
    #: within 7 days after a telephone conversation.
    calls_per_week: int | None = None
    quiet_week_after_conversation: bool = False
    #: Regulation F §1006.6(e): every SMS and e-mail carries an opt-out line.
    opt_out_line_on: frozenset[Channel] = frozenset()
    #: The channels a borrower may choose among on their page (both profiles: every channel).
    channels: frozenset[Channel] = ALL_CHANNELS


PROFILES: dict[Jurisdiction, Profile] = {
    # China Banking Association collection guideline (2026): no contact 22:00–08:00, at most 6
    # unanswered call attempts a day per number.
    Jurisdiction.CN: Profile(Jurisdiction.CN, time(22, 0), time(8, 0), daily_limit={Channel.VOICE_CALL: 6, Channel.SMS: 3}),
    # Regulation F §1006.6(b)(1)(i): not before 08:00 or after 21:00 local.
    Jurisdiction.US: Profile(
        Jurisdiction.US,
        time(21, 0),
        time(8, 0),
        daily_limit={Channel.SMS: 3, Channel.EMAIL: 3},
        calls_per_week=7,
        quiet_week_after_conversation=True,
        opt_out_line_on=frozenset({Channel.SMS, Channel.EMAIL}),
    ),
}


@dataclass(frozen=True)
class Borrower:
    """What the rules know of the borrower: from LoanBooked and BorrowerContactChanged."""

    time_zone: str
    jurisdiction: Jurisdiction
    channels: tuple[Channel, ...]  # in order of preference (the page's first), each with an address
    opted_out: frozenset[Channel] = frozenset()
    do_not_contact: bool = False
    #: Chosen on their page (ContactPreferencesChosen): opt-outs beside upstream's, hours (local time).
    page_opted_out: frozenset[Channel] = frozenset()
    preferred_hours: PreferredHours | None = None


@dataclass(frozen=True)
class Sent:
    """A message that went out on this debt (the contact log)."""

    channel: Channel
    at: datetime
    purpose: Purpose = Purpose.OVERDUE_NOTICE


@dataclass(frozen=True)
class History:
    sent: Sequence[Sent] = ()
    #: When the last telephone conversation with the borrower ended, if any.
    last_conversation: datetime | None = None


@dataclass(frozen=True)
class Message:
    purpose: Purpose
    #: When the fact happened; a message not sent within `stale_after` of it is no use.
    created_at: datetime
    #: Channels already tried for this message that failed: the next one is used.
    failed_channels: frozenset[Channel] = frozenset()
    stale_after: timedelta = timedelta(days=3)
    #: A cure confirmation for a cure the loan's closure caused (LoanCured, reason loan_closed).
    cured_by_closure: bool = False
    #: A written plan: when its one-time code expires (the borrower can confirm nothing after).
    code_expires_at: datetime | None = None


class Outcome(StrEnum):
    SEND = "sent"
    HOLD = "held"
    SUPPRESS = "suppressed"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    channel: Channel | None = None
    until: datetime | None = None  # HOLD: the earliest instant it may go
    rule: str | None = None  # HOLD and SUPPRESS: which rule decided


def decide(
    message: Message,
    borrower: Borrower,
    history: History,
    now: datetime,
    *,
    plan_active: bool,
    profile: Profile,
    closed: LoanClosureReason | None = None,
) -> Decision:
    """Send, hold or suppress `message` at `now`; `closed`: why the loan closed, if it has."""
    refusal = _refusal(message, borrower, now, plan_active=plan_active, closed=closed) or _over_code_limit(message, history, now)
    if refusal is not None:
        return Decision(Outcome.SUPPRESS, rule=refusal)
    allowed = [c for c in borrower.channels if c in CHANNELS_FOR.get(message.purpose, ALL_CHANNELS)]
    opted_out = borrower.opted_out | (borrower.page_opted_out if message.purpose in PRESSING else frozenset())
    channel = next((c for c in allowed if c not in opted_out and c not in message.failed_channels), None)
    if channel is None:
        rule = "opted_out" if allowed and set(allowed) <= opted_out else "no_channel_left"
        return Decision(Outcome.SUPPRESS, rule=rule)
    return _hold(message, channel, borrower, history, now, profile) or Decision(Outcome.SEND, channel)


def _refusal(
    message: Message, borrower: Borrower, now: datetime, *, plan_active: bool, closed: LoanClosureReason | None
) -> str | None:
    """Rules 1, 2, 3 and 8: the ones that suppress a message whatever the channel and time."""
    if borrower.do_not_contact:
        return "do_not_contact"
    if closed_loan_refuses(message, closed):
        return "loan_closed"
    if plan_active and message.purpose in COLLECTION:
        return "plan_active"
    if message.code_expires_at is not None and now >= message.code_expires_at:
        return "code_expired"
    if now - message.created_at > message.stale_after:
        return "stale"
    return None


def _over_code_limit(message: Message, history: History, now: datetime) -> str | None:
    """A change code beyond `CODES_A_DAY` sent for the loan in the 24 hours before `now`."""
    if message.purpose is not Purpose.CHANGE_CODE:
        return None
    sent = [s for s in history.sent if s.purpose is Purpose.CHANGE_CODE and now - s.at < DAY]
    return "change_code_limit" if len(sent) >= CODES_A_DAY else None


def closed_loan_refuses(message: Message, closed: LoanClosureReason | None) -> bool:
    """Rule 2: whether the loan's closure forbids `message` (DESIGN.md §3a: a closed loan left the
    book; nothing more is collected for it)."""
    if closed is None:
        return False
    return message.purpose in PRESSING or (message.cured_by_closure and closed in UNCONFIRMED_CLOSURES)


def _hold(
    message: Message, channel: Channel, borrower: Borrower, history: History, now: datetime, profile: Profile
) -> Decision | None:
    """Rules 5 to 7: the ones that make a message wait."""
    zone = ZoneInfo(borrower.time_zone)
    local = now.astimezone(zone)
    hours = honoured_hours(borrower.preferred_hours, profile) if message.purpose in PRESSING else None
    if message.purpose not in ASKED_FOR_NOW and not may_contact_at(local.time(), profile, hours):
        rule = "quiet_hours" if quiet(local.time(), profile) else "preferred_hours"
        return Decision(Outcome.HOLD, channel, first_allowed(local, profile, hours), rule)
    limit = profile.daily_limit.get(channel) if message.purpose in PRESSING else None
    today = [
        s for s in history.sent if s.channel == channel and s.purpose in PRESSING and s.at.astimezone(zone).date() == local.date()
    ]
    if limit is not None and len(today) >= limit:
        next_day = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
        return Decision(Outcome.HOLD, channel, first_allowed(next_day, profile, hours), "daily_limit")
    return _us_call_rules(history, now, profile) if channel == Channel.VOICE_CALL else None


def opt_out_line_needed(channel: Channel, profile: Profile) -> bool:
    return channel in profile.opt_out_line_on


def _us_call_rules(history: History, now: datetime, profile: Profile) -> Decision | None:
    conversation = history.last_conversation
    if profile.quiet_week_after_conversation and conversation is not None and now < conversation + WEEK:
        return Decision(Outcome.HOLD, Channel.VOICE_CALL, conversation + WEEK, "week_after_conversation")
    if profile.calls_per_week is not None:
        calls = sorted(s.at for s in history.sent if s.channel == Channel.VOICE_CALL and now - s.at < WEEK)
        if len(calls) >= profile.calls_per_week:
            return Decision(Outcome.HOLD, Channel.VOICE_CALL, calls[len(calls) - profile.calls_per_week] + WEEK, "calls_per_week")
    return None


def configured(overrides: dict[str, dict[str, object]]) -> dict[Jurisdiction, Profile]:
    """The default profiles with `overrides` applied, e.g. from TIDEOVER_CONTACT_PROFILES:
    {"CN": {"quiet_from": "21:30", "daily_limit": {"voice_call": 3}}}."""
    profiles = dict(PROFILES)
    for code, changes in overrides.items():
        jurisdiction = Jurisdiction(code)
        fields: dict[str, object] = {}
        for name, value in changes.items():
            if name in ("quiet_from", "quiet_until"):
                fields[name] = time.fromisoformat(str(value))
            elif name == "daily_limit":
                fields[name] = {Channel(channel): int(limit) for channel, limit in dict(value).items()}  # type: ignore[call-overload]
            elif name in ("calls_per_week",):
                fields[name] = None if value is None else int(value)  # type: ignore[call-overload]
            elif name == "quiet_week_after_conversation":
                fields[name] = bool(value)
            elif name in ("opt_out_line_on", "channels"):
                fields[name] = frozenset(Channel(channel) for channel in value)  # type: ignore[attr-defined]
            else:
                raise ValueError(f"{code}: no contact rule named {name!r}")
        profiles[jurisdiction] = replace(profiles[jurisdiction], **fields)  # type: ignore[arg-type]
    return profiles
