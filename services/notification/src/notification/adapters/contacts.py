"""Contacts and the contact log in Postgres (schema notification)."""

from __future__ import annotations

import uuid
from datetime import datetime

from notification.application.ports import Contact, Decision
from tideover_contracts.common import Channel, Jurisdiction, Locale
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked
from tideover_runtime.database import Connection


class PostgresContacts:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, loan: LoanBooked) -> None:
        borrower = loan.borrower
        await self._connection.execute(
            """
            INSERT INTO contacts (loan_id, borrower_id, name, phone, email, locale, time_zone, jurisdiction, preferred_channels)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (loan_id) DO NOTHING
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
        )

    async def change(self, change: BorrowerContactChanged) -> bool:
        status = await self._connection.execute(
            """
            UPDATE contacts SET phone = coalesce($2, phone), email = coalesce($3, email), locale = coalesce($4, locale),
                   time_zone = coalesce($5, time_zone), preferred_channels = coalesce($6, preferred_channels),
                   opted_out_channels = $7, do_not_contact = $8
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
        )
        return bool(status != "UPDATE 0")

    async def get(self, loan_id: uuid.UUID) -> Contact | None:
        row = await self._connection.fetchrow("SELECT * FROM contacts WHERE loan_id = $1", loan_id)
        if row is None:
            return None
        return Contact(
            loan_id=row["loan_id"],
            borrower_id=row["borrower_id"],
            phone=row["phone"],
            email=row["email"],
            locale=Locale(row["locale"]),
            time_zone=row["time_zone"],
            jurisdiction=Jurisdiction(row["jurisdiction"]),
            preferred_channels=tuple(Channel(c) for c in row["preferred_channels"]),
            opted_out_channels=tuple(Channel(c) for c in row["opted_out_channels"]),
            do_not_contact=row["do_not_contact"],
        )

    async def log(self, decision: Decision) -> bool:
        """False when this notification was decided before (a duplicate becomes one message)."""
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO contact_log (notification_id, loan_id, purpose, channel, decision, rule, body, decided_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notification_id) DO NOTHING RETURNING true
                """,
                decision.notification_id,
                decision.loan_id,
                decision.purpose,
                decision.channel.value,
                decision.decision,
                decision.rule,
                decision.body,
                decision.decided_at,
            )
        )

    async def receipt(self, notification_id: uuid.UUID, receipt: str, reason: str | None, at: datetime) -> bool:
        status = await self._connection.execute(
            "UPDATE contact_log SET receipt = $2, receipt_reason = $3, receipt_at = $4 WHERE notification_id = $1",
            notification_id,
            receipt,
            reason,
            at,
        )
        return bool(status != "UPDATE 0")
