"""The use cases of application/handlers.py and application/deciding.py on the fakes (no server):
contacts kept and changed, a notice sent, held for the night and released, one message for a
fact told twice, a failed channel falling back, receipts, and the plan messages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from notification.application import handlers
from notification.application.deciding import ContactNotYetKnownError
from notification.domain.masking import MASK
from tideover_contracts.common import Channel, Language
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events import notifications_v1, notifications_v2
from tideover_contracts.events.loans import BorrowerContactChanged
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, Purpose
from tideover_contracts.events.overdue import InstallmentDueSoon, LoanBecameOverdue, OverdueChangeReason, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanCompleted, PlanInstallmentDueSoon, PlanInstallmentMissed

from .on_fakes import EVENING, MIDDAY, MORNING, World, golden


@pytest.fixture
def world() -> World:
    return World()


def overdue(loan_id: uuid.UUID) -> LoanBecameOverdue:
    return golden(LoanBecameOverdue, loan_id=loan_id)


class TestContacts:
    async def test_a_loans_contact_is_kept_as_first_booked(self, world: World) -> None:
        loan_id = await world.book()
        await world.book(loan_id, phone="+8613900139000")

        assert world.store.contacts_by_loan[loan_id].phone == "+8613800138000"

    async def test_a_change_for_a_loan_not_booked_yet_is_retried(self, world: World) -> None:
        with pytest.raises(ContactNotYetKnownError):
            await world.one(handlers.when_contact_changed_update_contact, golden(BorrowerContactChanged, loan_id=uuid.uuid4()))

    async def test_a_change_of_language_writes_the_next_message_in_it(self, world: World) -> None:
        loan_id = await world.book()
        change = golden(BorrowerContactChanged, loan_id=loan_id, language=Language.ZH_HANT, preferred_channels=None)
        await world.one(handlers.when_contact_changed_update_contact, change)
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))

        [request] = world.requests(loan_id)
        assert (request.language, request.template) == (Language.ZH_HANT, "overdue_notice/sms.zh-Hant@v2")


class TestANotice:
    async def test_is_sent_at_midday_on_both_request_topics_and_logged(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))

        [request] = world.requests(loan_id)
        assert (request.channel, request.address, request.purpose) == (Channel.SMS, "+8613800138000", Purpose.OVERDUE_NOTICE)
        assert "逾期1天" in request.body
        assert "¥1,045.00" in request.body
        assert request.expires_at == MIDDAY + timedelta(hours=12)
        [v1] = world.outbox.events(notifications_v1.NotificationRequested)
        assert (v1.notification_id, v1.body) == (request.notification_id, request.body)
        [v2] = world.outbox.events(notifications_v2.NotificationRequested)
        assert (v2.notification_id, v2.body) == (request.notification_id, request.body)
        assert set(world.outbox.staged) == {
            deterministic_id("NotificationRequested.v3", request.notification_id, "sms"),
            deterministic_id("NotificationRequested.v2", request.notification_id, "sms"),
            deterministic_id("NotificationRequested", request.notification_id, "sms"),
        }
        assert world.outbox.secret == set(world.outbox.staged)  # it carries the borrower's link (test_borrower_link.py)
        assert world.log(loan_id) == [("sms", "sent", None)]
        message = world.message(loan_id)
        assert (message.status, message.channel) == ("sent", Channel.SMS)
        [token] = re.findall(r"/b/([A-Za-z0-9_-]{40}) ", request.body)
        assert world.store.contact_log[0].entry.body == request.body.replace(token, MASK)

    async def test_due_at_night_is_held_until_eight_in_the_borrowers_morning(self) -> None:
        world = World(EVENING)
        loan_id = await world.book()
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))

        assert world.log(loan_id) == [("sms", "held", "quiet_hours")]
        assert world.store.messages[world.message(loan_id).notification_id].hold_until == MORNING
        assert world.requests(loan_id) == []

        await world.tick(MORNING - timedelta(minutes=1))
        assert world.requests(loan_id) == []
        await world.tick(MORNING)
        assert world.channels(loan_id) == [Channel.SMS]
        assert world.log(loan_id) == [("sms", "held", "quiet_hours"), ("sms", "sent", None)]
        assert world.store.contact_log[1].entry.decided_at == MORNING
        await world.tick(MIDDAY)  # released once
        assert world.channels(loan_id) == [Channel.SMS]

    async def test_told_twice_or_redelivered_makes_one_message(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id), overdue(loan_id))
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))

        assert len(world.messages(loan_id)) == 1
        assert world.log(loan_id) == [("sms", "sent", None)]
        assert len(world.outbox.staged) == 3  # v3, v2 and v1

    async def test_for_a_loan_not_booked_yet_is_retried(self, world: World) -> None:
        with pytest.raises(ContactNotYetKnownError):
            await world.many(handlers.when_loan_became_overdue_send_notice, overdue(uuid.uuid4()))
        assert world.outbox.staged == {}

    @pytest.mark.parametrize(
        ("reason", "told"),
        [
            (OverdueChangeReason.BUCKET_CHANGED, True),
            (OverdueChangeReason.WEEKLY, True),
            (OverdueChangeReason.PAYMENT_APPLIED, False),
            (OverdueChangeReason.AMOUNTS_CHANGED, False),
        ],
    )
    async def test_on_a_status_change_only_for_a_new_bucket_or_weekly(
        self, world: World, reason: OverdueChangeReason, told: bool
    ) -> None:
        loan_id = await world.book()
        change = golden(OverdueStatusChanged, loan_id=loan_id, reasons=(reason,))
        await world.many(handlers.when_overdue_status_changed_maybe_notify, change)

        assert world.channels(loan_id) == ([Channel.SMS] if told else [])

    async def test_past_the_daily_limit_is_held_to_the_next_morning(self, world: World) -> None:
        loan_id = await world.book()
        reminders = [golden(InstallmentDueSoon, loan_id=loan_id, sequence=n) for n in (1, 2, 3, 4)]
        await world.many(handlers.when_installment_due_soon_remind, *reminders)

        assert world.log(loan_id) == [("sms", "sent", None)] * 3 + [("sms", "held", "daily_limit")]


class TestAFailure:
    async def test_falls_back_to_the_next_channel_and_reaches_the_log(self, world: World) -> None:
        loan_id = await world.book(email="zhang.wei@example.com", preferred_channels=(Channel.SMS, Channel.EMAIL))
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))
        [sms] = world.requests(loan_id)
        failed = golden(NotificationFailed, notification_id=sms.notification_id, loan_id=loan_id, channel=Channel.SMS)
        await world.one(handlers.when_failed_fall_back, failed)
        await world.one(handlers.when_failed_fall_back, failed)  # redelivered: the message moved on

        assert world.channels(loan_id) == [Channel.SMS, Channel.EMAIL]
        assert world.requests(loan_id)[1].subject
        assert world.log(loan_id) == [("sms", "sent", None), ("email", "sent", None)]
        assert world.store.contact_log[0].receipt == "failed"
        assert world.store.contact_log[0].receipt_reason == "handset unreachable"
        message = world.message(loan_id)
        assert (message.channel, message.failed_channels) == (Channel.EMAIL, frozenset({Channel.SMS}))

    async def test_of_the_last_channel_left_suppresses_the_message(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))
        [sms] = world.requests(loan_id)
        await world.one(handlers.when_failed_fall_back, golden(NotificationFailed, notification_id=sms.notification_id))

        assert world.log(loan_id) == [("sms", "sent", None), ("", "suppressed", "no_channel_left")]
        assert world.message(loan_id).status == "suppressed"

    async def test_of_a_message_not_known_changes_nothing(self, world: World) -> None:
        await world.one(handlers.when_failed_fall_back, golden(NotificationFailed, notification_id=uuid.uuid4()))

        assert world.outbox.staged == {}
        assert world.store.contact_log == []


class TestADelivery:
    async def test_completes_the_log_and_a_call_answered_is_a_conversation(self, world: World) -> None:
        loan_id = await world.book(preferred_channels=(Channel.VOICE_CALL,))
        await world.many(handlers.when_loan_became_overdue_send_notice, overdue(loan_id))
        [call] = world.requests(loan_id)
        assert call.channel == Channel.VOICE_CALL
        delivered = golden(
            NotificationDelivered,
            notification_id=call.notification_id,
            loan_id=loan_id,
            channel=Channel.VOICE_CALL,
            delivered_at=MIDDAY,
        )
        await world.one(handlers.when_delivered_complete_log, delivered)

        assert (world.store.contact_log[0].receipt, world.store.contact_log[0].receipt_at) == ("delivered", MIDDAY)
        assert world.store.conversations == {loan_id: MIDDAY}

    async def test_of_an_sms_is_no_conversation(self, world: World) -> None:
        loan_id = await world.book()
        await world.one(handlers.when_delivered_complete_log, golden(NotificationDelivered, loan_id=loan_id))

        assert world.store.conversations == {}


class TestPlans:
    async def test_an_active_plan_is_told_and_stops_collection_until_it_ends(self, world: World) -> None:
        loan_id = await world.book()
        plan = golden(PlanActivated, loan_id=loan_id, plan_id=uuid.uuid4())
        await world.one(handlers.when_plan_activated_tell_borrower, plan)
        await world.many(handlers.when_installment_due_soon_remind, golden(InstallmentDueSoon, loan_id=loan_id))
        reminder = golden(PlanInstallmentDueSoon, loan_id=loan_id, plan_id=plan.plan_id)
        await world.many(handlers.when_plan_installment_due_soon_remind, reminder)
        missed = golden(PlanInstallmentMissed, loan_id=loan_id, plan_id=plan.plan_id)
        await world.many(handlers.when_plan_installment_missed_tell_borrower, missed)
        await world.one(handlers.when_plan_completed_tell_borrower, golden(PlanCompleted, loan_id=loan_id, plan_id=plan.plan_id))
        await world.many(handlers.when_installment_due_soon_remind, golden(InstallmentDueSoon, loan_id=loan_id, sequence=2))

        assert [(m.purpose, m.status) for m in world.messages(loan_id)] == [
            (Purpose.PLAN_ACTIVATED, "sent"),
            (Purpose.PRE_DUE_REMINDER, "suppressed"),
            (Purpose.PLAN_INSTALLMENT_REMINDER, "sent"),
            (Purpose.PLAN_INSTALLMENT_MISSED, "sent"),
            (Purpose.PLAN_COMPLETED, "sent"),
            (Purpose.PRE_DUE_REMINDER, "sent"),
        ]
        assert world.log(loan_id)[1] == ("", "suppressed", "plan_active")
        assert await world.store.active_plans({loan_id}) == set()

    async def test_a_refused_acceptance_is_told_on_v2_only(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_acceptance_refused_tell_borrower, golden(PlanRejected, loan_id=loan_id))  # no plan
        assert world.messages(loan_id) == []

        refused = golden(PlanRejected, loan_id=loan_id, offer_id=uuid.uuid4())
        await world.many(handlers.when_acceptance_refused_tell_borrower, refused, refused)
        [request] = world.requests(loan_id)
        assert request.purpose is Purpose.PLAN_REFUSED
        assert world.outbox.events(notifications_v1.NotificationRequested) == []

    async def test_a_confirmed_plan_quoted_again_is_told_once(self, world: World) -> None:
        loan_id = await world.book()
        first = golden(PlanOffered, loan_id=loan_id, supersedes_offer_id=None)
        requoted = golden(PlanOffered, loan_id=loan_id, supersedes_offer_id=uuid.uuid4())
        await world.many(handlers.when_confirmed_plan_requoted_tell_borrower, first, requoted, requoted)

        assert [m.purpose for m in world.messages(loan_id)] == [Purpose.PLAN_REFUSED]
        assert world.channels(loan_id) == [Channel.SMS]
