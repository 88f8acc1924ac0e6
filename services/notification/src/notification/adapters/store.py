"""Contacts, messages, plans and the contact log in Postgres (schema notification): the
messages and the log in adapters/messages_store.py, the rest here."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime

from notification.adapters.messages_store import PostgresMessages
from notification.application.ports import LedgerStatus
from notification.domain.messages import Contact, PagePreferences
from tideover_contracts.common import Channel, Jurisdiction, Language, Locale
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosureReason
from tideover_contracts.events.negotiation import ContactPreferencesChosen, PreferredHours
from tideover_contracts.money import Money


class PostgresNotificationStore(PostgresMessages):
    """The NotificationStore port (application/ports.py) on one connection."""

    async def add_contact(self, loan: LoanBooked) -> None:
        borrower = loan.borrower
        await self._connection.execute(
            """
            INSERT INTO contacts (loan_id, borrower_id, name, phone, email, locale, time_zone, jurisdiction, preferred_channels,
                                  push_token, language)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (loan_id) DO NOTHING
            """,
            loan.loan_id,
            borrower.borrower_id,
            borrower.name,
            borrower.phone,
            borrower.email,
            borrower.locale.value,
            borrower.time_zone,
            borrower.jurisdiction.value,
            [channel.value for channel in borrower.preferred_channels],
            borrower.push_token,
            borrower.language.value if borrower.language else None,
        )

    async def change_contact(self, change: BorrowerContactChanged) -> bool:
        status = await self._connection.execute(
            """
            UPDATE contacts SET phone = coalesce($2, phone), email = coalesce($3, email), locale = coalesce($4, locale),
                   time_zone = coalesce($5, time_zone), preferred_channels = coalesce($6, preferred_channels),
                   opted_out_channels = $7, do_not_contact = $8, push_token = coalesce($9, push_token),
                   language = coalesce($10, language)
            WHERE loan_id = $1
            """,
            change.loan_id,
            change.phone,
            change.email,
            change.locale.value if change.locale else None,
            change.time_zone,
            [c.value for c in change.preferred_channels] if change.preferred_channels else None,
            [c.value for c in change.opted_out_channels],
            change.do_not_contact,
            change.push_token,
            change.language.value if change.language else None,
        )
        return bool(status != "UPDATE 0")

    async def contacts(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Contact]:
        rows = await self._connection.fetch("SELECT * FROM contacts WHERE loan_id = ANY($1::uuid[])", list(loan_ids))
        return {
            row["loan_id"]: Contact(
                loan_id=row["loan_id"],
                borrower_id=row["borrower_id"],
                phone=row["phone"],
                email=row["email"],
                push_token=row["push_token"],
                locale=Locale(row["locale"]),
                language=Language(row["language"]) if row["language"] else None,
                time_zone=row["time_zone"],
                jurisdiction=Jurisdiction(row["jurisdiction"]),
                preferred_channels=tuple(Channel(c) for c in row["preferred_channels"]),
                opted_out_channels=tuple(Channel(c) for c in row["opted_out_channels"]),
                do_not_contact=row["do_not_contact"],
            )
            for row in rows
        }

    async def keep_page_preferences(self, chosen: ContactPreferencesChosen) -> None:
        """The borrower's latest choice on their page stands: an older one read later changes nothing."""
        hours = chosen.preferred_hours
        await self._connection.execute(
            """
            INSERT INTO page_preferences (loan_id, change_id, preferred_channels, opted_out_channels, hours_start, hours_end,
                                          chosen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (loan_id) DO UPDATE SET
                change_id = excluded.change_id, preferred_channels = excluded.preferred_channels,
                opted_out_channels = excluded.opted_out_channels, hours_start = excluded.hours_start,
                hours_end = excluded.hours_end, chosen_at = excluded.chosen_at
            WHERE page_preferences.chosen_at <= excluded.chosen_at
            """,
            chosen.loan_id,
            chosen.change_id,
            [channel.value for channel in chosen.preferred_channels],
            [channel.value for channel in chosen.opted_out_channels],
            hours.start if hours else None,
            hours.end if hours else None,
            chosen.chosen_at,
        )

    async def page_preferences(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, PagePreferences]:
        rows = await self._connection.fetch("SELECT * FROM page_preferences WHERE loan_id = ANY($1::uuid[])", list(loan_ids))
        return {
            row["loan_id"]: PagePreferences(
                loan_id=row["loan_id"],
                change_id=row["change_id"],
                preferred_channels=tuple(Channel(c) for c in row["preferred_channels"]),
                opted_out_channels=tuple(Channel(c) for c in row["opted_out_channels"]),
                hours=PreferredHours(start=row["hours_start"], end=row["hours_end"]) if row["hours_start"] else None,
                chosen_at=row["chosen_at"],
            )
            for row in rows
        }

    async def active_plans(self, loan_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """The loans with a plan started and not ended."""
        rows = await self._connection.fetch(
            "SELECT loan_id FROM plan_states WHERE started AND NOT ended AND loan_id = ANY($1::uuid[])", list(loan_ids)
        )
        return {row["loan_id"] for row in rows}

    async def note_plan(
        self,
        plan_id: uuid.UUID,
        loan_id: uuid.UUID,
        *,
        started: bool = False,
        ended: bool = False,
        broken_by: uuid.UUID | None = None,
    ) -> None:
        """What an event says of a plan; the flags only ever turn on, and the PlanBroken that
        ended it is the first one read: the same in whatever order the events come."""
        await self._connection.execute(
            """
            INSERT INTO plan_states (plan_id, loan_id, started, ended, broken_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (plan_id) DO UPDATE SET
                started = plan_states.started OR excluded.started,
                ended = plan_states.ended OR excluded.ended,
                broken_by = coalesce(plan_states.broken_by, excluded.broken_by)
            """,
            plan_id,
            loan_id,
            started,
            ended,
            broken_by,
        )

    async def keep_ledgers_after_breaks(self, statuses: list[tuple[uuid.UUID, uuid.UUID, LedgerStatus]]) -> None:
        """Each (PlanBroken event id, loan, the ledger's status it caused); the first one kept."""
        if not statuses:
            return
        await self._connection.execute(
            """
            INSERT INTO ledger_after_breaks (broken_by, loan_id, as_of, days_past_due, overdue_total, currency)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::int[], $5::numeric[], $6::text[])
            ON CONFLICT (broken_by) DO NOTHING
            """,
            [broken_by for broken_by, _, _ in statuses],
            [loan_id for _, loan_id, _ in statuses],
            [status.as_of for _, _, status in statuses],
            [status.days_past_due for _, _, status in statuses],
            [status.overdue_total.amount for _, _, status in statuses],
            [status.overdue_total.currency for _, _, status in statuses],
        )

    async def ledgers_after_breaks(self, plan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LedgerStatus]:
        """The ledger's status after each plan broke, by plan, for those known."""
        rows = await self._connection.fetch(
            """
            SELECT p.plan_id, l.as_of, l.days_past_due, l.overdue_total, l.currency
            FROM plan_states p JOIN ledger_after_breaks l ON l.broken_by = p.broken_by
            WHERE p.plan_id = ANY($1::uuid[])
            """,
            list(plan_ids),
        )
        return {
            row["plan_id"]: LedgerStatus(row["as_of"], row["days_past_due"], Money.of(row["overdue_total"], row["currency"]))
            for row in rows
        }

    async def close_loan(self, loan_id: uuid.UUID, reason: LoanClosureReason, closed_on: date) -> None:
        """A loan closes once: a repeated LoanClosed changes nothing."""
        await self._connection.execute(
            "INSERT INTO loan_closures VALUES ($1, $2, $3) ON CONFLICT (loan_id) DO NOTHING", loan_id, reason.value, closed_on
        )

    async def closures(self, loan_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, LoanClosureReason]:
        rows = await self._connection.fetch(
            "SELECT loan_id, reason FROM loan_closures WHERE loan_id = ANY($1::uuid[])", list(loan_ids)
        )
        return {row["loan_id"]: LoanClosureReason(row["reason"]) for row in rows}

    async def lock_loans(self, loan_ids: Collection[uuid.UUID]) -> None:
        """Hold each loan's lock to the end of the transaction, in one order (no deadlock): the
        two halves of a fact that comes on two topics are then read and written one at a time."""
        await self._connection.execute(
            """
            SELECT pg_advisory_xact_lock(hashtextextended('notification loan ' || loan_id::text, 0))
            FROM unnest($1::uuid[]) WITH ORDINALITY AS ids(loan_id, n) ORDER BY n
            """,
            sorted(loan_ids),
        )

    async def record_conversation(self, loan_id: uuid.UUID, at: datetime) -> None:
        await self._connection.execute(
            """
            INSERT INTO conversations VALUES ($1, $2)
            ON CONFLICT (loan_id) DO UPDATE SET last_at = greatest(conversations.last_at, excluded.last_at)
            """,
            loan_id,
            at,
        )
