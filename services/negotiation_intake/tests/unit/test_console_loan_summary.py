"""What the loan page tells at a glance (issue 20, findings 1, 6, 7), below the template: the
overdue figures live from overdue-detection or, flagged, from intake's copy; the contact log
newest first; why no second application; times in the lender's zone, named."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError
from starlette.routing import Mount

from negotiation_intake.adapters.work_queue import QueueFilter, QueueRow
from negotiation_intake.domain.application import LoanView
from negotiation_intake.entrypoints.console import ConsoleSettings, mount_console
from negotiation_intake.entrypoints.console.i18n import DEFAULT_TIME_ZONE, Words
from negotiation_intake.entrypoints.console.loan_summary import (
    COPY,
    LEDGER,
    RECENT_CONTACTS,
    borrower_time_zone,
    contact_log,
    open_application,
    overdue_figures,
    refusal_to_open_another,
)
from negotiation_intake.entrypoints.console.queue_view import APPLICATION_STATES, STATUSES, queue_lines
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES, words
from negotiation_intake.entrypoints.console.sessions import STATE_KEY, Session
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events

START = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def overdue_status(as_of: str | None = "2026-09-10", **parts: str) -> dict[str, Any]:
    """An answer of overdue-detection's GET /v1/loans/{id}/overdue-status (its _status body)."""
    amounts = {"principal": "5000.00", "interest": "300.12", "fee": "50.00", "penalty": "81.20", **parts}
    return {
        "loan_id": str(uuid.uuid4()),
        "as_of": as_of,
        "status": "open",
        "overdue": True,
        "episode": 1,
        "days_past_due": 151,
        "bucket": "M5+",
        "oldest_overdue_due_date": "2026-04-12",
        "overdue_amounts": {part: cny(amount) for part, amount in amounts.items()},
        "charges_cap_applied": True,
        "penalty_rate": "0.0005",
        "credit": cny("0.00"),
        "remaining_schedule": [{"sequence": 8, "due_date": "2026-10-15", "outstanding": cny("348.33")}],
        "last_payments": [],
    }


def the_copy() -> dict[str, Any]:
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    return overdue.model_dump(mode="json")


def entry(minutes: int, decision: str = "sent", notification: str | None = None, **more: Any) -> dict[str, Any]:
    """A contact-log entry decided `minutes` after START (notification's /contact-log shape)."""
    return {
        "notification_id": notification or str(uuid.uuid4()),
        "purpose": "overdue_notice",
        "channel": "sms",
        "decision": decision,
        "rule": None,
        "held_until": None,
        "template": None,
        "subject": None,
        "body": None,
        "decided_at": (START + timedelta(minutes=minutes)).isoformat(),
        "receipt": None,
        "receipt_reason": None,
        "receipt_at": None,
        **more,
    }


def test_live_figures_are_overdue_detections_with_its_business_date() -> None:
    figures = overdue_figures(overdue_status(), the_copy())
    assert figures.source == LEDGER
    assert figures.live
    assert figures.as_of == "2026-09-10"
    assert (figures.days_past_due, figures.bucket, figures.oldest_due) == (151, "M5+", "2026-04-12")
    assert figures.total == cny("5431.32")
    assert figures.components["penalty"] == cny("81.20")
    assert figures.charges_cap_applied


def test_the_live_total_is_the_sum_of_the_live_components() -> None:
    figures = overdue_figures(overdue_status(principal="0.01", interest="0.00", fee="0.00", penalty="0.00"), the_copy())
    assert figures.total == cny("0.01")
    parts = sum(Decimal(money["amount"]) for money in figures.components.values() if money)
    assert figures.total is not None
    assert Decimal(figures.total["amount"]) == parts


@pytest.mark.parametrize("live", [None, overdue_status(as_of=None)], ids=["not answering", "no business day closed"])
def test_without_live_figures_the_copy_is_used_and_says_so(live: dict[str, Any] | None) -> None:
    figures = overdue_figures(live, the_copy())
    assert figures.source == COPY
    assert not figures.live
    assert figures.as_of == "2026-02-16"  # the copy's business date
    assert figures.total == cny("1045.00")
    assert figures.days_past_due == 1


def test_the_contact_log_is_newest_first_the_latest_few_apart() -> None:
    entries = [entry(minutes) for minutes in range(8)]  # notification answers oldest first
    log = contact_log({"entries": entries})
    assert log is not None
    assert [item["decided_at"] for item in log.recent] == [entries[n]["decided_at"] for n in (7, 6, 5, 4, 3)]
    assert len(log.recent) == RECENT_CONTACTS
    assert [item["decided_at"] for item in log.earlier] == [entries[n]["decided_at"] for n in (2, 1, 0)]
    assert log.last is entries[7]


def test_of_two_entries_decided_at_once_the_later_logged_is_newer() -> None:
    first, second = entry(0, "held"), entry(0, "sent")
    log = contact_log({"entries": [first, second]})
    assert log is not None
    assert log.recent == [second, first]


def test_no_answer_is_no_log_and_an_empty_log_has_no_last_contact() -> None:
    assert contact_log(None) is None
    empty = contact_log({"entries": []})
    assert empty is not None
    assert (empty.last, empty.next_held) == (None, None)


