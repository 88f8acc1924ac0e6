"""The work queue as an agent decides from it whom to call (issue 20, finding 9): its query string
read tolerantly, each loan's status and latest application in words (an accepted plan that broke
says so), and when the borrower was last contacted (notification's contact log)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from negotiation_intake.adapters.work_queue import QUEUE_SORTS, QueueFilter, QueueRow
from negotiation_intake.domain.application_state import State
from tideover_contracts.common import Bucket

PER_PAGE = 25
STATUSES = ("overdue", "under_plan", "cured")
#: The application-state filter's value for a loan that has no application.
NO_APPLICATION = "none"
#: The states the queue filters by, those that wait on the agent first.
APPLICATION_STATES = (
    State.OFFERED,
    State.AWAITING_APPROVAL,
    State.CHOSEN,
    State.SENT,
    State.DRAFT,
    State.SUBMITTED,
    State.ACCEPTED,
    State.DECLINED,
    State.WITHDRAWN,
    State.EXPIRED,
    State.REJECTED,
)
#: Bounds of the queue's numbers: a page past the last is empty, a loan is not a century overdue;
#: what lies beyond is taken as the bound, so no number overflows a query's parameter.
MAX_PAGE = 100_000
MAX_DAYS_PAST_DUE = 36_500
#: The search box's text at most; control characters (a NUL cannot be a Postgres text) are dropped.
MAX_SEARCH = 100


def _whole(value: str | None, at_most: int) -> int | None:
    """A whole number in ASCII digits ("²" is a digit to str.isdigit, not to int), capped."""
    digits = (value or "").strip()
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return at_most if len(digits) > len(str(at_most)) else min(int(digits), at_most)


def _search(value: str | None) -> str | None:
    text = "".join(char for char in (value or "") if char.isprintable())[:MAX_SEARCH].strip()
    return text or None


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _application_state(value: str | None) -> str | None:
    known = {NO_APPLICATION, *(state.value for state in APPLICATION_STATES)}
    return value if value in known else None


def queue_filter(params: dict[str, str]) -> QueueFilter:
    """The queue's query string, tolerant: what does not parse is no filter."""
    return QueueFilter(
        bucket=params.get("bucket") if params.get("bucket") in {bucket.value for bucket in Bucket} else None,
        min_days_past_due=_whole(params.get("min_dpd"), MAX_DAYS_PAST_DUE),
        status=params.get("status") if params.get("status") in STATUSES else None,
        has_application=_yes_no(params.get("has_application")),
        application_state=_application_state(params.get("application_state")),
        search=_search(params.get("q")),
        sort=sort if (sort := params.get("sort", "")) in QUEUE_SORTS else "days_past_due",
        descending=params.get("order") != "asc",
        page=max(_whole(params.get("page"), MAX_PAGE) or 1, 1),
        per_page=PER_PAGE,
    )


def loan_status(overdue: bool, plan_status: str | None, snapshot: Mapping[str, Any]) -> str:
    """The words (a locale key) for where the loan stands; a broken plan before the copy of the
    overdue status says "under plan" again is named, not hidden behind the plan it was."""
    if not overdue:
        if plan_status == "active":
            return "loan_status_under_plan"
        return "loan_status_current" if "next_due_date" in snapshot else "loan_status_cured"
    if plan_status == "broken":
        return "loan_status_plan_broken"
    if snapshot.get("under_plan") or plan_status == "active":
        return "loan_status_under_plan"
    return "loan_status_overdue"


def application_words(state: str | None, plan_status: str | None) -> str:
    """The latest application's state in words (a locale key): an accepted one whose plan broke
    or was completed says what became of the plan."""
    if state is None:
        return "no_application"
    if state == State.ACCEPTED and plan_status in ("broken", "completed"):
        return f"application_plan_{plan_status}"
    return f"state_{state}"


def last_contact(log: Mapping[str, Any] | None) -> str | None:
    """When a message last went to the borrower (the latest entry notification sent), ISO."""
    sent = [entry["decided_at"] for entry in (log or {}).get("entries", []) if entry.get("decision") == "sent"]
    return max(sent, key=datetime.fromisoformat, default=None)


@dataclass(frozen=True)
class QueueLine:
    row: QueueRow
    status: str
    application: str
    last_contact: str | None
    contacts_known: bool


def queue_lines(rows: Sequence[QueueRow], logs: Mapping[uuid.UUID, Any | None]) -> list[QueueLine]:
    """The queue's rows with their words and last contact (unknown when notification is silent)."""
    return [
        QueueLine(
            row=row,
            status=loan_status(row.overdue, row.plan_status, row.snapshot),
            application=application_words(row.application_state, row.plan_status),
            last_contact=last_contact(logs.get(row.loan_id)),
            contacts_known=logs.get(row.loan_id) is not None,
        )
        for row in rows
    ]
