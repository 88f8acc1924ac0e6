"""The borrower's link in every message that needs one (issue 21; application/links.py), through
the use cases on the fakes: the overdue notice, the written plan and the plan installment
reminder carry, in every language and text channel, a link that opens the loan's page for its
borrower (tideover_runtime.borrower_links.read(...).valid_for) until `link_valid_days` after the
message was made, however late it is sent; a voice call carries none. Nothing notification keeps
holds the token: the contact log has it masked, the request is secret in the outbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from notification.adapters.templates import render
from notification.application import handlers
from notification.application.links import LINK_CHANNELS, LINKED, BorrowerLinks, MissingLinksError, carries_link
from notification.application.ports import Notifying
from notification.domain.contact_rules import CHANNELS_FOR
from notification.domain.masking import MASK
from notification.entrypoints import bootstrap
from notification.entrypoints.bootstrap import BorrowerPageError
from tideover_contracts.common import Channel, Language
from tideover_contracts.envelope import Event
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationFailed, NotificationRequested, Purpose
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanInstallmentDueSoon
from tideover_contracts.examples import borrower
from tideover_runtime import borrower_links
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, LinkSettings, MissingLinkSecretError

from .on_fakes import EVENING, MIDDAY, MORNING, World, golden

SECRET = DEVELOPMENT_LINK_SECRET.encode()
PAGE = "http://127.0.0.1:8103/b/"
BORROWER_ID = borrower().borrower_id
LINK = re.compile(re.escape(PAGE) + r"([A-Za-z0-9_-]{40})(?=\s|$)")  # a space or the end after it, for the phones' linkifiers
Handler = Callable[[list[Any], Notifying], Awaitable[None]]


def told(purpose: Purpose, loan_id: uuid.UUID, at: datetime) -> tuple[Handler, Event]:
    """The use case and the event that call for a message of `purpose` about `loan_id` at `at`."""
    if purpose is Purpose.OVERDUE_NOTICE:
        return handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id)
    if purpose is Purpose.WRITTEN_PLAN:
        plan = golden(PlanSentToBorrower, loan_id=loan_id, application_id=uuid.uuid4(), sent_at=at)
        return handlers.when_plan_sent_send_written_plan, plan.model_copy(update={"code_expires_at": at + timedelta(hours=24)})
    assert purpose is Purpose.PLAN_INSTALLMENT_REMINDER
    return handlers.when_plan_installment_due_soon_remind, golden(PlanInstallmentDueSoon, loan_id=loan_id)


async def sent(world: World, purpose: Purpose, channel: Channel, **contact: Any) -> NotificationRequested:
    """The request of a message of `purpose`, for a borrower who prefers `channel`."""
    loan_id = await world.book(email="zhang.wei@example.com", push_token="device-1", preferred_channels=(channel,), **contact)
    handle, event = told(purpose, loan_id, world.clock.now())
    await world.many(handle, event)
    [request] = world.requests(loan_id)
    return request


def token_in(body: str) -> str:
    [token] = LINK.findall(body)
    return token


def link_expiry(made_at: datetime) -> datetime:
    """Seven days after the message was made, to the hour, rounded up."""
    expiry = made_at + timedelta(days=7)
    return (
        expiry if expiry == expiry.replace(minute=0, second=0, microsecond=0) else expiry.replace(minute=0) + timedelta(hours=1)
    )


#: Every purpose, text channel and language that carries the link (a written plan goes as text a
#: borrower keeps: SMS or e-mail, domain/contact_rules.py CHANNELS_FOR).
CARRIED = [
    (purpose, channel, language)
    for purpose in sorted(LINKED)
    for channel in sorted(LINK_CHANNELS)
    if channel in CHANNELS_FOR.get(purpose, LINK_CHANNELS)
    for language in Language
]


@pytest.mark.parametrize(("purpose", "channel", "language"), CARRIED)
async def test_the_message_carries_a_link_that_opens_its_loan_for_its_borrower(
    purpose: Purpose, channel: Channel, language: Language
) -> None:
    world = World(MIDDAY)
    request = await sent(world, purpose, channel, language=language)

    assert (request.purpose, request.channel, request.language) == (purpose, channel, language)
    link = borrower_links.read(token_in(request.body))
    assert link is not None
    assert link.loan_id == request.loan_id
    assert link.expires_at == link_expiry(MIDDAY) == datetime(2031, 3, 11, 4, 0, tzinfo=UTC)
    assert link.valid_for(BORROWER_ID, MIDDAY, SECRET)
    assert link.valid_for(BORROWER_ID, link.expires_at - timedelta(seconds=1), SECRET)
    assert not link.valid_for(BORROWER_ID, link.expires_at, SECRET)
    assert not link.valid_for("B-999999", MIDDAY, SECRET)  # another borrower
    assert not link.valid_for(BORROWER_ID, MIDDAY, b"another secret of 32 characters!")
    assert request.subject is None or PAGE not in request.subject


@pytest.mark.parametrize("purpose", sorted(LINKED - {Purpose.WRITTEN_PLAN}))  # a written plan is never a call
@pytest.mark.parametrize("language", list(Language))
async def test_a_voice_call_carries_no_link_and_says_nothing_of_one(purpose: Purpose, language: Language) -> None:
    request = await sent(World(MIDDAY), purpose, Channel.VOICE_CALL, language=language)

    assert request.channel is Channel.VOICE_CALL
    assert not carries_link(purpose, Channel.VOICE_CALL)
    for word in ("http", "/b/", "link", "链接", "連結", "页面", "頁面"):
        assert word not in request.body.lower()


async def test_a_message_that_needs_no_link_carries_none() -> None:
    world = World(MIDDAY)
    loan_id = await world.book()
    await world.one(handlers.when_plan_activated_tell_borrower, golden(PlanActivated, loan_id=loan_id))

    [request] = world.requests(loan_id)
    assert request.purpose is Purpose.PLAN_ACTIVATED
    assert "http" not in request.body


async def test_a_message_held_for_the_night_carries_a_link_that_expires_as_first_decided() -> None:
    world = World(EVENING)
    loan_id = await world.book()
    await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))
    assert world.log(loan_id) == [("sms", "held", "quiet_hours")]

    await world.tick(MORNING)

    [request] = world.requests(loan_id)
    token = token_in(request.body)
    link = borrower_links.read(token)
    assert link is not None
    assert link.expires_at == link_expiry(EVENING) == datetime(2031, 3, 10, 16, 0, tzinfo=UTC)
    assert link.valid_for(BORROWER_ID, MORNING, SECRET)
    assert token == BorrowerLinks.for_development().sign(loan_id, BORROWER_ID, EVENING).token


async def test_the_next_channel_after_a_failure_carries_the_same_link() -> None:
    world = World(MIDDAY)
    loan_id = await world.book(email="zhang.wei@example.com", preferred_channels=(Channel.SMS, Channel.EMAIL))
    await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))
    [sms] = world.requests(loan_id)

    world.clock.tick(MIDDAY + timedelta(hours=2))
    failed = golden(NotificationFailed, notification_id=sms.notification_id, loan_id=loan_id, channel=Channel.SMS)
    await world.one(handlers.when_failed_fall_back, failed)

    _, email = world.requests(loan_id)
    assert email.channel is Channel.EMAIL
    assert token_in(email.body) == token_in(sms.body)


@pytest.mark.parametrize("purpose", sorted(LINKED))
async def test_nothing_notification_keeps_holds_the_token(purpose: Purpose) -> None:
    """DESIGN.md §5: the message is kept with its event and when it was made, the contact log with
    the token masked; the request that carries it is blanked in the outbox once published."""
    world = World(EVENING)
    loan_id = await world.book()
    handle, event = told(purpose, loan_id, EVENING)
    await world.many(handle, event)
    await world.tick(MORNING)  # held for the night, then sent

    [request] = world.requests(loan_id)
    token = token_in(request.body)
    assert token not in repr(vars(world.store))  # contacts, messages and their events, the contact log
    held, logged = (row.entry for row in world.store.contact_log)
    assert (held.decision, held.body, logged.decision) == ("held", None, "sent")
    assert logged.body is not None
    assert f"{PAGE}{MASK}" in logged.body
    assert world.outbox.secret == set(world.outbox.staged)  # the v2 request and its v1 copy


async def test_without_a_link_secret_a_message_that_carries_a_link_is_refused_not_sent_without() -> None:
    world = World(MIDDAY)
    world.notifying = Notifying(world.store, render)  # as the contact window builds it: no link secret
    loan_id = await world.book()

    with pytest.raises(MissingLinksError):
        await world.many(handlers.when_loan_became_overdue_send_notice, golden(LoanBecameOverdue, loan_id=loan_id))


@pytest.mark.parametrize(
    ("secret", "page", "refused"),
    [
        (None, "https://pay.example/b/", MissingLinkSecretError),
        ("short", "https://pay.example/b/", MissingLinkSecretError),
        (DEVELOPMENT_LINK_SECRET, "https://pay.example/b/", MissingLinkSecretError),
        ("s" * 32, None, BorrowerPageError),  # the default: this machine's page
        ("s" * 32, "http://pay.example/b/", BorrowerPageError),
        ("s" * 32, "https://pay.example/b", BorrowerPageError),
    ],
)
def test_outside_development_the_service_refuses_to_sign_without_a_secret_and_a_public_page(
    secret: str | None, page: str | None, refused: type[Exception]
) -> None:
    settings = LinkSettings.model_construct(link_secret=None if secret is None else SecretStr(secret))
    if page is not None:
        settings = settings.model_copy(update={"borrower_page_url": page})

    with pytest.raises(refused):
        bootstrap.borrower_links(settings, development=False)


def test_outside_development_a_proper_secret_and_page_sign_and_in_development_the_defaults_do() -> None:
    settings = LinkSettings.model_construct(link_secret=SecretStr("s" * 32), borrower_page_url="https://pay.example/b/")

    assert bootstrap.borrower_links(settings, development=False) == BorrowerLinks(settings, b"s" * 32)
    assert bootstrap.borrower_links(LinkSettings.model_construct(), development=True) == BorrowerLinks.for_development()


def test_the_service_does_not_start_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDEOVER_ENV", "production")
    monkeypatch.delenv("TIDEOVER_LINK_SECRET", raising=False)
    monkeypatch.delenv("TIDEOVER_BORROWER_PAGE_URL", raising=False)
    bootstrap.configured_links.cache_clear()
    try:
        with pytest.raises(SystemExit, match="notification: TIDEOVER_LINK_SECRET must be set"):
            bootstrap.main()
        monkeypatch.setenv("TIDEOVER_LINK_SECRET", "s" * 32)
        bootstrap.configured_links.cache_clear()
        with pytest.raises(SystemExit, match="notification: TIDEOVER_BORROWER_PAGE_URL must be the https address"):
            bootstrap.main()
    finally:
        bootstrap.configured_links.cache_clear()
