"""The NotificationStore port's contract, against the fake (adapters/memory.py) and the Postgres
adapter (adapters/store.py), part 1: contacts kept once and changed by what a change names; plans,
ledgers after breaks, closures and locks as their events state them; receipts on the contact log's
sent decisions (the messages: test_notification_store_messages.py)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from notification.application.ports import LedgerStatus, LogEntry, NotificationStore
from notification.domain.messages import Contact, StoredMessage
from tideover_contracts.common import Channel, Language, Locale
from tideover_contracts.events.loans import BorrowerContactChanged, LoanClosureReason
from tideover_contracts.examples import borrower, loan_booked
from tideover_contracts.money import Money

from .stored import AT, LEDGER, Kept, golden, notice


class TestContacts:
    async def test_a_loans_contact_is_kept_once_as_booked(self, store: NotificationStore) -> None:
        loan = loan_booked(loan_id=uuid.uuid4())
        await store.add_contact(loan)
        other = borrower().model_copy(update={"phone": "+8613900139000"})
        await store.add_contact(loan.model_copy(update={"borrower": other}))  # the same loan again: a no-op

        assert await store.contacts({loan.loan_id, uuid.uuid4()}) == {
            loan.loan_id: Contact(
                loan_id=loan.loan_id,
                borrower_id="B-000123",
                phone="+8613800138000",
                email=None,
                push_token=None,
                locale=Locale.ZH_CN,
                language=None,
                time_zone="Asia/Shanghai",
                jurisdiction=loan.borrower.jurisdiction,
                preferred_channels=(Channel.SMS,),
                opted_out_channels=(),
                do_not_contact=False,
            )
        }

    async def test_a_change_replaces_what_it_names_and_always_the_opt_outs(self, store: NotificationStore) -> None:
        booked = borrower().model_copy(update={"language": Language.ZH_HANT, "email": "a@example.com"})
        loan = loan_booked(loan_id=uuid.uuid4()).model_copy(update={"borrower": booked})
        await store.add_contact(loan)
        change = golden(BorrowerContactChanged).model_copy(
            update={
                "loan_id": loan.loan_id,
                "phone": "+8613900139000",
                "email": None,
                "locale": Locale.EN,
                "language": None,
                "time_zone": None,
                "push_token": "device-1",
                "preferred_channels": (Channel.PUSH, Channel.EMAIL),
                "opted_out_channels": (Channel.VOICE_CALL,),
                "do_not_contact": True,
            }
        )

        assert await store.change_contact(change)
        contact = (await store.contacts({loan.loan_id}))[loan.loan_id]
        assert (contact.phone, contact.email, contact.locale, contact.language, contact.time_zone, contact.push_token) == (
            "+8613900139000",
            "a@example.com",
            Locale.EN,
            Language.ZH_HANT,
            "Asia/Shanghai",
            "device-1",
        )
        assert contact.preferred_channels == (Channel.PUSH, Channel.EMAIL)
        assert (contact.opted_out_channels, contact.do_not_contact) == ((Channel.VOICE_CALL,), True)

        await store.change_contact(change.model_copy(update={"preferred_channels": (), "opted_out_channels": ()}))
        contact = (await store.contacts({loan.loan_id}))[loan.loan_id]
        assert (contact.preferred_channels, contact.opted_out_channels) == ((Channel.PUSH, Channel.EMAIL), ())

    async def test_a_change_for_a_loan_not_known_changes_nothing(self, store: NotificationStore) -> None:
        change = golden(BorrowerContactChanged, loan_id=uuid.uuid4())

        assert not await store.change_contact(change)
        assert await store.contacts({change.loan_id}) == {}


class TestPlansAndLoans:
    async def test_a_plan_is_active_from_its_start_to_its_end_in_whatever_order_they_come(self, store: NotificationStore) -> None:
        loan_id, ended_first_loan = uuid.uuid4(), uuid.uuid4()
        plan_id, ended_first = uuid.uuid4(), uuid.uuid4()
        await store.note_plan(plan_id, loan_id, started=True)
        await store.note_plan(ended_first, ended_first_loan, ended=True)
        await store.note_plan(ended_first, ended_first_loan, started=True)

        assert await store.active_plans({loan_id, ended_first_loan}) == {loan_id}
        await store.note_plan(plan_id, loan_id, ended=True)
        await store.note_plan(plan_id, loan_id, started=True)  # a flag never turns off
        assert await store.active_plans({loan_id}) == set()

    async def test_the_ledger_after_a_break_is_found_by_the_plan_broken_first(self, store: NotificationStore) -> None:
        loan_id, plan_id, first_break, second_break = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        other = LedgerStatus(date(2031, 3, 4), 32, Money.of("800.00", "CNY"))
        await store.note_plan(plan_id, loan_id, ended=True, broken_by=first_break)
        await store.note_plan(plan_id, loan_id, ended=True, broken_by=second_break)  # a later PlanBroken: not its cause
        await store.keep_ledgers_after_breaks([(second_break, loan_id, other)])
        assert await store.ledgers_after_breaks({plan_id}) == {}

        await store.keep_ledgers_after_breaks([(first_break, loan_id, LEDGER), (first_break, loan_id, other)])
        await store.keep_ledgers_after_breaks([(first_break, loan_id, other)])  # the first one kept
        await store.keep_ledgers_after_breaks([])
        assert await store.ledgers_after_breaks({plan_id, uuid.uuid4()}) == {plan_id: LEDGER}

    async def test_a_loan_closes_once(self, store: NotificationStore) -> None:
        loan_id = uuid.uuid4()
        await store.close_loan(loan_id, LoanClosureReason.SOLD, date(2031, 3, 3))
        await store.close_loan(loan_id, LoanClosureReason.PAID_OFF, date(2031, 3, 4))

        assert await store.closures({loan_id, uuid.uuid4()}) == {loan_id: LoanClosureReason.SOLD}

    async def test_loans_are_locked_in_any_number_until_the_transaction_ends(self, kept: Kept) -> None:
        assert await kept.locks_held() == 0
        await kept.store.lock_loans({uuid.uuid4(), uuid.uuid4()})
        await kept.store.lock_loans(set())
        assert await kept.locks_held() == 2


def entry(message: StoredMessage, channel: Channel | None, decision: str, **fields: Any) -> LogEntry:
    values: dict[str, Any] = {"rule": None, "hold_until": None, "template": None, "subject": None, "body": None}
    return LogEntry(
        message.notification_id, message.loan_id, message.purpose, channel, decision, **{**values, **fields}, decided_at=AT
    )


class TestContactLog:
    async def test_decisions_are_logged_in_order_and_a_sent_ones_take_the_first_receipt(self, kept: Kept) -> None:
        message, store = notice(), kept.store
        await store.log([])
        await store.log(
            [
                entry(message, Channel.SMS, "held", rule="quiet_hours", hold_until=AT),
                entry(message, Channel.SMS, "sent", template="overdue_notice/sms.zh-CN@v1", body="…"),
                entry(message, None, "suppressed", rule="no_channel"),
            ]
        )

        assert await store.receipt(message.notification_id, Channel.SMS, "failed", "unreachable", AT)
        assert not await store.receipt(message.notification_id, Channel.SMS, "delivered", None, AT)  # one receipt
        assert not await store.receipt(message.notification_id, Channel.EMAIL, "delivered", None, AT)
        assert await kept.log() == [
            (message.notification_id, "sms", "held", "quiet_hours", None, None, None, None, None),
            (message.notification_id, "sms", "sent", None, "overdue_notice/sms.zh-CN@v1", "…", "failed", "unreachable", AT),
            (message.notification_id, "", "suppressed", "no_channel", None, None, None, None, None),
        ]
