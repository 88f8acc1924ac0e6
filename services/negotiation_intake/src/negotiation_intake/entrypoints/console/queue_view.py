"""The work queue as an agent decides from it whom to call (issue 20, finding 9): its query string
read tolerantly, each loan's status and latest application in words (an accepted plan that broke
says so), its amount owed and days past due live from overdue-detection (the loan page's reading,
loan_summary.overdue_figures; intake's copy, flagged with its date, only when overdue-detection
does not answer), when the borrower was last contacted and when they may next be pressed for
payment (notification's). The page's figures come in one request to each service for the whole
page (console/upstream.py Upstream.queue); how the queue is sorted and filtered by days and amount
before the page is known, and why, is said in adapters/work_queue.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from negotiation_intake.adapters.work_queue import QUEUE_SORTS, QueueFilter, QueueRow
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.console.loan_summary import OverdueFigures, borrower_time_zone, overdue_figures
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
    """A row of the queue as the page shows it: the loan's overdue figures live from the ledger
    (else intake's copy, as of its date), its last contact and when the contact rules next let
    the borrower be pressed for payment (notification's; `contacts_known`, `windows_known`:
    whether notification answered), the times in the borrower's zone beside the lender's."""

    row: QueueRow
    status: str
    application: str
    figures: OverdueFigures
    last_contact: str | None
    contacts_known: bool
    window: Mapping[str, Any] | None
    windows_known: bool
    borrower_zone: str | None

    @property
    def owes(self) -> bool:
        """Whether the figures shown are owed: the ledger's always; a copy only while it says overdue
        (a cured loan's copy keeps the figures it last had overdue)."""
        return self.figures.live or self.row.overdue


def queue_lines(rows: Sequence[QueueRow], upstream: Mapping[str, Mapping[uuid.UUID, Any] | None]) -> list[QueueLine]:
    """The queue's rows with their words, figures and contacts (Upstream.queue's answers)."""
    live, contacts, windows = (upstream.get(name) for name in ("overdue", "contacts", "window"))
    return [
        QueueLine(
            row=row,
            status=loan_status(row.overdue, row.plan_status, row.snapshot),
            application=application_words(row.application_state, row.plan_status),
            figures=overdue_figures((live or {}).get(row.loan_id), _copy(row)),
            last_contact=last_contact((contacts or {}).get(row.loan_id)),
            contacts_known=contacts is not None,
            window=(windows or {}).get(row.loan_id),
            windows_known=windows is not None,
            borrower_zone=borrower_time_zone(row.snapshot),
        )
        for row in rows
    ]


def _copy(row: QueueRow) -> dict[str, Any]:
    """Intake's copy as of the last status event it heard: a cure keeps the snapshot it had
    overdue, but the copy is as of the cure."""
    return {**row.snapshot, "business_date": row.business_date.isoformat()}


def _shown_days(line: QueueLine) -> int:
    return (line.figures.days_past_due or 0) if line.owes else 0


def _shown_amount(line: QueueLine) -> Decimal:
    return Decimal(line.figures.total["amount"]) if line.owes and line.figures.total else Decimal(0)


_SHOWN_ORDER: dict[str, Callable[[QueueLine], Any]] = {"days_past_due": _shown_days, "overdue_total": _shown_amount}


def in_order_shown(lines: Sequence[QueueLine], query: QueueFilter) -> list[QueueLine]:
    """The page's rows in the order of the figures they show, when sorted by days past due or
    amount: the queue sorted the loans by what their copies imply today (adapters/work_queue.py),
    the page shows the ledger's figures, and where a copy lags (an event on its way, the penalty
    since the last weekly status) the page still reads in order. Stable: rows that show the same
    keep the queue's order."""
    shown = _SHOWN_ORDER.get(query.sort)
    return sorted(lines, key=shown, reverse=query.descending) if shown else list(lines)
