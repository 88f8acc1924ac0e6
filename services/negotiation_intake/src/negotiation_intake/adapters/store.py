"""Loan views, applications and offers in Postgres (schema negotiation_intake)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from negotiation_intake.application.ports import Page
from negotiation_intake.domain.application import Application, Document, LoanView
from negotiation_intake.domain.application_state import State
from tideover_contracts.events.plans import PlanOffered
from tideover_runtime.database import Connection

_APPLICATION_COLUMNS = (
    "application_id, loan_id, borrower_id, state, reason, description, monthly_income, essential_expenses, currency, "
    "requested_options, agent_id, created_at, updated_at, version, offer_id, option_id, code_hash, code_expires_at, "
    "code_tries, rejection, needs_supervisor, approved_by, approval_note, chosen_by, sends_on, sends_that_day"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DOCUMENT_COLUMNS = (
    "document_id, application_id, kind, filename, media_type, size_bytes, sha256, uploaded_by, uploaded_at, status, "
    "review_note, reviewed_by, reviewed_at"
)


#: A page cursor: the last item's creation time (microseconds since the epoch) and id.
CURSOR_PATTERN = r"^[0-9]{1,16}_[0-9a-f]{32}$"


def cursor_of(created_at: datetime, application_id: uuid.UUID) -> str:
    microseconds = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{microseconds}_{application_id.hex}"


def position_of(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The page position a cursor names; ValueError if it is not one of ours."""
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise ValueError(f"not a page cursor: {cursor!r}")
    microseconds, application_id = cursor.split("_")
    return EPOCH + timedelta(microseconds=int(microseconds)), uuid.UUID(application_id)


def _application(row: asyncpg.Record) -> Application:
    values = dict(row)
    values["state"] = State(values["state"])
    values["requested_options"] = tuple(values["requested_options"])
    values["rejection"] = json.loads(values["rejection"]) if values["rejection"] else None
    return Application(**values)


class PostgresIntakeStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def loan(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanView | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(f"SELECT * FROM loan_views WHERE loan_id = $1{lock}", loan_id)
        if row is None:
            return None
        return LoanView(
            row["loan_id"], row["borrower_id"], row["overdue"], json.loads(row["snapshot"]), row["plan_id"], row["plan_status"]
        )

    async def upsert_loan(self, loan_id: uuid.UUID, borrower_id: str, overdue: bool, business_date: Any, snapshot: str) -> None:
        await self._connection.execute(
            """
            INSERT INTO loan_views (loan_id, borrower_id, overdue, business_date, snapshot) VALUES ($1, $2, $3, $4, $5::jsonb)
            ON CONFLICT (loan_id) DO UPDATE SET overdue = excluded.overdue, business_date = excluded.business_date,
                snapshot = CASE WHEN excluded.overdue THEN excluded.snapshot ELSE loan_views.snapshot END
            WHERE loan_views.business_date <= excluded.business_date
            """,
            loan_id,
            borrower_id,
            overdue,
            business_date,
            snapshot,
        )

    async def set_plan(self, loan_id: uuid.UUID, plan_id: uuid.UUID, status: str) -> None:
        """Record the plan's news. Its end stands whichever topic's event came first; the loan's
        view shows the plan in force, else the plan heard of last."""
        await self._connection.execute(
            """
            INSERT INTO plans (plan_id, loan_id, status) VALUES ($1, $2, $3)
            ON CONFLICT (plan_id) DO UPDATE SET status = excluded.status WHERE plans.status = 'active'
            """,
            plan_id,
            loan_id,
            status,
        )
        await self._connection.execute(
            """
            UPDATE loan_views SET plan_id = plans.plan_id, plan_status = plans.status FROM plans
            WHERE loan_views.loan_id = $1 AND plans.plan_id = $2
              AND NOT EXISTS (SELECT 1 FROM plans AS other
                              WHERE other.loan_id = $1 AND other.status = 'active' AND other.plan_id <> $2)
            """,
            loan_id,
            plan_id,
        )

    async def active_plan(self, loan_id: uuid.UUID) -> uuid.UUID | None:
        plan_id: uuid.UUID | None = await self._connection.fetchval(
            "SELECT plan_id FROM plans WHERE loan_id = $1 AND status = 'active' ORDER BY plan_id LIMIT 1", loan_id
        )
        return plan_id

    async def add_application(self, application: Application) -> None:
        values = application.__dict__.copy()
        values["state"] = application.state.value
        values["requested_options"] = list(application.requested_options)
        values["rejection"] = json.dumps(application.rejection) if application.rejection else None
        placeholders = ", ".join(f"${index}" for index in range(1, len(values) + 1))
        await self._connection.execute(
            f"INSERT INTO applications ({_APPLICATION_COLUMNS}) VALUES ({placeholders})", *values.values()
        )

    async def application(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"SELECT {_APPLICATION_COLUMNS} FROM applications WHERE application_id = $1{lock}", application_id
        )
        return _application(row) if row else None

    async def applications_for_loan(self, loan_id: uuid.UUID) -> list[Application]:
        rows = await self._connection.fetch(
            f"SELECT {_APPLICATION_COLUMNS} FROM applications WHERE loan_id = $1 ORDER BY created_at", loan_id
        )
        return [_application(row) for row in rows]

    async def applications(self, state: State | None, limit: int, after: str | None) -> Page:
        """Oldest first (a queue is worked from its oldest), `limit` at a time."""
        created_at, application_id = position_of(after) if after else (None, None)
        rows = await self._connection.fetch(
            f"""
            SELECT {_APPLICATION_COLUMNS} FROM applications
            WHERE ($1::text IS NULL OR state = $1)
              AND ($2::timestamptz IS NULL OR (created_at, application_id) > ($2, $3::uuid))
            ORDER BY created_at, application_id LIMIT $4
            """,
            state.value if state else None,
            created_at,
            application_id,
            limit + 1,
        )
        items = [_application(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, cursor_of(items[-1].created_at, items[-1].application_id) if more else None)

    async def update_application(self, application_id: uuid.UUID, **fields: Any) -> None:
        if isinstance(fields.get("state"), State):
            fields["state"] = fields["state"].value
        if "rejection" in fields:
            fields["rejection"] = json.dumps(fields["rejection"])
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(fields, start=2))
        await self._connection.execute(
            f"UPDATE applications SET {assignments}, version = version + 1 WHERE application_id = $1",
            application_id,
            *fields.values(),
        )

    async def add_offer(self, offer: PlanOffered, received_at: datetime) -> bool:
        return bool(
            await self._connection.fetchval(
                """
                INSERT INTO offers (offer_id, application_id, offer, received_at) VALUES ($1, $2, $3::jsonb, $4)
                ON CONFLICT (offer_id) DO NOTHING RETURNING true
                """,
                offer.offer_id,
                offer.application_id,
                offer.model_dump_json(),
                received_at,
            )
        )

    async def offers(self, application_id: uuid.UUID) -> list[PlanOffered]:
        rows = await self._connection.fetch(
            "SELECT offer FROM offers WHERE application_id = $1 ORDER BY received_at", application_id
        )
        return [PlanOffered.model_validate_json(row["offer"]) for row in rows]

    async def add_document(self, document: Document, content: bytes) -> None:
        await self._connection.execute(
            f"INSERT INTO evidence ({_DOCUMENT_COLUMNS}, content) VALUES ({', '.join(f'${n}' for n in range(1, 15))})",
            *document.__dict__.values(),
            content,
        )

    async def documents(self, application_id: uuid.UUID) -> list[Document]:
        rows = await self._connection.fetch(
            f"SELECT {_DOCUMENT_COLUMNS} FROM evidence WHERE application_id = $1 ORDER BY uploaded_at, document_id",
            application_id,
        )
        return [Document(**row) for row in rows]

    async def document(self, document_id: uuid.UUID, *, for_update: bool = False) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"SELECT {_DOCUMENT_COLUMNS} FROM evidence WHERE document_id = $1{lock}", document_id
        )
        return Document(**row) if row else None

    async def document_content(self, document_id: uuid.UUID) -> bytes | None:
        content: bytes | None = await self._connection.fetchval(
            "SELECT content FROM evidence WHERE document_id = $1", document_id
        )
        return content

    async def review_document(self, document_id: uuid.UUID, status: str, note: str, by: str, at: datetime) -> None:
        await self._connection.execute(
            "UPDATE evidence SET status = $2, review_note = $3, reviewed_by = $4, reviewed_at = $5 WHERE document_id = $1",
            document_id,
            status,
            note,
            by,
            at,
        )
