"""The NotificationStore port's contract, against the fake (adapters/memory.py) and the Postgres
adapter (adapters/store.py), part 2: messages kept once per id and read back as written, held ones
due in order, waiting ones by loan, one-time codes forgotten at their expiry, and the history of
what was sent and the last conversation."""

from __future__ import annotations

import uuid
from datetime import timedelta

from notification.application.codes import FORGOTTEN, is_forgotten
from notification.application.ports import NotificationStore, StatusChange
from notification.domain.contact_rules import History, Sent
from tideover_contracts.common import Channel
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.tracking import PlanBroken

from .stored import AT, golden, message_of, notice, written_plan


class TestMessages:
    async def test_a_message_is_kept_once_per_id_and_read_back_as_written(self, store: NotificationStore) -> None:
        first, second = notice(), written_plan(AT + timedelta(hours=20), status="waiting")
        again = notice(notification_id=first.notification_id, created_at=AT + timedelta(days=1))

        assert await store.add_messages([first, second, again]) == {first.notification_id, second.notification_id}
        assert await store.add_messages([again]) == set()
        assert await store.message(first.notification_id) == first
        assert await store.message(second.notification_id, for_update=True) == second
        assert await store.message(uuid.uuid4()) is None

    async def test_statuses_and_failed_channels_are_read_back(self, store: NotificationStore) -> None:
        message = notice()
        await store.add_messages([message])
        await store.set_statuses([StatusChange(message.notification_id, "sent", channel=Channel.SMS, sent_at=AT)])
        await store.add_failed_channel(message.notification_id, Channel.SMS)
        await store.add_failed_channel(message.notification_id, Channel.EMAIL)

        read = await store.message(message.notification_id)
        assert read is not None
        assert (read.status, read.channel, read.failed_channels) == ("sent", Channel.SMS, frozenset({Channel.SMS, Channel.EMAIL}))

    async def test_held_messages_are_due_once_their_time_comes_first_held_first(self, store: NotificationStore) -> None:
        late, early, later_made, not_yet, sent = (notice(created_at=AT + timedelta(minutes=i)) for i in range(5))
        await store.add_messages([late, early, later_made, not_yet, sent])
        await store.set_statuses(
            [
                StatusChange(late.notification_id, "held", hold_until=AT + timedelta(hours=2)),
                StatusChange(early.notification_id, "held", hold_until=AT + timedelta(hours=1)),
                StatusChange(later_made.notification_id, "held", hold_until=AT + timedelta(hours=2)),
                StatusChange(not_yet.notification_id, "held", hold_until=AT + timedelta(hours=3)),
                StatusChange(sent.notification_id, "sent", channel=Channel.SMS, sent_at=AT),
            ]
        )

        due = await store.due(AT + timedelta(hours=2), 10)
        assert [m.notification_id for m in due] == [early.notification_id, late.notification_id, later_made.notification_id]
        assert [m.notification_id for m in await store.due(AT + timedelta(hours=2), 2)] == [
            early.notification_id,
            late.notification_id,
        ]
        assert await store.due(AT, 10) == []

    async def test_waiting_messages_of_the_loans_in_the_order_they_were_made(self, store: NotificationStore) -> None:
        loan_id = uuid.uuid4()
        second = message_of(golden(PlanBroken, loan_id=loan_id), status="waiting", created_at=AT + timedelta(hours=1))
        first = message_of(golden(PlanBroken, loan_id=loan_id, plan_id=uuid.uuid4()), status="waiting")
        held = notice(loan_id)
        elsewhere = message_of(golden(PlanBroken, loan_id=uuid.uuid4()), status="waiting")
        await store.add_messages([second, first, held, elsewhere])

        assert await store.waiting({loan_id}) == [first, second]
        await store.set_statuses([StatusChange(first.notification_id, "sent", channel=Channel.SMS, sent_at=AT)])
        assert await store.waiting({loan_id}) == [second]


class TestCodes:
    async def test_a_code_is_forgotten_once_it_expires_first_to_expire_first(self, store: NotificationStore) -> None:
        soon, later, notice_ = written_plan(AT + timedelta(hours=1)), written_plan(AT + timedelta(hours=2)), notice()
        await store.add_messages([later, soon, notice_])

        assert await store.forget_codes(AT, 10) == []
        [forgotten] = await store.forget_codes(AT + timedelta(hours=3), 1)
        assert forgotten.notification_id == soon.notification_id
        assert is_forgotten(forgotten.source)
        assert forgotten.source == soon.source.model_copy(update={"confirmation_code": FORGOTTEN})
        assert [m.notification_id for m in await store.forget_codes(AT + timedelta(hours=3), 10)] == [later.notification_id]
        assert await store.forget_codes(AT + timedelta(days=9), 10) == []  # each code is forgotten once

        read = await store.message(soon.notification_id)
        assert read is not None
        assert is_forgotten(read.source)
        assert (read.status, read.source) == ("held", forgotten.source)

    async def test_the_messages_whose_codes_are_forgotten_are_returned_first_made_first(self, store: NotificationStore) -> None:
        made_last = written_plan(AT + timedelta(hours=1), created_at=AT + timedelta(minutes=5))
        made_first = written_plan(AT + timedelta(hours=2), created_at=AT)
        await store.add_messages([made_last, made_first])

        forgotten = await store.forget_codes(AT + timedelta(hours=3), 10)
        assert [m.notification_id for m in forgotten] == [made_first.notification_id, made_last.notification_id]

    async def test_a_code_forgotten_before_it_was_kept_is_never_forgotten_again(self, store: NotificationStore) -> None:
        plan = written_plan(AT - timedelta(hours=1))
        stored = message_of(plan.source.model_copy(update={"confirmation_code": FORGOTTEN}), notification_id=plan.notification_id)
        await store.add_messages([stored])

        assert await store.forget_codes(AT, 10) == []
        assert await store.message(plan.notification_id) == stored


class TestHistories:
    async def test_the_messages_sent_since_an_instant_and_the_last_conversation(self, store: NotificationStore) -> None:
        loan_id, quiet = uuid.uuid4(), uuid.uuid4()
        recent, old, held = notice(loan_id), notice(loan_id), notice(loan_id)
        await store.add_messages([recent, old, held, notice()])
        await store.set_statuses(
            [
                StatusChange(recent.notification_id, "sent", channel=Channel.SMS, sent_at=AT),
                StatusChange(old.notification_id, "sent", channel=Channel.EMAIL, sent_at=AT - timedelta(days=8)),
                StatusChange(held.notification_id, "held", hold_until=AT),
            ]
        )
        await store.record_conversation(loan_id, AT - timedelta(days=2))
        await store.record_conversation(loan_id, AT - timedelta(days=3))  # an earlier one read later

        histories = await store.histories({loan_id, quiet}, AT - timedelta(days=7))
        assert histories == {
            loan_id: History((Sent(Channel.SMS, AT, Purpose.OVERDUE_NOTICE),), AT - timedelta(days=2)),
            quiet: History((), None),
        }
