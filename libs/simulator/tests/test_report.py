import re
from pathlib import Path
from typing import Any

from tideover_simulator.report import render_report, summary_lines, write_report
from tideover_simulator.report_figures import BUCKETS


def day(business_date: str, overdue: dict[str, int], recovered: str, waived: str, **counts: int) -> dict[str, Any]:
    return {
        "business_date": business_date,
        "overdue_by_bucket": overdue,
        "notices": {"sent": counts.get("sent", 0), "held": counts.get("held", 0), "suppressed": counts.get("suppressed", 0)},
        "applications": counts.get("applications", 0),
        "offers": counts.get("offers", 0),
        "rejections": counts.get("rejections", 0),
        "plans": {"active": counts.get("active", 0), "completed": counts.get("completed", 0), "broken": 0},
        "recovered": recovered,
        "waived": waived,
    }


def figures(**overrides: Any) -> dict[str, Any]:
    return {
        "seed": 7,
        "loans": 2000,
        "days": 4,
        "first_day": "2026-01-05",
        "last_day": "2026-01-08",
        "elapsed_seconds": 183.2,
        "currency": "CNY",
        "series": [
            day("2026-01-05", {"M1": 10, "M2": 3}, "1234.56", "12.00", sent=12, held=3, suppressed=2, applications=2, offers=2),
            day("2026-01-06", {"M1": 12, "M2": 4, "M3": 1}, "0.10", "0.00", sent=9, applications=1, offers=1, active=2),
            day("2026-01-07", {"M1": 11, "M2": 5, "M3": 1, "M4": 1}, "100.00", "3.50", sent=7, rejections=1, active=3),
            day("2026-01-08", {"M1": 9, "M2": 5, "M3": 2, "M4": 1, "M5+": 1}, "0.20", "0.00", sent=5, active=2, completed=1),
        ],
        "totals": {
            "borrowers_by_profile": {"on_time": 1200, "late": 300, "partial": 200, "stops": 300},
            "notices_sent": 900,
            "notices_held": 120,
            "suppressed_by_rule": {"quiet_hours_stale": 3, "plan_active": 40, "daily_limit": 2},
            "sent_by_purpose": {"overdue_notice": 500, "pre_due_reminder": 300},
            "applications": 80,
            "offers": 78,
            "rejections": 2,
            "offers_by_kind": {"waiver_with_term_extension": 28, "term_extension": 20, "arrears_installments": 30},
            "plans_activated": 70,
            "plans_completed": 20,
            "plans_broken": 10,
            "plans_active": 40,
            "recovered": "123456.78",
            "waived": "2345.67",
            "waivers_reinstated": "345.00",
        },
        "trial_balance": trial_balance(),
    } | overrides


LOAN_A, LOAN_B = "6f9a0c1e-0000-4000-8000-00000000000a", "6f9a0c1e-0000-4000-8000-00000000000b"


def trial_balance(balanced: bool = False) -> dict[str, Any]:
    """As tideover_reconcile's TrialBalance.as_json() gives it."""
    row = {"charged": "0.00", "paid": "0.00", "waived": "0.00", "written_off": "0.00", "outstanding": "0.00"}
    findings = (
        []
        if balanced
        else [{"loan_id": LOAN_A, "check": "repayments_applied", "detail": "received 10.00 but paid on lines 9.00 + credit 0.00"}]
    )
    return {
        "loans": 2000,
        "balanced": balanced,
        "books": {
            "CNY": {
                "principal": {
                    "charged": "1234567.00",
                    "paid": "1000000.00",
                    "waived": "0.00",
                    "written_off": "0.00",
                    "outstanding": "234567.00",
                },
                "interest": row,
                "fee": row,
                "penalty": {
                    "charged": "120.50",
                    "paid": "100.00",
                    "waived": "20.00",
                    "written_off": "0.50",
                    "outstanding": "0.00",
                },
            }
        },
        "loans_out_of_balance": [finding["loan_id"] for finding in findings],
        "out_of_balance": findings,
        "disagreements": [
            {
                "loan_id": LOAN_B,
                "check": "ledger_plans_active_in_tracking",
                "detail": "plan <p> is active in overdue-detection, not in repayment-tracking",
            }
        ],
    }


def table_row(html: str, label: str) -> str:
    match = re.search(rf"<tr><td>{re.escape(label)}</td><td class=\"value\">([^<]*)</td></tr>", html)
    assert match is not None, f"no totals row {label!r}"
    return match.group(1)


def test_the_report_is_one_self_contained_page_with_a_chart_for_each_view() -> None:
    html = render_report(figures())

    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 7
    assert "<?xml" not in html
    assert "<!DOCTYPE svg" not in html
    assert not re.search(r"<script|<link|<img|src=", html)
    for title in (
        "Overdue loans by bucket",
        "Notices per day",
        "Suppressed notices by rule",
        "Applications and offers per day",
        "Plans taken by kind",
        "Repayment plans",
        "Recovered and waived, cumulative (CNY)",
    ):
        assert f"<h3>{title}</h3>" in html


def test_the_header_states_the_run() -> None:
    html = render_report(figures())

    for label, value in (
        ("Seed", "7"),
        ("Loans", "2,000"),
        ("Days", "4"),
        ("Business dates", "2026-01-05 to 2026-01-08"),
        ("Elapsed", "3 min 03 s"),
    ):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html


def test_the_totals_table_formats_amounts_with_babel_and_counts_with_separators() -> None:
    html = render_report(figures())

    assert table_row(html, "Recovered") == "CN¥123,456.78"
    assert table_row(html, "Waived") == "CN¥2,345.67"
    assert table_row(html, "Waivers reinstated") == "CN¥345.00"
    assert table_row(html, "On time") == "1,200"
    assert table_row(html, "Suppressed") == "45"
    assert table_row(html, "Plan active") == "40"
    assert table_row(html, "Waiver with term extension") == "28"
    assert table_row(html, "Completed") == "20"
    assert table_row(html, "Broken") == "10"


