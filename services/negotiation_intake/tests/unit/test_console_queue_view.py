"""The work queue helps decide whom to call (issue 20, finding 9): it filters by the state of the
latest application, says in words where each loan and its application stand (a plan that broke
is named, not shown as "accepted"), shows each loan's amount owed and days past due live from
overdue-detection (intake's copy, flagged with its date, only when it does not answer) in the
order of what it shows, when the borrower was last contacted and when they may next be pressed
for payment (the zone named), asks each service once for the whole page, and links each loan by
words rather than a truncated id."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from html import unescape
from typing import Any

import httpx
import pytest

from negotiation_intake.adapters.work_queue import QueueFilter, QueueRow
from negotiation_intake.entrypoints.console import upstream as upstream_module
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.queue_view import (
    APPLICATION_STATES,
    STATUSES,
    QueueLine,
    application_words,
    in_order_shown,
    last_contact,
    loan_status,
    queue_filter,
    queue_lines,
)
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from negotiation_intake.entrypoints.console.upstream import Upstream
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


def row(borrower: str, plan_status: str | None, application_state: str | None, *, overdue: bool = True) -> QueueRow:
    """A loan as intake's copy has it: overdue 1 day, CNY 1,045.00, as of 16 Feb 2026."""
    copy = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    return QueueRow(
        loan_id=uuid.uuid4(),
        borrower_id=borrower,
        overdue=overdue,
        business_date=date(2026, 2, 16),
        snapshot=copy.model_dump(mode="json"),
        plan_status=plan_status,
        application_state=application_state,
    )


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def live(loan: QueueRow, days: int, penalty: str, as_of: str = "2026-03-16") -> dict[str, Any]:
    """overdue-detection's figures of `loan` (an item of GET /v1/loans/overdue-statuses)."""
    amounts = {"principal": "1000.00", "interest": "45.00", "fee": "0.00", "penalty": penalty}
    return {
        "loan_id": str(loan.loan_id),
        "as_of": as_of,
        "status": "active",
        "overdue": True,
        "episode": 1,
        "days_past_due": days,
        "bucket": "M1" if days <= 30 else "M2",
        "oldest_overdue_due_date": "2026-02-15",
        "overdue_amounts": {part: cny(amount) for part, amount in amounts.items()},
        "charges_cap_applied": False,
        "penalty_rate": "0.0001",
        "credit": cny("0.00"),
    }


def window(loan: QueueRow, outcome: str, until: str | None = None, rule: str | None = None) -> dict[str, Any]:
    """notification's contact window of `loan` (an item of GET /v1/loans/contact-windows)."""
    channel = "sms" if outcome != "suppressed" else None
    return {"loan_id": str(loan.loan_id), "outcome": outcome, "channel": channel, "until": until, "rule": rule}


Answered = list[tuple[QueueRow, Any]]


def answers(
    overdue: Answered | None = None, contacts: Answered | None = None, windows: Answered | None = None
) -> dict[str, dict[uuid.UUID, Any] | None]:
    """Upstream.queue's answer: by service, by loan (a service None: it did not answer)."""

    def by_loan(items: Answered | None) -> dict[uuid.UUID, Any] | None:
        return None if items is None else {loan.loan_id: item for loan, item in items}

    return {"overdue": by_loan(overdue), "contacts": by_loan(contacts), "window": by_loan(windows)}


def render(rows: list[QueueRow], upstream: dict[str, Any], query: QueueFilter, lang: str = "en") -> str:
    return TEMPLATES.get_template("queue.html").render(
        t=Words(lang),
        lang=lang,
        base=PREFIX,
        agent=None,
        csrf="token",
        here="/",
        flash=None,
        lines=in_order_shown(queue_lines(rows, upstream), query),
        total=len(rows),
        query=query,
        params={},
        pages=1,
        buckets=["M1", "M2"],
        statuses=STATUSES,
        application_states=APPLICATION_STATES,
        sorts=["days_past_due"],
    )


def cells(html: str, loan: QueueRow) -> str:
    return html.split(f'data-loan-id="{loan.loan_id}"')[1].split("</tr>", maxsplit=1)[0]


