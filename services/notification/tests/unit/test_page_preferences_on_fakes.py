"""What the borrower chose on their page, on the use cases (issue 21, How we contact you): a choice
kept, then an overdue notice at noon in Beijing is held until the preferred hour and goes then on
the first channel chosen; a change code still goes by SMS at once; the contact window and what the
page is offered (application/contact_choices.py) say the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from notification.application import handlers
from notification.application.contact_choices import contact_choices
from notification.application.contact_window import contact_window
from notification.domain.contact_rules import Outcome
from tideover_contracts.common import Channel
from tideover_contracts.events.loans import BorrowerContactChanged
from tideover_contracts.events.negotiation import BorrowerCodeRequested, ContactPreferencesChosen, PreferredHours
from tideover_contracts.events.overdue import LoanBecameOverdue

from .on_fakes import MIDDAY, World, golden

AFTERNOON = datetime(2031, 3, 4, 7, 0, tzinfo=UTC)  # 15:00 in Beijing


async def chose(world: World, loan_id: uuid.UUID, **changes: object) -> None:
    event = golden(ContactPreferencesChosen, loan_id=loan_id, chosen_at=world.clock.now(), **changes)
    await world.one(handlers.when_contact_preferences_chosen_keep_them, event)


async def test_a_notice_waits_for_the_preferred_hours_then_goes_on_the_first_channel_chosen() -> None:
    world = World(MIDDAY)
    loan_id = await world.book(email="li.wei@example.com", preferred_channels=(Channel.SMS,))
    hours = PreferredHours(start=time(15), end=time(18))
    await chose(world, loan_id, preferred_channels=(Channel.EMAIL, Channel.SMS), opted_out_channels=(), preferred_hours=hours)

    await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))
    assert world.requests(loan_id) == []
    [held] = world.store.messages.values()
    assert (held.message.status, held.hold_until) == ("held", AFTERNOON)

    await world.tick(AFTERNOON)
    assert world.channels(loan_id) == [Channel.EMAIL]


async def test_a_code_still_goes_by_sms_at_once_when_the_page_opted_sms_out() -> None:
    world = World(MIDDAY)
    loan_id = await world.book(email="li.wei@example.com")
    await chose(
        world,
        loan_id,
        preferred_channels=(Channel.EMAIL,),
        opted_out_channels=(Channel.SMS,),
        preferred_hours=PreferredHours(start=time(20), end=time(21)),
    )
    code = golden(
        BorrowerCodeRequested,
        loan_id=loan_id,
        request_id=uuid.uuid4(),
        requested_at=MIDDAY,
        code_expires_at=MIDDAY + timedelta(minutes=10),
    )
    await world.many(handlers.when_code_requested_send_code, code)
    assert world.channels(loan_id) == [Channel.SMS]

    await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))
    assert world.channels(loan_id) == [Channel.SMS]  # the notice waits for 20:00, and will go by e-mail


async def test_the_contact_window_and_the_pages_offer_follow_the_choice() -> None:
    world = World(MIDDAY)
    loan_id = await world.book(email="li.wei@example.com")
    await chose(world, loan_id, preferred_hours=PreferredHours(start=time(15), end=time(18)))

    window = await contact_window(world.notifying, loan_id, MIDDAY)
    assert window is not None
    assert (window.outcome, window.rule, window.until) == (Outcome.HOLD, "preferred_hours", AFTERNOON)
    offered = await contact_choices(world.notifying, loan_id, MIDDAY)
    assert offered is not None
    assert offered.chosen is not None
    assert offered.chosen.hours == PreferredHours(start=time(15), end=time(18))
    assert (offered.quiet_from, offered.quiet_until, offered.slots[0], offered.slots[-1]) == (
        time(22),
        time(8),
        time(8),
        time(21, 30),
    )
    assert [(channel, address) for channel, address in offered.on_file] == [
        (Channel.SMS, "*********8000"),
        (Channel.EMAIL, "l***@example.com"),
        (Channel.VOICE_CALL, "*********8000"),
    ]
    assert "13800138000" not in str(offered)
    assert offered.code_reaches


async def test_a_code_cannot_reach_a_borrower_opted_out_of_sms_upstream() -> None:
    world = World(MIDDAY)
    loan_id = await world.book()
    change = golden(BorrowerContactChanged, loan_id=loan_id, opted_out_channels=(Channel.SMS,), do_not_contact=False)
    await world.one(handlers.when_contact_changed_update_contact, change)

    offered = await contact_choices(world.notifying, loan_id, MIDDAY)
    assert offered is not None
    assert (offered.code_reaches, offered.upstream_opted_out) == (False, (Channel.SMS,))
    assert await contact_choices(world.notifying, uuid.uuid4(), MIDDAY) is None
