"""The agents' work queue: the loans intake knows, filtered, sorted and paged (Postgres).

What intake knows of a loan is its copy of the last overdue status event, told at once when the
bucket changes, a payment moves the arrears, a plan starts or ends or the loan is cured, and else
weekly (DESIGN.md §4): between two events only the days past due and the penalty move. The page
shows each loan's live figures from overdue-detection, the book of record (console/queue_view.py);
the queue is sorted and filtered here, before the page is known, so by what the copy implies
today (issue 20, finding 9):

- days past due: the copy's, plus the days since the copy's business date while the loan is
  overdue and no plan holds its delinquency clock (a plan's days stand still, DESIGN.md §3),
  to the latest business date intake knows of (`TODAY`); a cured loan owes no days. Days past
  due count calendar days (business date − due date), so this is what the ledger shows unless
  an event is still on its way. It never runs ahead of the ledger: `TODAY` is a close intake
  has heard of, never the wall clock's date before the day's close.
- the amount overdue: the copy's (nothing for a cured loan). The penalty accrued since the copy
  is the ledger's to compute — a second rule for it here would drift — and moves the order only
  among loans whose amounts differ by less than a week's penalty.

The page puts its rows in the order of the figures it shows (console/queue_view.py), so that a
page reads in order even where a copy lags; across pages the order is this one."""

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
    #: What the copy implies today (DAYS_PAST_DUE_TODAY): the queue's order and its filter.
    days_past_due_today: int | None = None


#: The latest business date intake knows of: the newest copy's, or a close it recorded itself
#: (on the business clock it follows ops.clock.v1).
TODAY = """
    SELECT greatest((SELECT max(business_date) FROM loan_views), (SELECT max(business_date) FROM business_calendar))
"""
_UNDER_PLAN = "(coalesce((l.snapshot->>'under_plan')::boolean, false) OR l.plan_status IS NOT DISTINCT FROM 'active')"
_COPY_DAYS = "coalesce((l.snapshot->>'days_past_due')::int, 0)"
#: The days past due the copy implies at TODAY ($6): see the module's docstring.
DAYS_PAST_DUE_TODAY = f"""
    CASE WHEN NOT l.overdue THEN 0
         WHEN {_UNDER_PLAN} THEN {_COPY_DAYS}
         ELSE {_COPY_DAYS} + greatest($6::date - l.business_date, 0) END
"""
OVERDUE_TOTAL = "CASE WHEN l.overdue THEN coalesce((l.snapshot->'overdue'->'total'->>'amount')::numeric, 0) ELSE 0 END"
#: The orders the queue may be sorted in (a whitelist: the column is not the caller's text).
QUEUE_SORTS = {
    "days_past_due": DAYS_PAST_DUE_TODAY,
    "overdue_total": OVERDUE_TOTAL,
    "business_date": "l.business_date",
    "borrower": "l.borrower_id",
}
_QUEUE_STATUS = {
    "overdue": f"l.overdue AND NOT {_UNDER_PLAN}",
    "under_plan": _UNDER_PLAN,
    "cured": "NOT l.overdue",
}
_LATEST_APPLICATION_STATE = "(SELECT a.state FROM applications a WHERE a.loan_id = l.loan_id ORDER BY a.created_at DESC LIMIT 1)"


async def work_queue(connection: Connection, query: QueueFilter) -> tuple[list[QueueRow], int]:
    """One page of the loans intake knows (from overdue.status.v1), filtered and sorted by what
    their copies imply today (the module's docstring), and how many match in all."""
    conditions = [
        "($1::text IS NULL OR l.snapshot->>'bucket' = $1)",
        f"($2::int IS NULL OR {DAYS_PAST_DUE_TODAY} >= $2)",
        "($3::boolean IS NULL OR EXISTS (SELECT 1 FROM applications a WHERE a.loan_id = l.loan_id) = $3)",
        "($4::text IS NULL OR l.loan_id::text LIKE $4 || '%' OR l.borrower_id ILIKE '%' || $4 || '%')",
        f"($5::text IS NULL OR coalesce({_LATEST_APPLICATION_STATE}, 'none') = $5)",
    ]
    if query.status in _QUEUE_STATUS:
        conditions.append(_QUEUE_STATUS[query.status])
    where = " AND ".join(conditions)
    order = f"{QUEUE_SORTS.get(query.sort, QUEUE_SORTS['days_past_due'])} {'DESC' if query.descending else 'ASC'}"
    search = query.search.strip().lower() if query.search and query.search.strip() else None
    today = await connection.fetchval(TODAY)
    arguments = (query.bucket or None, query.min_days_past_due, query.has_application, search, query.application_state, today)
    total = await connection.fetchval(f"SELECT count(*) FROM loan_views l WHERE {where}", *arguments)
    rows = await connection.fetch(
        f"""
        SELECT l.loan_id, l.borrower_id, l.overdue, l.business_date, l.snapshot, l.plan_status,
               {_LATEST_APPLICATION_STATE} AS application_state, {DAYS_PAST_DUE_TODAY} AS days_past_due_today
        FROM loan_views l WHERE {where} ORDER BY {order}, l.loan_id LIMIT $7 OFFSET $8
        """,
        *arguments,
        query.per_page,
        (max(query.page, 1) - 1) * query.per_page,
    )
    items = [QueueRow(**{**dict(row), "snapshot": json.loads(row["snapshot"])}) for row in rows]
    return items, int(total)
