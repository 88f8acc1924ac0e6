"""The work queue helps decide whom to call (issue 20, finding 9): it filters by the state of the
latest application, says in words where each loan and its application stand (a plan that broke
is named, not shown as "accepted"), when the borrower was last contacted, and links each loan by
words rather than a truncated id."""

from __future__ import annotations

import uuid
from datetime import date
from html import unescape
from typing import Any

import pytest

from negotiation_intake.adapters.work_queue import QueueFilter, QueueRow
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.queue_view import (
    APPLICATION_STATES,
    STATUSES,
    application_words,
    last_contact,
    loan_status,
    queue_filter,
    queue_lines,
)
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events


@pytest.mark.parametrize(
    ("given", "read"),
    [("offered", "offered"), ("awaiting_approval", "awaiting_approval"), ("none", "none"), ("bogus", None), ("", None)],
)
def test_the_queue_filters_by_a_known_application_state_or_none(given: str, read: str | None) -> None:
    assert queue_filter({"application_state": given}).application_state == read


@pytest.mark.parametrize(
    ("overdue", "plan_status", "snapshot", "words"),
    [
        (True, "broken", {"under_plan": True}, "loan_status_plan_broken"),
        (True, "active", {}, "loan_status_under_plan"),
        (True, None, {"under_plan": False}, "loan_status_overdue"),
        (False, "active", {}, "loan_status_under_plan"),
        (False, None, {}, "loan_status_cured"),
    ],
)
def test_the_loans_status_names_a_broken_plan(
    overdue: bool, plan_status: str | None, snapshot: dict[str, Any], words: str
) -> None:
    assert loan_status(overdue, plan_status, snapshot) == words


def test_an_accepted_application_whose_plan_broke_says_so() -> None:
    assert application_words("accepted", "broken") == "application_plan_broken"
    assert application_words("accepted", "active") == "state_accepted"
    assert application_words("offered", "broken") == "state_offered"
    assert application_words(None, None) == "no_application"


def entry(decision: str, at: str) -> dict[str, Any]:
    return {"decision": decision, "decided_at": at, "purpose": "overdue_notice", "channel": "sms"}


def test_the_last_contact_is_the_latest_message_sent() -> None:
    log = {
        "entries": [
            entry("sent", "2027-06-18T02:00:00+00:00"),
            entry("sent", "2027-06-25T09:30:00+00:00"),
            entry("held", "2027-06-26T13:00:00+00:00"),  # held by quiet hours: not a contact
            entry("suppressed", "2027-06-27T08:00:00+00:00"),
        ]
    }
    assert last_contact(log) == "2027-06-25T09:30:00+00:00"
    assert last_contact({"entries": [entry("held", "2027-06-26T13:00:00+00:00")]}) is None
    assert last_contact(None) is None


def row(borrower: str, plan_status: str | None, application_state: str | None) -> QueueRow:
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    return QueueRow(
        loan_id=uuid.uuid4(),
        borrower_id=borrower,
        overdue=True,
        business_date=date(2027, 6, 28),
        snapshot=overdue.model_dump(mode="json"),
        plan_status=plan_status,
        application_state=application_state,
    )


def render(rows: list[QueueRow], logs: dict[uuid.UUID, Any], query: QueueFilter, lang: str = "en") -> str:
    return TEMPLATES.get_template("queue.html").render(
        t=Words(lang),
        lang=lang,
        base=PREFIX,
        agent=None,
        csrf="token",
        here="/",
        flash=None,
        lines=queue_lines(rows, logs),
        total=len(rows),
        query=query,
        params={},
        pages=1,
        buckets=["M1", "M2"],
        statuses=STATUSES,
        application_states=APPLICATION_STATES,
        sorts=["days_past_due"],
    )


def test_the_queue_shows_the_application_in_words_the_last_contact_and_readable_links() -> None:
    broken = row("B-000777", "broken", "accepted")
    fresh = row("B-000888", None, None)
    logs = {broken.loan_id: {"entries": [entry("sent", "2027-06-25T09:30:00+00:00")]}, fresh.loan_id: None}
    html = unescape(render([broken, fresh], logs, QueueFilter(application_state="awaiting_approval")))
    assert f'href="{PREFIX}/loans/{broken.loan_id}">Loan of B-000777</a>' in html
    assert "…" not in html  # no truncated id
    broken_row = html.split(f'data-loan-id="{broken.loan_id}"')[1].split("</tr>")[0]
    assert "Overdue, plan broken" in broken_row
    assert "accepted, plan broken" in broken_row
    assert "6/25/27" in broken_row  # the last contact
    fresh_row = html.split(f'data-loan-id="{fresh.loan_id}"')[1].split("</tr>")[0]
    assert "No application" in fresh_row
    assert "Not available." in fresh_row  # notification did not answer for it
    assert '<option value="awaiting_approval" selected>awaiting approval</option>' in html
    assert '<option value="none" >No application</option>' in html


def test_the_queue_in_chinese_says_it_in_chinese() -> None:
    broken = row("B-000777", "broken", "accepted")
    html = unescape(render([broken], {broken.loan_id: {"entries": []}}, QueueFilter(), "zh-CN"))
    assert "B-000777 的贷款" in html
    assert "已接受，方案已违约" in html
    assert "尚未联系" in html
