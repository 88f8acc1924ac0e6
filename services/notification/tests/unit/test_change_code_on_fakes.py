"""The change code a borrower asks for on their page (issue 21) on the fakes: sent at once by SMS
to the phone on file, whatever the hour and the borrower's preferred channel; on
notifications.requests.v3 only (versions 2 and 1 know no such purpose); its code masked in the
contact log, its request secret in the outbox; at most CODES_A_DAY a loan in 24 hours; a code
expired before it could go is suppressed, and forgotten at the next clock event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from notification.adapters.templates import render
from notification.application import handlers
from notification.application.codes import FORGOTTEN, is_forgotten
from notification.application.message_facts import facts_for
from notification.domain.contact_rules import CODES_A_DAY
from notification.domain.masking import MASK
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events import notifications_v1, notifications_v2
from tideover_contracts.events.loans import BorrowerContactChanged
from tideover_contracts.events.negotiation import BorrowerCodeRequested
from tideover_contracts.events.notifications import Purpose

from .on_fakes import EVENING, MIDDAY, World, golden

CODE = "604217"


@pytest.fixture
def world() -> World:
    return World()


def code_requested(
    loan_id: uuid.UUID, at: datetime, code: str = CODE, change: str = "hardship_application"
) -> BorrowerCodeRequested:
    return golden(
        BorrowerCodeRequested,
        loan_id=loan_id,
        request_id=uuid.uuid4(),
        confirmation_code=code,
        change=change,
        requested_at=at,
        code_expires_at=at + timedelta(minutes=10),
    )


class TestTheCodeIsSentAtOnce:
    async def test_at_night_by_sms_to_the_phone_on_file_not_the_preferred_channel(self) -> None:
        world = World(EVENING)  # 23:30 in Beijing: quiet hours for anything a collector sends
        loan_id = await world.book(preferred_channels=[Channel.EMAIL], email="b@example.com")
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, EVENING))

        [request] = world.requests(loan_id)
        assert (request.channel, request.address, request.purpose) == (Channel.SMS, "+8613800138000", Purpose.CHANGE_CODE)
        assert CODE in request.body
        assert "10分钟" in request.body
        assert world.log(loan_id) == [("sms", "sent", None)]

    async def test_on_v3_only_and_secret_in_the_outbox(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, MIDDAY))

        assert world.outbox.events(notifications_v2.NotificationRequested) == []
        assert world.outbox.events(notifications_v1.NotificationRequested) == []
        assert len(world.outbox.staged) == 1
        assert world.outbox.secret == set(world.outbox.staged)  # blanked once published

    async def test_masked_in_the_contact_log(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, MIDDAY))

        [request] = world.requests(loan_id)
        body = world.store.contact_log[0].entry.body
        assert body is not None
        assert CODE not in body
        assert body == request.body.replace(CODE, MASK)

    async def test_redelivered_makes_one_message(self, world: World) -> None:
        loan_id = await world.book()
        event = code_requested(loan_id, MIDDAY)
        event_id = uuid.uuid4()
        for _ in range(2):
            await handlers.when_code_requested_send_code([world.unit(event, event_id=event_id)], world.notifying)

        assert len(world.requests(loan_id)) == 1


class TestLimits:
    async def test_beyond_the_daily_limit_a_code_is_suppressed_not_held(self, world: World) -> None:
        loan_id = await world.book()
        for minute in range(CODES_A_DAY + 1):
            world.clock.tick(MIDDAY + timedelta(minutes=minute))
            await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, world.clock.now()))

        assert len(world.requests(loan_id)) == CODES_A_DAY
        assert world.log(loan_id)[-1] == ("", "suppressed", "change_code_limit")

    async def test_a_day_later_codes_go_again(self, world: World) -> None:
        loan_id = await world.book()
        for minute in range(CODES_A_DAY):
            world.clock.tick(MIDDAY + timedelta(minutes=minute))
            await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, world.clock.now()))
        world.clock.tick(MIDDAY + timedelta(hours=24))
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, world.clock.now()))

        assert len(world.requests(loan_id)) == CODES_A_DAY + 1

    async def test_do_not_contact_still_stops_it(self, world: World) -> None:
        loan_id = await world.book()
        stop = golden(BorrowerContactChanged, loan_id=loan_id, preferred_channels=None, do_not_contact=True)
        await world.one(handlers.when_contact_changed_update_contact, stop)
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, MIDDAY))

        assert world.requests(loan_id) == []
        assert world.log(loan_id) == [("", "suppressed", "do_not_contact")]


class TestExpiry:
    async def test_a_code_read_after_it_expired_is_not_sent_nor_kept(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, MIDDAY - timedelta(minutes=11)))

        assert world.requests(loan_id) == []
        assert world.log(loan_id) == [("", "suppressed", "code_expired")]
        assert is_forgotten(world.message(loan_id).source)

    async def test_forgotten_at_the_first_clock_event_after_its_expiry(self, world: World) -> None:
        loan_id = await world.book()
        await world.many(handlers.when_code_requested_send_code, code_requested(loan_id, MIDDAY))
        await world.tick(MIDDAY + timedelta(minutes=9))
        source = world.message(loan_id).source
        assert isinstance(source, BorrowerCodeRequested)
        assert source.confirmation_code == CODE

        await world.tick(MIDDAY + timedelta(minutes=10))
        source = world.message(loan_id).source
        assert isinstance(source, BorrowerCodeRequested)
        assert source.confirmation_code == FORGOTTEN


class TestTemplates:
    @pytest.mark.parametrize(
        ("language", "says"),
        [
            (Language.ZH_HANS, "【Tideover】您在贷款页面提交还款困难申请的验证码为604217，10分钟内有效。"),
            (Language.ZH_HANT, "【Tideover】您在貸款頁面提交還款困難申請的驗證碼為604217，10分鐘內有效。"),
            (Language.EN, "Tideover: your code to confirm your application for help on your loan page is 604217, valid 10"),
        ],
    )
    def test_the_sms_in_each_language(self, language: Language, says: str) -> None:
        _, facts = facts_for(code_requested(uuid.uuid4(), MIDDAY))
        body = render(Purpose.CHANGE_CODE, Channel.SMS, language, Jurisdiction.CN, "Asia/Shanghai", facts).body

        assert body.startswith(says)
        assert "\n" not in body

    @pytest.mark.parametrize("language", list(Language))
    def test_a_change_the_template_does_not_name_is_told_as_a_change(self, language: Language) -> None:
        _, facts = facts_for(code_requested(uuid.uuid4(), MIDDAY, change="something_new"))
        body = render(Purpose.CHANGE_CODE, Channel.SMS, language, Jurisdiction.CN, "Asia/Shanghai", facts).body

        assert CODE in body
        assert "申请" not in body
        assert "申請" not in body
        assert "application" not in body