def test_the_next_contact_is_the_soonest_message_still_held() -> None:
    later = (START + timedelta(hours=20)).isoformat()
    sooner = (START + timedelta(hours=8)).isoformat()
    since_sent = (START + timedelta(hours=1)).isoformat()
    entries = [
        entry(0, "held", "a", held_until=since_sent, rule="quiet_hours"),
        entry(60, "sent", "a"),  # held, then sent: not waiting any more
        entry(61, "held", "b", held_until=later, rule="daily_limit"),
        entry(62, "held", "c", held_until=sooner, rule="quiet_hours"),
    ]
    log = contact_log({"entries": entries})
    assert log is not None
    assert log.next_held is entries[3]
    only_sent = contact_log({"entries": entries[:2]})
    assert only_sent is not None
    assert only_sent.next_held is None


def application(state: str) -> dict[str, Any]:
    return {"application_id": str(uuid.uuid4()), "state": state}


def loan(plan_status: str | None) -> LoanView:
    return LoanView(uuid.uuid4(), "B-000123", True, the_copy(), uuid.uuid4() if plan_status else None, plan_status)


def test_an_open_application_is_found_and_blocks_another() -> None:
    ended, open_one = application("withdrawn"), application("awaiting_approval")
    assert open_application([ended, open_one]) is open_one
    refusal = refusal_to_open_another(loan(None), [ended, open_one])
    assert refusal is not None
    assert refusal.rule == "application_open"
    assert refusal.names["application_id"] == open_one["application_id"]


def test_an_active_plan_blocks_a_new_application_and_ended_ones_do_not() -> None:
    ended = [application("withdrawn"), application("accepted")]
    assert open_application(ended) is None
    assert refusal_to_open_another(loan(None), ended) is None
    refusal = refusal_to_open_another(loan("active"), ended)
    assert refusal is not None
    assert refusal.rule == "plan_active"
    assert refusal_to_open_another(loan("broken"), ended) is None


def test_the_borrowers_time_zone_comes_from_the_copys_contact() -> None:
    assert borrower_time_zone(the_copy()) == "Asia/Shanghai"
    assert borrower_time_zone({"business_date": "2026-02-16"}) is None


#: CLDR writes a narrow no-break space before AM and PM.
@pytest.mark.parametrize(
    ("language", "zone", "written"),
    [
        ("en", DEFAULT_TIME_ZONE, "2/13/26, 10:00\u202fAM China Standard Time"),
        ("zh-CN", DEFAULT_TIME_ZONE, "2026/2/13 10:00 中国标准时间"),
        ("en", "Europe/London", "2/13/26, 2:00\u202fAM Greenwich Mean Time"),
        ("zh-CN", "America/New_York", "2026/2/12 21:00 北美东部标准时间"),
    ],
)
def test_an_instant_is_written_in_the_lenders_zone_and_names_it(language: str, zone: str, written: str) -> None:
    assert Words(language, zone).instant(START.isoformat()) == written


def test_an_instant_may_be_written_in_the_borrowers_zone() -> None:
    words = Words("en")  # the lender's zone: Asia/Shanghai
    assert words.instant(START, "America/New_York") == "2/12/26, 9:00\u202fPM Eastern Standard Time"
    assert words.instant(None) == "—"


def test_the_lenders_zone_is_a_console_setting_and_must_be_a_zone() -> None:
    assert ConsoleSettings().console_time_zone == DEFAULT_TIME_ZONE == "Asia/Shanghai"
    assert ConsoleSettings(console_time_zone="Europe/Berlin").console_time_zone == "Europe/Berlin"
    with pytest.raises(ValidationError):
        ConsoleSettings(console_time_zone="Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("language", "as_of", "bucket"),
    [("en", "as of Jun 28, 2027", "M1 (1–30 days)"), ("zh-CN", "截至 2027年6月28日", "M1（逾期1–30天）")],
)
def test_the_queues_figures_say_they_are_intakes_copy_and_as_of_when(language: str, as_of: str, bucket: str) -> None:
    """When overdue-detection does not answer, the queue shows intake's copy, each amount with
    the date it is as of (with it, the ledger's: test_console_queue_view.py)."""
    copy = {**the_copy(), "business_date": "2027-06-28"}
    row = QueueRow(uuid.uuid4(), "B-000123", True, date(2027, 6, 28), copy, None, None)
    html = TEMPLATES.get_template("queue.html").render(
        t=Words(language),
        lang=language,
        base=PREFIX,
        agent=None,
        csrf="token",
        here="/",
        flash=None,
        lines=queue_lines([row], {"overdue": None, "contacts": None, "window": None}),
        total=1,
        query=QueueFilter(),
        params={},
        pages=1,
        buckets=["M1", "M2"],
        statuses=STATUSES,
        application_states=APPLICATION_STATES,
        sorts=["days_past_due"],
    )
    cells = html.split(f'data-loan-id="{row.loan_id}"')[1].split("</tr>")[0]
    assert as_of in cells
    assert bucket in cells
    assert Words(language)("copy_as_of", date=Words(language).day("2027-06-28")) in unescape(cells)


def test_the_console_writes_times_in_the_zone_it_was_mounted_with() -> None:
    app = FastAPI()
    resources = SimpleNamespace(settings=SimpleNamespace(development=True))
    mount_console(app, lambda: resources, ConsoleSettings(console_time_zone="Europe/London"))  # type: ignore[arg-type, return-value]
    console = next(route.app for route in app.routes if isinstance(route, Mount) and route.path == PREFIX)
    request = Request({"type": "http", "app": console, "state": {STATE_KEY: Session(language="en")}})
    assert words(request).instant(START) == "2/13/26, 2:00\u202fAM Greenwich Mean Time"
