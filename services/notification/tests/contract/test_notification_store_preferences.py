"""The NotificationStore port's contract, part 3, against the fake (adapters/memory.py) and the
Postgres adapter (adapters/store.py): what the borrower chose on their page (ContactPreferencesChosen)
is kept per loan as chosen, the latest choice stands whatever the order it is read in, and upstream's
contact is never changed by it."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

from notification.application.ports import NotificationStore
from notification.domain.messages import PagePreferences
from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import ContactPreferencesChosen, PreferredHours
from tideover_contracts.examples import loan_booked

from .stored import AT, golden


def chosen(loan_id: uuid.UUID, minutes: int = 0, **changes: object) -> ContactPreferencesChosen:
    return golden(ContactPreferencesChosen).model_copy(
        update={"loan_id": loan_id, "change_id": uuid.uuid4(), "chosen_at": AT + timedelta(minutes=minutes), **changes}
    )


async def test_a_choice_is_kept_per_loan_as_chosen(store: NotificationStore) -> None:
    loan_id, other = uuid.uuid4(), uuid.uuid4()
    event = chosen(loan_id)
    await store.keep_page_preferences(event)

    assert await store.page_preferences({loan_id, other}) == {
        loan_id: PagePreferences(
            loan_id=loan_id,
            change_id=event.change_id,
            preferred_channels=(Channel.SMS, Channel.EMAIL),
            opted_out_channels=(Channel.VOICE_CALL,),
            hours=PreferredHours(start=time(9), end=time(12, 30)),
            chosen_at=AT,
        )
    }


async def test_the_latest_choice_stands_in_whatever_order_they_are_read(store: NotificationStore) -> None:
    loan_id = uuid.uuid4()
    later = chosen(loan_id, 5, preferred_channels=(Channel.EMAIL,), opted_out_channels=(), preferred_hours=None)
    await store.keep_page_preferences(later)
    await store.keep_page_preferences(chosen(loan_id, 1))  # older, read after

    kept = (await store.page_preferences({loan_id}))[loan_id]
    assert (kept.change_id, kept.preferred_channels, kept.opted_out_channels, kept.hours) == (
        later.change_id,
        (Channel.EMAIL,),
        (),
        None,
    )
    newest = chosen(loan_id, 9, preferred_channels=(Channel.VOICE_CALL, Channel.SMS))
    await store.keep_page_preferences(newest)
    assert (await store.page_preferences({loan_id}))[loan_id].preferred_channels == (Channel.VOICE_CALL, Channel.SMS)


async def test_a_choice_leaves_upstreams_contact_as_it_was(store: NotificationStore) -> None:
    loan = loan_booked(loan_id=uuid.uuid4())
    await store.add_contact(loan)
    before = await store.contacts({loan.loan_id})
    await store.keep_page_preferences(chosen(loan.loan_id, opted_out_channels=(Channel.PUSH, Channel.VOICE_CALL)))

    assert await store.contacts({loan.loan_id}) == before
