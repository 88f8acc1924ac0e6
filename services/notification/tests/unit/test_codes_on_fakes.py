"""A written plan's one-time code on the fakes (application/codes.py through the use cases): sent
with its code while it is valid, masked in the contact log, its request secret in the outbox;
forgotten at the first clock event after its expiry, and a written plan still held, falling back
or read only then suppressed (code_expired), never sent."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import pytest

from notification.application import handlers
from notification.application.codes import FORGOTTEN, is_forgotten
from tideover_contracts.common import Channel
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationFailed

from .on_fakes import EVENING, MIDDAY, MORNING, World, golden

CODE = "731904"


def written_plan(loan_id: uuid.UUID, sent_at: datetime, valid: timedelta) -> PlanSentToBorrower:
    return golden(
        PlanSentToBorrower,
        loan_id=loan_id,
        application_id=uuid.uuid4(),
        confirmation_code=CODE,
        sent_at=sent_at,
        code_expires_at=sent_at + valid,
    )


def code_of(world: World, loan_id: uuid.UUID) -> str:
    source = world.message(loan_id).source
    assert isinstance(source, PlanSentToBorrower)
    return source.confirmation_code


async def test_a_written_plan_is_sent_with_its_code_masked_in_the_log_and_secret_in_the_outbox() -> None:
    world = World(MIDDAY)
    loan_id = await world.book()
    await world.many(handlers.when_plan_sent_send_written_plan, written_plan(loan_id, MIDDAY, timedelta(hours=24)))

    [request] = world.requests(loan_id)
    assert f"验证码{CODE}" in request.body
    [row] = world.store.contact_log
    [token] = re.findall(
        r"/b/([A-Za-z0-9_-]{40}) ", request.body
    )  # the borrower's link, masked as the code is (test_borrower_link.py)
    assert row.entry.body == request.body.replace(CODE, FORGOTTEN).replace(token, FORGOTTEN)
    assert world.outbox.secret == set(world.outbox.staged)  # the v2 request and its v1 copy
    assert world.store.messages[world.message(loan_id).notification_id].secret_until == MIDDAY + timedelta(hours=24)


async def test_one_written_plan_per_sending_never_keyed_by_its_code() -> None:
    world = World(MIDDAY)
    loan_id = await world.book()
    plan = written_plan(loan_id, MIDDAY, timedelta(hours=24))
    await world.many(handlers.when_plan_sent_send_written_plan, plan, plan)  # two sendings of the same plan and code

    assert len(world.messages(loan_id)) == 2


async def test_held_for_the_night_past_its_expiry_it_is_suppressed_and_its_code_forgotten() -> None:
    world = World(EVENING)
    loan_id = await world.book()
    plan = written_plan(loan_id, EVENING, timedelta(hours=8))  # expires 07:30 in Beijing
    await world.many(handlers.when_plan_sent_send_written_plan, plan)
    assert world.log(loan_id) == [("sms", "held", "quiet_hours")]
    assert code_of(world, loan_id) == CODE

    await world.tick(plan.code_expires_at + timedelta(minutes=15))
    await world.tick(MORNING)

    assert world.log(loan_id) == [("sms", "held", "quiet_hours"), ("", "suppressed", "code_expired")]
    assert world.store.contact_log[1].entry.decided_at == plan.code_expires_at + timedelta(minutes=15)
    assert (world.message(loan_id).status, code_of(world, loan_id)) == ("suppressed", FORGOTTEN)
    assert world.store.messages[world.message(loan_id).notification_id].secret_until is None
    assert world.outbox.staged == {}


async def test_sent_before_its_expiry_it_keeps_the_code_until_then_only() -> None:
    world = World(EVENING)
    loan_id = await world.book()
    plan = written_plan(loan_id, EVENING, timedelta(hours=24))
    await world.many(handlers.when_plan_sent_send_written_plan, plan)
    await world.tick(MORNING)
    await world.tick(plan.code_expires_at - timedelta(seconds=1))
    assert (world.message(loan_id).status, code_of(world, loan_id)) == ("sent", CODE)

    day = BusinessDayClosed(business_date=date(2031, 3, 4), closed_at=plan.code_expires_at)
    world.clock.advance(day.business_date, day.closed_at)
    await world.one(handlers.when_time_passes_release_held, day)

    assert (world.message(loan_id).status, code_of(world, loan_id)) == ("sent", FORGOTTEN)
    assert world.log(loan_id) == [("sms", "held", "quiet_hours"), ("sms", "sent", None)]
    assert len(world.requests(loan_id)) == 1


@pytest.mark.parametrize("expired", [False, True], ids=["before_expiry", "after_expiry"])
async def test_a_failed_written_plan_falls_back_only_while_its_code_is_valid(expired: bool) -> None:
    world = World(MIDDAY)
    loan_id = await world.book(email="zhang.wei@example.com", preferred_channels=(Channel.SMS, Channel.EMAIL))
    await world.many(handlers.when_plan_sent_send_written_plan, written_plan(loan_id, MIDDAY, timedelta(hours=24)))
    [sms] = world.requests(loan_id)
    failed_at = MIDDAY + timedelta(hours=25 if expired else 1)
    if expired:
        await world.tick(failed_at)  # the code expired an hour ago: forgotten
    failure = NotificationFailed(
        notification_id=sms.notification_id,
        loan_id=loan_id,
        channel=Channel.SMS,
        gateway="test",
        reason="unreachable",
        retryable=False,
        failed_at=failed_at,
    )
    await world.one(handlers.when_failed_fall_back, failure)

    if expired:
        assert world.channels(loan_id) == [Channel.SMS]
        assert world.log(loan_id) == [("sms", "sent", None), ("", "suppressed", "code_expired")]
        assert (world.message(loan_id).status, code_of(world, loan_id)) == ("suppressed", FORGOTTEN)
    else:
        assert world.channels(loan_id) == [Channel.SMS, Channel.EMAIL]
        assert CODE in world.requests(loan_id)[1].body
        assert world.log(loan_id) == [("sms", "sent", None), ("email", "sent", None)]
    assert world.store.contact_log[0].receipt == "failed"


async def test_read_after_its_code_expired_it_is_suppressed_and_kept_without_it() -> None:
    world = World(MIDDAY)
    loan_id = await world.book()
    await world.many(
        handlers.when_plan_sent_send_written_plan, written_plan(loan_id, MIDDAY - timedelta(hours=25), timedelta(hours=24))
    )

    assert world.log(loan_id) == [("", "suppressed", "code_expired")]
    message = world.message(loan_id)
    assert (message.status, is_forgotten(message.source)) == ("suppressed", True)
    assert world.store.messages[message.notification_id].secret_until is None
    assert world.outbox.staged == {}
