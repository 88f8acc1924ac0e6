"""The split of the borrowers who asked for help, through the agent and on their page: counted per
loan from the services' events, it adds up to the run's totals, and the report's page and summary
show it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.examples import golden_events
from tideover_simulator.agent import Case
from tideover_simulator.book import loan_book
from tideover_simulator.observer import Observer
from tideover_simulator.report import render_report, summary_lines
from tideover_simulator.scenario import Plan
from tideover_simulator.tally import SPLIT_EVENTS, Tally
from tideover_testkit.kafka import TopicWatcher

FIRST_DAY = date(2026, 1, 5)
PLAN = next(event for event in golden_events() if isinstance(event, PlanActivated))
BALANCE = {"loans": 12, "balanced": True, "books": {}, "loans_out_of_balance": [], "out_of_balance": [], "disagreements": []}
#: Per loan of the cases (in book order): on the page?, then its events, then whether a plan runs.
CASES: list[tuple[bool, dict[str, int], bool]] = [
    (False, {"NegotiationRequested": 1, "PlanAccepted": 1, "PlanActivated": 1, "PlanCompleted": 1}, False),
    (False, {"NegotiationRequested": 1, "PlanAccepted": 1, "PlanActivated": 1}, True),
    (False, {"NegotiationRequested": 2, "PlanAccepted": 2, "PlanActivated": 1, "PlanBroken": 1}, False),
    (False, {}, False),  # the agent's call came to nothing yet
    (True, {"NegotiationRequested": 1, "PlanAccepted": 1, "PlanActivated": 1}, True),
    (True, {"NegotiationRequested": 1, "PlanAccepted": 1, "PlanActivated": 1, "PlanBroken": 1}, False),
    (True, {}, False),  # asked on the page, no code entered yet
]


def run_figures() -> dict[str, Any]:
    """A run's figures, from a book of 12 whose first 7 borrowers asked for help as CASES says."""
    book = loan_book(7, 12, FIRST_DAY)
    observer = Observer(cast(TopicWatcher, SimpleNamespace(seen=[])), {borrower.loan_id for borrower in book})
    cases = {}
    for borrower, (on_page, events, running) in zip(book, CASES, strict=False):
        cases[borrower.loan_id] = Case(borrower, on_page=on_page)
        observer.counts_by_loan[borrower.loan_id].update(events)
        observer.counts.update(events)
        standing = observer.standing[borrower.loan_id]
        if events.get("PlanActivated"):
            standing.plan = PLAN.model_copy(update={"loan_id": borrower.loan_id})
            standing.plan_ended = None if running else ("broken" if events.get("PlanBroken") else "completed")
    tally = Tally(page_steps=Counter({"/b/help: 500": 2}))
    return tally.figures(Plan(seed=7, loans=12, days=0), book, cases, FIRST_DAY, observer, [], BALANCE, 1.0)


def test_the_split_counts_each_way_and_adds_up_to_the_run_s_totals() -> None:
    totals = run_figures()["totals"]
    split = totals["help_by_channel"]

    assert split == {
        "agent": {
            "borrowers": 4,
            "applications": 4,
            "plans_accepted": 4,
            "plans_activated": 3,
            "plans_completed": 1,
            "plans_broken": 1,
            "plans_active": 1,
        },
        "page": {
            "borrowers": 3,
            "applications": 2,
            "plans_accepted": 2,
            "plans_activated": 2,
            "plans_completed": 0,
            "plans_broken": 1,
            "plans_active": 1,
        },
    }
    for key in (*SPLIT_EVENTS, "plans_active"):
        assert split["agent"][key] + split["page"][key] == totals[key], key
    assert totals["page_steps_not_taken"] == {"/b/help: 500": 2}


def split_row(html: str, label: str) -> list[str]:
    html = html[html.index("<h2>How borrowers asked for help</h2>") :]
    match = re.search(rf"<tr><td>{re.escape(label)}</td>((?:<td class=\"value\">[^<]*</td>)+)</tr>", html)
    assert match is not None, f"no split row {label!r}"
    return re.findall(r'<td class="value">([^<]*)</td>', match.group(1))


def test_the_report_shows_the_split_beside_totals_it_agrees_with() -> None:
    figures = run_figures()
    totals = figures["totals"]
    html = render_report(figures)

    assert "<h2>How borrowers asked for help</h2>" in html
    assert '<th scope="col">Counted</th><th>Through the agent</th><th>On their page</th><th>All</th>' in html
    assert split_row(html, "Borrowers who asked") == ["4", "3", "7"]
    assert split_row(html, "Applications") == ["4", "2", str(totals["applications"])]
    assert split_row(html, "Plans accepted") == ["4", "2", str(totals["plans_accepted"])]
    assert split_row(html, "Plans activated") == ["3", "2", str(totals["plans_activated"])]
    assert split_row(html, "Plans completed") == ["1", "0", str(totals["plans_completed"])]
    assert split_row(html, "Plans broken") == ["1", "1", str(totals["plans_broken"])]
    assert split_row(html, "Plans active") == ["1", "1", str(totals["plans_active"])]
    # The plans table elsewhere on the page states the same totals.
    assert re.search(rf'<tr><td>Activated</td><td class="value">{totals["plans_activated"]}</td></tr>', html)
    assert '<tr><td>/b/help: 500</td><td class="value">2</td></tr>' in html


def test_the_summary_states_the_split_and_each_way_s_plans() -> None:
    lines = summary_lines(run_figures())

    assert "Asked for help: 4 through the agent, 3 on their page" in lines
    assert "  through the agent: 4 applications, 4 plans accepted, 3 activated, 1 completed, 1 broken, 1 active" in lines
    assert "  on their page: 2 applications, 2 plans accepted, 2 activated, 0 completed, 1 broken, 1 active" in lines
    assert "Plans: 5 activated, 1 completed, 2 broken, 2 active" in lines


def test_figures_without_a_split_say_nobody_asked() -> None:
    html = render_report(run_figures() | {"totals": {}})

    assert split_row(html, "Borrowers who asked") == ["0", "0", "0"]
    assert "Asked for help: 0 through the agent, 0 on their page" in summary_lines({**run_figures(), "totals": {}})
