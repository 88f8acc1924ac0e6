"""The agents' work queue: the loans intake knows, filtered, sorted and paged (Postgres)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from tideover_runtime.database import Connection


@dataclass(frozen=True)
class QueueFilter:
    """The agents' work queue: which loans, in which order, which page (1-based)."""

    bucket: str | None = None
    min_days_past_due: int | None = None
    status: str | None = None  # "overdue", "under_plan" or "cured"
    has_application: bool | None = None
    #: The state of the loan's latest application, or "none" for a loan without any.
    application_state: str | None = None
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
_LATEST_APPLICATION_STATE = "(SELECT a.state FROM applications a WHERE a.loan_id = l.loan_id ORDER BY a.created_at DESC LIMIT 1)"


async def work_queue(connection: Connection, query: QueueFilter) -> tuple[list[QueueRow], int]:
    """One page of the loans intake knows (from overdue.status.v1), filtered and sorted, and
    how many match in all."""
    conditions = [
        "($1::text IS NULL OR snapshot->>'bucket' = $1)",
        "($2::int IS NULL OR coalesce((snapshot->>'days_past_due')::int, 0) >= $2)",
        "($3::boolean IS NULL OR EXISTS (SELECT 1 FROM applications a WHERE a.loan_id = l.loan_id) = $3)",
        "($4::text IS NULL OR l.loan_id::text LIKE $4 || '%' OR l.borrower_id ILIKE '%' || $4 || '%')",
        f"($5::text IS NULL OR coalesce({_LATEST_APPLICATION_STATE}, 'none') = $5)",
    ]
    if query.status in _QUEUE_STATUS:
        conditions.append(_QUEUE_STATUS[query.status])
    where = " AND ".join(conditions)
    order = f"{QUEUE_SORTS.get(query.sort, QUEUE_SORTS['days_past_due'])} {'DESC' if query.descending else 'ASC'}"
    search = query.search.strip().lower() if query.search and query.search.strip() else None
    arguments = (query.bucket or None, query.min_days_past_due, query.has_application, search, query.application_state)
    total = await connection.fetchval(f"SELECT count(*) FROM loan_views l WHERE {where}", *arguments)
    rows = await connection.fetch(
        f"""
        SELECT l.loan_id, l.borrower_id, l.overdue, l.business_date, l.snapshot, l.plan_status,
               {_LATEST_APPLICATION_STATE} AS application_state
        FROM loan_views l WHERE {where} ORDER BY {order}, l.loan_id LIMIT $6 OFFSET $7
        """,
        *arguments,
        query.per_page,
        (max(query.page, 1) - 1) * query.per_page,
    )
    items = [QueueRow(**{**dict(row), "snapshot": json.loads(row["snapshot"])}) for row in rows]
    return items, int(total)
