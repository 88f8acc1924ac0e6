"""Loan views, applications and offers in Postgres (schema negotiation_intake)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from negotiation_intake.application.ports import Application, Document, LoanView, Page
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


def _cursor(created_at: datetime, application_id: uuid.UUID) -> str:
    microseconds = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{microseconds}_{application_id.hex}"


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
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
        created_at, application_id = _position(after) if after else (None, None)
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
        return Page(items, _cursor(items[-1].created_at, items[-1].application_id) if more else None)

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


@dataclass(frozen=True)
class QueueFilter:
    """The agents' work queue: which loans, in which order, which page (1-based)."""

    bucket: str | None = None
    min_days_past_due: int | None = None
    status: str | None = None  # "overdue", "under_plan" or "cured"
    has_application: bool | None = None
    search: str | None = None  # a loan id or a borrower reference, or the start of one
    sort: str = "days_past_due"
    descending: bool = True
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class QueueRow:
    loan_id: uuid.UUID
    borrower_id: str
    overdue: bool
    business_date: date
    snapshot: dict[str, Any]
    plan_status: str | None
    application_state: str | None


#: The orders the queue may be sorted in (a whitelist: the column is not the caller's text).
QUEUE_SORTS = {
    "days_past_due": "coalesce((snapshot->>'days_past_due')::int, 0)",
    "overdue_total": "coalesce((snapshot->'overdue'->'total'->>'amount')::numeric, 0)",
    "business_date": "business_date",
    "borrower": "borrower_id",
}
_QUEUE_STATUS = {
    "overdue": "overdue AND NOT coalesce((snapshot->>'under_plan')::boolean, false) AND plan_status IS DISTINCT FROM 'active'",
    "under_plan": "(coalesce((snapshot->>'under_plan')::boolean, false) OR plan_status = 'active')",
    "cured": "NOT overdue",
}


async def work_queue(connection: Connection, query: QueueFilter) -> tuple[list[QueueRow], int]:
    """One page of the loans intake knows (from overdue.status.v1), filtered and sorted, and
    how many match in all."""
    conditions = [
        "($1::text IS NULL OR snapshot->>'bucket' = $1)",
        "($2::int IS NULL OR coalesce((snapshot->>'days_past_due')::int, 0) >= $2)",
        "($3::boolean IS NULL OR EXISTS (SELECT 1 FROM applications a WHERE a.loan_id = l.loan_id) = $3)",
        "($4::text IS NULL OR l.loan_id::text LIKE $4 || '%' OR l.borrower_id ILIKE '%' || $4 || '%')",
    ]
    if query.status in _QUEUE_STATUS:
        conditions.append(_QUEUE_STATUS[query.status])
    where = " AND ".join(conditions)
    order = f"{QUEUE_SORTS.get(query.sort, QUEUE_SORTS['days_past_due'])} {'DESC' if query.descending else 'ASC'}"
    search = query.search.strip().lower() if query.search and query.search.strip() else None
    arguments = (query.bucket or None, query.min_days_past_due, query.has_application, search)
    total = await connection.fetchval(f"SELECT count(*) FROM loan_views l WHERE {where}", *arguments)
    rows = await connection.fetch(
        f"""
        SELECT l.loan_id, l.borrower_id, l.overdue, l.business_date, l.snapshot, l.plan_status,
               (SELECT a.state FROM applications a WHERE a.loan_id = l.loan_id ORDER BY a.created_at DESC LIMIT 1)
                   AS application_state
        FROM loan_views l WHERE {where} ORDER BY {order}, l.loan_id LIMIT $5 OFFSET $6
        """,
        *arguments,
        query.per_page,
        (max(query.page, 1) - 1) * query.per_page,
    )
    items = [QueueRow(**{**dict(row), "snapshot": json.loads(row["snapshot"])}) for row in rows]
    return items, int(total)