def text(html: str) -> str:
    """What a row says, the spaces (Babel's narrow no-break space among them) made plain."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_queue_shows_the_application_in_words_the_last_contact_and_readable_links() -> None:
    broken = row("B-000777", "broken", "accepted")
    fresh = row("B-000888", None, None)
    logs = [(broken, {"entries": [entry("sent", "2027-06-25T09:30:00+00:00")]}), (fresh, {"entries": []})]
    html = unescape(render([broken, fresh], answers(contacts=logs), QueueFilter(application_state="awaiting_approval")))
    assert f'href="{PREFIX}/loans/{broken.loan_id}">Loan of B-000777</a>' in html
    assert "…" not in html  # no truncated id
    broken_row = cells(html, broken)
    assert "Overdue, plan broken" in broken_row
    assert "accepted, plan broken" in broken_row
    assert "6/25/27, 5:30\u202fPM China Standard Time" in broken_row  # the last contact, its zone named
    fresh_row = cells(html, fresh)
    assert "No application" in fresh_row
    assert "Not contacted yet" in fresh_row  # notification answered: nothing sent to them
    assert '<option value="awaiting_approval" selected>awaiting approval</option>' in html
    assert '<option value="none" >No application</option>' in html


def test_the_count_says_one_loan_or_many() -> None:
    one, other = row("B-000777", None, None), row("B-000888", None, None)
    assert ">1 loan</p>" in render([one], answers(), QueueFilter())
    assert ">2 loans</p>" in render([one, other], answers(), QueueFilter())


def test_the_queue_in_chinese_says_it_in_chinese() -> None:
    broken = row("B-000777", "broken", "accepted")
    upstream = answers(contacts=[(broken, {"entries": []})], windows=[(broken, window(broken, "sent"))])
    html = unescape(render([broken], upstream, QueueFilter(), "zh-CN"))
    assert "B-000777 的贷款" in html
    assert "已接受，方案已违约" in html
    assert "尚未联系" in html
    assert "下次允许联系" in html
    assert next_contact(html, broken) == "现在可以联系（短信）"


def test_each_row_shows_the_ledgers_figures_where_they_differ_from_the_copy() -> None:
    """The copy says 1 day and CNY 1,045.00 as of 16 Feb; the ledger 29 days and 1,048.12 as of
    16 Mar: the ledger's are shown, with no copy marker."""
    loan = row("B-000123", None, None)
    html = render([loan], answers(overdue=[(loan, live(loan, 29, "3.12"))]), QueueFilter())
    shown = cells(html, loan)
    assert 'data-owed-total="1048.12" data-source="ledger" data-as-of="2026-03-16"' in shown
    assert 'data-days-past-due="29"' in shown
    assert "CN¥1,048.12" in text(shown)
    assert "Mar 16, 2026" in text(shown)  # as of the ledger's last close
    assert "intake's copy" not in text(shown)
    assert "1,045.00" not in text(shown)


@pytest.mark.parametrize("overdue", [None, []], ids=["overdue-detection silent", "a loan it does not know"])
def test_without_the_ledgers_figures_the_copy_is_shown_with_its_date(overdue: Answered | None) -> None:
    loan = row("B-000123", None, None)
    shown = cells(render([loan], answers(overdue=overdue), QueueFilter()), loan)
    assert 'data-owed-total="1045.00" data-source="copy" data-as-of="2026-02-16"' in shown
    assert "intake's copy as of Feb 16, 2026" in text(shown)
    assert 'data-days-past-due="1"' in shown


def test_a_cured_loan_owes_nothing_by_its_copy_and_what_the_ledger_says_by_the_ledger() -> None:
    """A cured loan's copy keeps the figures it last had overdue: they are not shown as owed."""
    cured = replace(row("B-000123", None, None, overdue=False), business_date=date(2026, 3, 2))
    by_copy = cells(render([cured], answers(), QueueFilter()), cured)
    assert 'data-owed-total="" data-source="copy" data-as-of="2026-03-02"' in by_copy  # as of the cure
    assert 'data-days-past-due=""' in by_copy
    nothing = dict.fromkeys(("principal", "interest", "fee", "penalty"), cny("0.00"))
    settled = {**live(cured, 0, "0.00"), "overdue": False, "overdue_amounts": nothing}
    by_ledger = cells(render([cured], answers(overdue=[(cured, settled)]), QueueFilter()), cured)
    assert 'data-owed-total="0.00" data-source="ledger"' in by_ledger


def lines_in_order(query: QueueFilter, figures: dict[str, tuple[int, str]]) -> list[str]:
    """The borrowers of a page in the order shown: the queue gave them as `figures` lists them."""
    rows = [row(borrower, None, None) for borrower in figures]
    overdue = [(loan, live(loan, *figures[loan.borrower_id])) for loan in rows]
    shown: list[QueueLine] = in_order_shown(queue_lines(rows, answers(overdue=overdue)), query)
    return [line.row.borrower_id for line in shown]


def test_a_page_reads_in_the_order_of_the_figures_it_shows() -> None:
    """The queue sorted by what the copies imply; where a copy lagged, the page still reads in
    order of what it shows, rows showing the same keeping the queue's order."""
    figures = {"B-1": (30, "2.00"), "B-2": (31, "9.00"), "B-3": (30, "1.00"), "B-4": (12, "5.00")}
    assert lines_in_order(QueueFilter(sort="days_past_due"), figures) == ["B-2", "B-1", "B-3", "B-4"]
    assert lines_in_order(QueueFilter(sort="days_past_due", descending=False), figures) == ["B-4", "B-1", "B-3", "B-2"]
    assert lines_in_order(QueueFilter(sort="overdue_total"), figures) == ["B-2", "B-4", "B-1", "B-3"]
    assert lines_in_order(QueueFilter(sort="borrower"), figures) == ["B-1", "B-2", "B-3", "B-4"]  # as the queue gave them