def test_every_bucket_is_shown_with_the_last_close() -> None:
    html = render_report(figures())

    assert [table_row(html, bucket) for bucket in BUCKETS] == ["9", "5", "2", "1", "1"]
    assert all(f">{bucket}</text>" in html for bucket in BUCKETS)  # the stacked area's legend


def test_the_amounts_chart_names_the_last_running_totals() -> None:
    html = render_report(figures())

    assert "recovered: CN¥1,334.86" in html  # 1234.56 + 0.10 + 100.00 + 0.20
    assert "waived: CN¥15.50" in html  # 12.00 + 3.50


def test_the_page_renders_with_no_days_and_empty_totals() -> None:
    empty = figures(days=0, series=[], totals={})
    html = render_report(empty)

    assert html.count("<svg") == 7
    assert html.count("No business day was simulated") == 5
    assert "No notice was suppressed" in html
    assert "No plan was taken" in html
    assert table_row(html, "Recovered") == "CN¥0.00"
    assert table_row(html, "M5+") == "0"


def test_empty_dicts_inside_days_and_totals_read_as_zero() -> None:
    sparse_day = {
        "business_date": "2026-01-05",
        "overdue_by_bucket": {},
        "notices": {},
        "plans": {},
        "applications": 0,
        "offers": 0,
        "rejections": 0,
        "recovered": "0.00",
        "waived": "0.00",
    }
    totals = {key: {} for key in ("borrowers_by_profile", "suppressed_by_rule", "sent_by_purpose", "offers_by_kind")}
    html = render_report(figures(days=1, last_day="2026-01-05", series=[sparse_day], totals=totals))

    assert html.count("<svg") == 7
    assert table_row(html, "M1") == "0"
    assert "No notice was suppressed" in html


def test_labels_from_the_figures_are_escaped() -> None:
    html = render_report(figures(totals={"suppressed_by_rule": {"<b>odd</b>": 1}}))

    assert "<b>odd</b>" not in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html


def test_write_report_creates_the_directory_and_writes_the_page(tmp_path: Path) -> None:
    path = write_report(figures(), tmp_path / "runs" / "seed-7" / "report.html")

    assert path == tmp_path / "runs" / "seed-7" / "report.html"
    assert path.read_text(encoding="utf-8") == render_report(figures())


def test_the_summary_names_the_run_its_plans_and_its_amounts() -> None:
    lines = summary_lines(figures())

    assert 10 <= len(lines) <= 20
    assert lines[0] == "Simulation: seed 7, 2,000 loans, 4 days (2026-01-05 to 2026-01-08)"
    assert "Plans: 70 activated, 20 completed, 10 broken, 40 active" in lines
    assert "Recovered: CN¥123,456.78" in lines
    assert "Waived: CN¥2,345.67 (reinstated CN¥345.00)" in lines
    assert "Overdue at the last close: M1 9, M2 5, M3 2, M4 1, M5+ 1" in lines
    assert "Suppressed by rule: quiet hours stale 3, plan active 40, daily limit 2" in lines
    assert "Trial balance: 2,000 loans, 1 OUT OF BALANCE, 1 on which the services disagree" in lines
    assert "Plans taken by kind: term extension 20, arrears installments 30, waiver with term extension 28" in lines


def test_the_summary_of_an_empty_run_says_none_instead_of_failing() -> None:
    lines = summary_lines({key: value for key, value in figures(days=0, series=[], totals={}).items() if key != "trial_balance"})

    assert "Trial balance: not taken" in lines

    assert "Borrowers: none" in lines
    assert "Recovered: CN¥0.00" in lines


def test_the_trial_balance_shows_each_component_and_every_loan_found_out_of_balance() -> None:
    html = render_report(figures())

    assert "<h2>Trial balance</h2>" in html
    assert '<p class="verdict unbalanced">2,000 loans, 1 OUT OF BALANCE, 1 on which the services disagree</p>' in html
    assert (
        "<tr><th>Component</th><th>Charged</th><th>Paid</th><th>Waived</th><th>Written off</th><th>Outstanding</th></tr>" in html
    )
    principal = re.search(r"<tr><td>Principal</td>(.*?)</tr>", html)
    assert principal is not None
    assert re.findall(r'<td class="value">([^<]*)</td>', principal.group(1)) == [
        "CN¥1,234,567.00",
        "CN¥1,000,000.00",
        "CN¥0.00",
        "CN¥0.00",
        "CN¥234,567.00",
    ]
    assert (
        f"<tr><td>{LOAN_A}</td><td>repayments_applied</td><td>received 10.00 but paid on lines 9.00 + credit 0.00</td></tr>"
        in html
    )
    assert f"<td>{LOAN_B}</td><td>ledger_plans_active_in_tracking</td>" in html
    assert "plan &lt;p&gt; is active" in html  # escaped like every text from the figures


def test_a_balanced_book_says_so_and_lists_none() -> None:
    html = render_report(figures(trial_balance=trial_balance(balanced=True) | {"disagreements": []}))

    assert '<p class="verdict balanced">2,000 loans, balanced</p>' in html
    assert html.count('<tr><td class="none" colspan="3">none</td></tr>') == 2
    assert summary_lines(figures(trial_balance=trial_balance(balanced=True)))[-1].startswith(
        "Trial balance: 2,000 loans, balanced"
    )


def test_figures_without_a_trial_balance_have_no_such_section() -> None:
    html = render_report({key: value for key, value in figures().items() if key != "trial_balance"})

    assert "Trial balance" not in html
