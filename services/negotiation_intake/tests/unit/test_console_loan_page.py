"""The loan page's plan section, rendered from what repayment tracking's API answers: the
latest plan with its progress, the earlier ones (a broken plan before a new one) listed below it,
newest first."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest

from negotiation_intake.domain.application import LoanView
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.loan_summary import loan_page_context
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import HardshipReason
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.examples import golden_events, ledger_position


def _plan(status: str, activated_on: str, ended_on: str | None, paid: int, installments: int) -> dict[str, Any]:
    """A plan as GET /v1/loans/{id}/plans on repayment tracking gives it."""

    def money(amount: str) -> dict[str, str]:
        return {"amount": amount, "currency": "CNY"}

    return {
        "plan_id": str(uuid.uuid4()),
        "status": status,
        "activated_on": activated_on,
        "ended_on": ended_on,
        "installments": [
            {
                "sequence": n + 1,
                "due_date": f"2026-{n + 4:02d}-15",
                "amount": money("348.33"),
                "paid": money("348.33" if n < paid else "0.00"),
                "status": "paid" if n < paid else "due",
                "missed_on": None,
            }
            for n in range(installments)
        ],
    }


def render_loan_page(
    loan: LoanView,
    upstream: dict[str, Any],
    *,
    language: str = "en",
    applications: Sequence[dict[str, Any]] = (),
    may_work: bool = False,
) -> str:
    """loan.html as pages.render_loan fills it."""
    return TEMPLATES.get_template("loan.html").render(
        t=Words(language),
        lang=language,
        base=PREFIX,
        agent=None,
        may_work=may_work,
        may_approve=False,
        may_audit=False,
        csrf="token",
        here="/",
        flash=None,
        loan=loan,
        snapshot=loan.snapshot,
        applications=list(applications),
        upstream=upstream,
        **loan_page_context(loan, applications, upstream),
        reasons=list(HardshipReason),
        errors={},
        values={},
    )


def overdue_loan(plan_status: str | None = "active", **snapshot: Any) -> LoanView:
    """The golden LoanBecameOverdue as intake keeps it (its copy), with `snapshot` changed."""
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue))
    copy = {**overdue.model_dump(mode="json"), **snapshot}
    plan_id = uuid.uuid4() if plan_status else None
    return LoanView(overdue.loan_id, "B-000123", True, copy, plan_id, plan_status)


def render(plans: list[dict[str, Any]] | None) -> str:
    return render_loan_page(overdue_loan(), {"overdue": None, "contacts": None, "plans": {"plans": plans}})


def earlier_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-plan="([0-9a-f-]+)">', html)


def test_one_plan_shows_no_earlier_plans() -> None:
    html = render([_plan("active", "2026-03-16", None, 1, 3)])
    assert "1 of 3 installments paid" in html
    assert "Earlier plans" not in html


def test_a_new_plan_after_broken_ones_lists_them_newest_first() -> None:
    first = _plan("broken", "2026-01-10", "2026-03-01", 0, 3)
    second = _plan("broken", "2026-03-20", "2026-05-20", 1, 6)
    latest = _plan("active", "2026-06-02", None, 2, 6)
    html = render([first, second, latest])
    assert "2 of 6 installments paid" in html  # the latest plan's progress
    assert "Earlier plans" in html
    assert earlier_rows(html) == [second["plan_id"], first["plan_id"]]
    assert "1 / 6" in html
    assert "0 / 3" in html


def test_no_plans_and_tracking_not_answering_say_so() -> None:
    assert "No plan." in render([])
    assert "not available" in render(None).lower()


def _status_line(overdue: bool, plan_status: str | None, snapshot: dict[str, Any]) -> str:
    loan = LoanView(uuid.uuid4(), "B-000123", overdue, snapshot, uuid.uuid4() if plan_status else None, plan_status)
    return render_loan_page(loan, {"overdue": None, "contacts": None, "plans": None})


def test_a_loan_known_from_an_early_application_says_nothing_is_overdue_yet() -> None:
    """A loan intake knows only from the ledger's position (early hardship) was never overdue:
    not "cured"; under an early plan it is under a plan."""
    position = ledger_position().model_dump(mode="json")
    assert "Nothing overdue yet (early application)" in _status_line(False, None, position)
    assert "Under a plan" in _status_line(False, "active", position)
    overdue = next(event for event in golden_events() if isinstance(event, LoanBecameOverdue)).model_dump(mode="json")
    assert "Cured" in _status_line(False, "completed", overdue)


# Issue 20, findings 1, 6 and 7: live figures, words for every code, times with their zone, what next.

#: overdue-detection's GET /v1/loans/{id}/overdue-status, live: 151 days, 5,431.32 (intake's copy: 1, 1,045.00).
LIVE: dict[str, Any] = {
    "as_of": "2026-09-10",
    "status": "open",
    "overdue": True,
    "days_past_due": 151,
    "bucket": "M5+",
    "oldest_overdue_due_date": "2026-04-12",
    "overdue_amounts": {
        "principal": {"amount": "5000.00", "currency": "CNY"},
        "interest": {"amount": "300.12", "currency": "CNY"},
        "fee": {"amount": "50.00", "currency": "CNY"},
        "penalty": {"amount": "81.20", "currency": "CNY"},
    },
    "charges_cap_applied": False,
    "remaining_schedule": [],
    "last_payments": [],
}
#: Every code notification writes in a contact log (contact_rules.py, deciding.py, handlers.py).
RULES = (
    "do_not_contact",
    "loan_closed",
    "plan_active",
    "code_expired",
    "stale",
    "opted_out",
    "no_channel_left",
    "quiet_hours",
    "daily_limit",
    "week_after_conversation",
    "calls_per_week",
    "change_code_limit",
)
RECEIPTS = ("delivered", "failed")


def log_entry(at: datetime, purpose: str, decision: str, **more: Any) -> dict[str, Any]:
    return {
        "notification_id": str(uuid.uuid4()),
        "purpose": purpose,
        "channel": "sms",
        "decision": decision,
        "rule": None,
        "held_until": None,
        "decided_at": at.isoformat(),
        "receipt": None,
        "receipt_reason": None,
        "receipt_at": None,
        **more,
    }


def every_code_logged() -> list[dict[str, Any]]:
    """A log with every purpose, channel, rule, receipt and decision, oldest first."""
    at = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    entries = [log_entry(at, purpose.value, "sent", receipt="delivered", receipt_at=at.isoformat()) for purpose in Purpose]
    entries += [log_entry(at, "overdue_notice", "sent", channel=channel.value) for channel in Channel]
    entries += [log_entry(at, "overdue_notice", "suppressed", rule=rule, channel=None) for rule in RULES]
    entries += [log_entry(at, "written_plan", "sent", receipt=receipt) for receipt in RECEIPTS]
    held = (at + timedelta(hours=8)).isoformat()
    entries.append(log_entry(at + timedelta(minutes=1), "overdue_notice", "held", rule="quiet_hours", held_until=held))
    return entries


def visible_text(html: str) -> str:
    """What a reader sees: the text between the tags (no attributes, classes or URLs)."""
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


def test_the_live_amount_is_overdue_detections_and_says_as_of_when() -> None:
    html = render_loan_page(overdue_loan(None), {"overdue": LIVE, "contacts": None, "plans": None})
    owed = re.search(r'<strong class="owed" data-owed-total="([^"]*)" data-as-of="([^"]*)" data-source="([^"]*)"', html)
    assert owed is not None
    live_total = sum(Decimal(money["amount"]) for money in LIVE["overdue_amounts"].values())
    assert (Decimal(owed.group(1)), owed.group(2), owed.group(3)) == (live_total, "2026-09-10", "ledger")
    text = visible_text(html)
    assert "CN¥5,431.32" in text
    assert "CN¥1,045.00" not in text  # the copy's older figure is not shown beside it
    assert "live from the ledger, as of Sep 10, 2026" in text
    assert re.search(r"Days overdue\s+151", text)
    assert "copy-note" not in html


def test_without_overdue_detection_the_copy_is_shown_and_flagged_as_one() -> None:
    html = render_loan_page(overdue_loan(None), {"overdue": None, "contacts": None, "plans": None})
    assert 'data-owed-total="1045.00" data-as-of="2026-02-16" data-source="copy"' in html
    text = visible_text(html)
    assert "intake's copy as of Feb 16, 2026" in text
    assert "these figures are intake's copy of its last status, as of Feb 16, 2026" in text
    chinese = visible_text(
        render_loan_page(overdue_loan(None), {"overdue": None, "contacts": None, "plans": None}, language="zh-CN")
    )
    assert "受理系统副本，截至 2026年2月16日" in chinese


def known_codes() -> set[str]:
    families: list[Iterable[str]] = [
        (purpose.value for purpose in Purpose),
        (channel.value for channel in Channel),
        RULES,
        RECEIPTS,
        (state.value for state in State),
        (reason.value for reason in HardshipReason),
        ("current", "under_plan", "active", "broken", "completed"),
    ]
    return {code for family in families for code in family}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_no_raw_code_is_shown_on_the_loan_page(language: str) -> None:
    """No snake_case code in either language; no code at all in Chinese (in English a one-word
    code such as "draft" may be its own word); each code of the contact log in its words."""
    applications = [
        {**application_body_like(state), "reason": reason.value} for state, reason in zip(State, HardshipReason, strict=False)
    ]
    upstream = {"overdue": LIVE, "contacts": {"entries": every_code_logged()}, "plans": None}
    text = visible_text(render_loan_page(overdue_loan(None), upstream, language=language, applications=applications))
    assert set(re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", text)) == set()
    if language == "zh-CN":
        assert known_codes() & set(re.findall(r"[A-Za-z_]+", text)) == set()
    words = Words(language)
    logged = [("purpose_", purpose.value) for purpose in Purpose] + [("channel_", channel.value) for channel in Channel]
    logged += [("rule_", rule) for rule in RULES] + [("receipt_", receipt) for receipt in RECEIPTS]
    logged += [("bucket_", "M5+")]
    untranslated = [family + code for family, code in logged if words(family + code) in (family + code, code)]
    assert untranslated == []
    missing = [family + code for family, code in logged if words(family + code) not in text]
    assert missing == []


def application_body_like(state: State) -> dict[str, Any]:
    return {
        "application_id": str(uuid.uuid4()),
        "state": state.value,
        "agent_id": "agent-042",
        "created_at": "2026-02-17T01:30:00+00:00",
        "updated_at": "2026-02-17T02:30:00+00:00",
    }


@pytest.mark.parametrize(("language", "zone"), [("en", "China Standard Time"), ("zh-CN", "中国标准时间")])
def test_every_time_on_the_loan_page_names_its_zone(language: str, zone: str) -> None:
    applications = [application_body_like(State.WITHDRAWN)]
    upstream = {"overdue": LIVE, "contacts": {"entries": every_code_logged()}, "plans": None}
    html = render_loan_page(overdue_loan(None), upstream, language=language, applications=applications)
    times = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)
    assert len(times) > len(every_code_logged())
    assert all(time.endswith(zone) for time in times), times
    updated = re.search(r"<td>([^<]*)</td></tr>\s*</tbody>", html.split('id="apps-h"')[1])
    assert updated is not None
    assert updated.group(1).endswith(zone)


def test_the_contact_log_shows_the_borrowers_local_time_when_their_zone_differs() -> None:
    loan = overdue_loan(None, contact={**overdue_loan(None).snapshot["contact"], "time_zone": "America/New_York"})
    entry = log_entry(datetime(2026, 2, 13, 2, 0, tzinfo=UTC), "overdue_notice", "sent")
    text = visible_text(render_loan_page(loan, {"overdue": LIVE, "contacts": {"entries": [entry]}, "plans": None}))
    assert "2/13/26, 10:00\u202fAM China Standard Time" in text
    assert "borrower's local time: 2/12/26, 9:00\u202fPM Eastern Standard Time" in text


def test_a_borrower_in_the_lenders_zone_is_told_once_not_on_every_row() -> None:
    entry = log_entry(datetime(2026, 2, 13, 2, 0, tzinfo=UTC), "overdue_notice", "sent")
    html = render_loan_page(overdue_loan(None), {"overdue": LIVE, "contacts": {"entries": [entry]}, "plans": None})
    assert overdue_loan(None).snapshot["contact"]["time_zone"] == "Asia/Shanghai"
    assert "borrower's local time:" not in visible_text(html)
    assert "The borrower's local time is the same." in visible_text(html)


def test_the_contact_log_is_newest_first_with_the_latest_five_outside_the_fold() -> None:
    start = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    entries = [log_entry(start + timedelta(days=day), "overdue_notice", "sent") for day in range(7)]
    html = render_loan_page(overdue_loan(None), {"overdue": LIVE, "contacts": {"entries": entries}, "plans": None})
    shown, folded = html.split('<details class="earlier-contacts">')
    newest_first = [entry["decided_at"] for entry in reversed(entries)]
    assert re.findall(r'<tr data-decided-at="([^"]+)">', shown) == newest_first[:5]
    assert re.findall(r'<tr data-decided-at="([^"]+)">', folded) == newest_first[5:]
    assert "2 earlier entries" in folded
    last = re.search(r"Last contact</dt>\s*<dd>(.*?)</dd>", html, flags=re.S)
    assert last is not None
    assert "2/7/26, 9:00\u202fAM China Standard Time" in last.group(1)


def test_the_summary_names_the_next_message_held_and_the_open_application() -> None:
    open_one = {**application_body_like(State.AWAITING_APPROVAL), "reason": "unemployment"}
    upstream = {"overdue": LIVE, "contacts": {"entries": every_code_logged()}, "plans": None}
    html = render_loan_page(overdue_loan(None), upstream, applications=[open_one], may_work=True)
    summary = visible_text(html.split('<section id="summary"')[1].split("</section>")[0])
    assert "Overdue notice held (Quiet hours in the borrower's local time), may go at" in summary
    assert "Continue the open application (awaiting approval)" in summary
    assert f'href="/console/applications/{open_one["application_id"]}"' in html
    assert 'id="reason"' not in html  # no new-application form: one is open
    assert "this loan already has one open (awaiting approval)" in visible_text(html)


def test_the_new_application_form_hides_while_a_plan_is_in_force_and_shows_otherwise() -> None:
    upstream = {"overdue": LIVE, "contacts": None, "plans": None}
    under_plan = render_loan_page(overdue_loan("active"), upstream, may_work=True)
    assert 'id="reason"' not in under_plan
    assert "a repayment plan is in force on this loan" in visible_text(under_plan)
    free = render_loan_page(overdue_loan("broken"), upstream, applications=[application_body_like(State.DECLINED)], may_work=True)
    assert 'id="reason"' in free
    assert 'id="no-new-application"' not in free
    assert 'id="continue-application"' not in free


def next_contact_text(window: dict[str, Any] | None, language: str = "en") -> str:
    upstream = {"overdue": LIVE, "contacts": {"entries": []}, "window": window, "plans": None}
    html = render_loan_page(overdue_loan(None), upstream, language=language)
    found = re.search(r'<dd id="next-contact">(.*?)</dd>', html, flags=re.S)
    assert found is not None
    return " ".join(visible_text(found.group(1)).split())


WINDOW_AT = "2026-09-10T04:00:00+00:00"


def test_the_summary_says_when_the_contact_rules_next_allow_a_contact() -> None:
    now = {"loan_id": str(uuid.uuid4()), "at": WINDOW_AT, "outcome": "sent", "channel": "sms", "until": None, "rule": None}
    assert next_contact_text(now) == "May be contacted now (SMS)"
    held = {**now, "outcome": "held", "channel": "sms", "until": "2026-09-11T00:00:00+00:00", "rule": "daily_limit"}
    assert next_contact_text(held).startswith("Not before (Daily contact limit reached): ")
    assert "China Standard Time" in next_contact_text(held)
    suppressed = {**now, "outcome": "suppressed", "channel": None, "rule": "plan_active"}
    assert next_contact_text(suppressed) == "No collection contact: A plan is in force: no collection messages"
    assert next_contact_text(suppressed, "zh-CN").startswith("不可催收联系：")


def test_without_the_contact_window_the_summary_falls_back_to_the_log() -> None:
    assert next_contact_text(None) == "No message waiting"


def test_the_next_contact_says_the_borrowers_local_time_too() -> None:
    """Quiet hours are the borrower's: the strip says when the window opens where they are."""
    loan = overdue_loan(None, contact={**overdue_loan(None).snapshot["contact"], "time_zone": "America/New_York"})
    held = {
        "loan_id": str(loan.loan_id),
        "at": WINDOW_AT,
        "outcome": "held",
        "channel": "sms",
        "until": "2026-09-10T12:00:00+00:00",
        "rule": "quiet_hours",
    }
    upstream = {"overdue": LIVE, "contacts": {"entries": []}, "window": held, "plans": None}
    found = re.search(r'<dd id="next-contact">(.*?)</dd>', render_loan_page(loan, upstream), flags=re.S)
    assert found is not None
    assert "borrower's local time: 9/10/26, 8:00\u202fAM Eastern Daylight Time" in visible_text(found.group(1))