def test_a_shown_amount_is_the_sum_of_the_ledgers_components() -> None:
    loan = row("B-000123", None, None)
    [line] = queue_lines([loan], answers(overdue=[(loan, live(loan, 29, "3.12"))]))
    components = live(loan, 29, "3.12")["overdue_amounts"].values()
    assert line.figures.total is not None
    assert Decimal(line.figures.total["amount"]) == sum((Decimal(money["amount"]) for money in components), start=Decimal(0))


def next_contact(html: str, loan: QueueRow) -> str:
    found = re.search(r"data-next-contact=[^>]*>(.*?)</td>", cells(html, loan), flags=re.S)
    assert found is not None
    return text(found.group(1))


def test_the_next_allowed_contact_says_now_from_when_or_why_not_with_the_zone() -> None:
    now, held, barred, unknown = (row(f"B-00000{n}", None, None) for n in range(4))
    windows = [
        (now, window(now, "sent")),
        (held, window(held, "held", "2026-03-17T00:00:00+00:00", "quiet_hours")),
        (barred, window(barred, "suppressed", rule="plan_active")),
    ]
    html = render([now, held, barred, unknown], answers(windows=windows), QueueFilter(sort="borrower", descending=False))
    assert next_contact(html, now) == "May be contacted now (SMS)"
    quiet = "Not before (Quiet hours in the borrower's local time): 3/17/26, 8:00 AM China Standard Time"
    assert next_contact(html, held) == quiet
    assert 'data-next-contact-at="2026-03-17T00:00:00+00:00"' in cells(html, held)
    assert next_contact(html, barred) == "No collection contact: A plan is in force: no collection messages"
    assert next_contact(html, unknown) == "No contact details on record"
    silent = render([now], answers(), QueueFilter())
    assert next_contact(silent, now) == "Not available."
    assert "Not available." in text(cells(silent, now).split("data-last-contact")[1])


def test_the_times_say_the_borrowers_local_time_when_their_zone_is_another() -> None:
    loan = row("B-000123", None, None)
    loan.snapshot["contact"]["time_zone"] = "America/New_York"
    upstream = answers(
        contacts=[(loan, {"entries": [entry("sent", "2026-03-16T02:00:00+00:00")]})],
        windows=[(loan, window(loan, "held", "2026-03-17T12:00:00+00:00", "quiet_hours"))],
    )
    shown = text(cells(render([loan], upstream, QueueFilter()), loan))
    assert "3/16/26, 10:00 AM China Standard Time borrower's local time: 3/15/26, 10:00 PM Eastern Daylight Time" in shown
    assert "3/17/26, 8:00 PM China Standard Time borrower's local time: 3/17/26, 8:00 AM Eastern Daylight Time" in shown


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """overdue-detection and notification as an httpx transport: what they were asked, in turn."""
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        loans = request.url.params.get_list("loan_id")
        if request.url.path == "/v1/loans/contact-logs":
            return httpx.Response(200, json={"loans": [{"loan_id": loan, "entries": []} for loan in loans]})
        return httpx.Response(200, json={"loans": [{"loan_id": loan} for loan in loans[:1]], "unknown": loans[1:]})

    monkeypatch.setattr(upstream_module.httpx, "AsyncClient", partial(httpx.AsyncClient, transport=httpx.MockTransport(answer)))
    return asked


async def test_the_page_is_asked_of_each_service_once_whatever_its_length(services: list[httpx.Request]) -> None:
    loans = [uuid.uuid4() for _ in range(25)]
    got = await Upstream("http://overdue", "http://notification", None, "key").queue(loans)
    assert sorted(str(request.url.copy_with(query=None)) for request in services) == [
        "http://notification/v1/loans/contact-logs",
        "http://notification/v1/loans/contact-windows",
        "http://overdue/v1/loans/overdue-statuses",
    ]
    for request in services:
        assert request.url.params.get_list("loan_id") == [str(loan) for loan in loans]
    [log] = [request for request in services if request.url.path.endswith("contact-logs")]
    assert (log.url.params["decision"], log.url.params["latest"]) == ("sent", "1")
    assert got["overdue"] == {loans[0]: {"loan_id": str(loans[0])}}
    assert got["contacts"] is not None
    assert set(got["contacts"]) == set(loans)
    assert await Upstream("http://overdue", None, None).queue(loans[:1]) == {
        "overdue": {loans[0]: {"loan_id": str(loans[0])}},
        "contacts": None,
        "window": None,
    }
    assert await Upstream("http://overdue", "http://notification", None).queue([]) == {
        "overdue": {},
        "contacts": {},
        "window": {},
    }


@pytest.mark.parametrize("answer", [[], {"loans": "all"}, {"loans": [{"id": 1}]}, {"loans": [{"loan_id": "nope"}]}, {}])
def test_an_answer_that_is_not_a_batch_of_loans_is_no_answer(answer: Any) -> None:
    """What a service answered that is not its batch form shows "not available", never a 500."""
    assert upstream_module._by_loan(answer) is None
