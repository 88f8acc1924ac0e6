"""The simulator on a small book, through all five services as processes on the real Kafka and
Postgres: its report's figures must agree with the services' own tables — the split of the
borrowers who asked for help through the agent and on their own page too — and the same seed
must give the same book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tideover_simulator.book import Payer, loan_book
from tideover_simulator.report import render_report
from tideover_simulator.simulation import Plan, Services, Simulation
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess


def test_the_same_seed_books_the_same_loans_and_a_later_start_new_ones() -> None:
    first = loan_book(7, 50, date(2026, 1, 5))
    assert first == loan_book(7, 50, date(2026, 1, 5))
    assert {b.loan_id for b in first}.isdisjoint(b.loan_id for b in loan_book(7, 50, date(2026, 6, 1)))
    assert first != loan_book(8, 50, date(2026, 1, 5))
    for borrower in first:
        installments = borrower.loan.installments
        assert sum(i.principal.amount for i in installments) == borrower.loan.principal.amount
        assert all(i.interest.amount >= 0 for i in installments)
    assert {b.payer for b in loan_book(7, 400, date(2026, 1, 5))} == set(Payer)


async def _tables(database_url: str, loan_ids: list[Any]) -> dict[str, Any]:
    """The figures as the services' own tables hold them, for the loans of the book."""
    connection = await asyncpg.connect(database_url)
    try:
        one = connection.fetchval
        return {
            "overdue_by_bucket": dict(
                await connection.fetch(
                    "SELECT bucket, count(*) FROM overdue_detection.loans"
                    " WHERE loan_id = ANY($1) AND bucket <> 'current' AND NOT under_plan GROUP BY bucket",
                    loan_ids,
                )
            ),
            "paid": await one(
                "SELECT coalesce(sum(amount), 0) FROM overdue_detection.repayments WHERE loan_id = ANY($1)", loan_ids
            ),
            "notices": dict(
                await connection.fetch(
                    "SELECT decision, count(*) FROM notification.contact_log WHERE loan_id = ANY($1) GROUP BY decision", loan_ids
                )
            ),
            "applications": await one(
                "SELECT count(*) FROM negotiation_intake.applications WHERE loan_id = ANY($1) AND state <> 'draft'", loan_ids
            ),
            # Made on the borrower's page (intake's application/borrower_help.py), the option chosen there.
            "page_applications": await one(
                "SELECT count(*) FROM negotiation_intake.applications"
                " WHERE loan_id = ANY($1) AND state <> 'draft' AND agent_id = 'borrower-page'",
                loan_ids,
            ),
            "chosen_on_page": await one(
                "SELECT count(*) FROM negotiation_intake.applications WHERE loan_id = ANY($1) AND chosen_by = 'borrower-page'",
                loan_ids,
            ),
            "offers": await one("SELECT count(*) FROM plan_calculation.offers WHERE loan_id = ANY($1)", loan_ids),
            "plans": dict(
                await connection.fetch(
                    "SELECT status, count(*) FROM repayment_tracking.plans WHERE loan_id = ANY($1) GROUP BY status", loan_ids
                )
            ),
            # The waivers as the ledger recorded them (DESIGN.md §3a): granted with a plan (and the
            # quote it honoured), whatever became of them since.
            "waived": await one(
                "SELECT coalesce(sum(penalty + interest + fee), 0) FROM overdue_detection.ledger_acts"
                " WHERE kind = 'waiver' AND status = 'conditional' AND loan_id = ANY($1)",
                loan_ids,
            ),
        }
    finally:
        await connection.close()


@pytest.mark.e2e
@pytest.mark.timeout(600)
async def test_the_report_agrees_with_the_services_tables(
    private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]
) -> None:
    infrastructure = private_infrastructure
    lines: list[str] = []
    plan = Plan(seed=11, loans=60, days=75, first_day=date(2026, 1, 5))
    figures = await Simulation(infrastructure.settings(), Services.of(all_services), plan, progress=lines.append).run()

    totals = figures["totals"]
    tables = await _tables(infrastructure.database_url, [borrower.loan_id for borrower in loan_book(11, 60, date(2026, 1, 5))])
    assert totals["overdue_by_bucket"] == tables["overdue_by_bucket"]
    assert figures["series"][-1]["overdue_by_bucket"] == tables["overdue_by_bucket"]
    assert Decimal(totals["paid"]) == tables["paid"] > 0
    assert totals["notices_sent"] == tables["notices"].get("sent", 0) > 0
    assert totals["notices_held"] == tables["notices"].get("held", 0)
    assert sum(day["notices"]["sent"] for day in figures["series"]) == totals["notices_sent"]
    assert totals["applications"] == tables["applications"] > 0
    assert sum(day["applications"] for day in figures["series"]) == totals["applications"]
    assert totals["offers"] == tables["offers"] > 0
    assert totals["plans_activated"] == sum(tables["plans"].values()) > 0
    assert totals["plans_active"] == tables["plans"].get("active", 0)
    assert totals["plans_completed"] == tables["plans"].get("completed", 0)
    assert totals["plans_broken"] == tables["plans"].get("broken", 0)
    assert figures["series"][-1]["plans"] == {
        "active": totals["plans_active"],
        "completed": totals["plans_completed"],
        "broken": totals["plans_broken"],
    }
    assert Decimal(totals["waived"]) == tables["waived"]
    split = totals["help_by_channel"]
    assert split["page"]["borrowers"] > 0, split
    for key in ("applications", "plans_accepted", "plans_activated", "plans_completed", "plans_broken", "plans_active"):
        assert split["agent"][key] + split["page"][key] == totals[key], (key, split)
    assert split["page"]["applications"] == tables["page_applications"] > 0, split
    # A plan accepted on the page was chosen there, and its application made there.
    assert tables["chosen_on_page"] >= split["page"]["plans_accepted"], split
    assert totals["page_steps_not_taken"] == {}, totals["page_steps_not_taken"]
    balance = figures["trial_balance"]  # the ledger of the book's loans (DESIGN.md §3a)
    assert balance["loans"] == 60
    assert balance["out_of_balance"] == [], balance["out_of_balance"]
    assert balance["disagreements"] == [], balance["disagreements"]
    assert balance["balanced"]
    book = balance["books"]["CNY"]
    paid = sum((Decimal(book[component]["paid"]) for component in book), start=Decimal(0))
    # What the book shows as waived is what the WaiverGranted events granted less what they reinstated.
    waived = sum((Decimal(book[component]["waived"]) for component in book), start=Decimal(0))
    assert waived == Decimal(totals["waived"]) - Decimal(totals["waivers_reinstated"])
    assert 0 < paid <= tables["paid"]  # the rest is the loans' credit
    assert any(line.startswith("Trial balance of 60 loans: balanced") for line in lines)
    assert len(figures["series"]) == 75
    assert any("day  70/75" in line for line in lines)  # progress while it runs
    assert render_report(figures).count("<svg") >= 6
    assert "<h2>Trial balance</h2>" in render_report(figures)
