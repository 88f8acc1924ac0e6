"""The HTML report of a loan-book simulation: one self-contained page of charts and totals,
and a short plain-text summary for the terminal.

`figures` is the parsed JSON the simulator writes (tideover_simulator.report_figures reads it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from tideover_simulator.report_charts import charts
from tideover_simulator.report_figures import (
    HELP_CHANNELS,
    DayFigures,
    TrialBalanceView,
    amount_of,
    count_of,
    counts_of,
    help_counts,
    help_split,
    label_of,
    last_overdue,
    money,
    offers_by_kind,
    verdict_of,
)


def render_report(figures: dict[str, Any]) -> str:
    """Render the simulation's figures as a complete HTML document with inline SVG charts."""
    days = [DayFigures.parse(raw) for raw in figures.get("series", [])]
    totals: Mapping[str, Any] = figures.get("totals", {})
    currency = str(figures.get("currency", "CNY"))
    balance = figures.get("trial_balance")
    template = _environment().get_template("report.html.j2")
    return template.render(
        header=_header(figures),
        charts=charts(days, totals, currency),
        sections=_totals_sections(days, totals, currency),
        help_channels=[*HELP_CHANNELS.values(), "All"],
        help_split=[(label, [f"{count:,}" for count in counts]) for label, counts in help_split(totals)],
        trial_balance=TrialBalanceView.parse(balance) if balance is not None else None,
    )


def write_report(figures: dict[str, Any], path: Path) -> Path:
    """Write the report to `path`, creating its directory, and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(figures), encoding="utf-8")
    return path


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """A short plain-text summary of the run for the terminal."""
    days = [DayFigures.parse(raw) for raw in figures.get("series", [])]
    totals: Mapping[str, Any] = figures.get("totals", {})
    currency = str(figures.get("currency", "CNY"))
    header = _header(figures)
    suppressed = counts_of(totals, "suppressed_by_rule")
    return [
        f"Simulation: seed {header['Seed']}, {header['Loans']} loans, {header['Days']} days ({header['Business dates']})",
        f"Elapsed: {header['Elapsed']}",
        f"Borrowers: {_joined(counts_of(totals, 'borrowers_by_profile').items())}",
        f"Overdue at the last close: {_joined(last_overdue(days).items())}",
        f"Notices: {count_of(totals, 'notices_sent'):,} sent, {count_of(totals, 'notices_held'):,} held, "
        f"{sum(suppressed.values()):,} suppressed",
        f"Suppressed by rule: {_joined(suppressed.items())}",
        f"Sent by purpose: {_joined(counts_of(totals, 'sent_by_purpose').items())}",
        f"Negotiation: {count_of(totals, 'applications'):,} applications, {count_of(totals, 'offers'):,} offers, "
        f"{count_of(totals, 'rejections'):,} rejections",
        f"Plans taken by kind: {_joined(offers_by_kind(totals).items())}",
        f"Plans: {count_of(totals, 'plans_activated'):,} activated, {count_of(totals, 'plans_completed'):,} completed, "
        f"{count_of(totals, 'plans_broken'):,} broken, {count_of(totals, 'plans_active'):,} active",
        *_split_lines(totals),
        f"Recovered: {money(amount_of(totals, 'recovered'), currency)}",
        f"Waived: {money(amount_of(totals, 'waived'), currency)} "
        f"(reinstated {money(amount_of(totals, 'waivers_reinstated'), currency)})",
        f"Trial balance: {verdict_of(figures['trial_balance']) if 'trial_balance' in figures else 'not taken'}",
    ]


@functools.cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).with_name("templates"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _header(figures: Mapping[str, Any]) -> dict[str, str]:
    return {
        "Seed": str(figures["seed"]),
        "Loans": f"{int(figures['loans']):,}",
        "Days": f"{int(figures['days']):,}",
        "Business dates": f"{figures['first_day']} to {figures['last_day']}",
        "Elapsed": _elapsed(float(figures["elapsed_seconds"])),
        "Currency": str(figures.get("currency", "CNY")),
    }


def _totals_sections(
    days: Sequence[DayFigures], totals: Mapping[str, Any], currency: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    suppressed = counts_of(totals, "suppressed_by_rule")
    return [
        ("Borrowers by profile", _rows(counts_of(totals, "borrowers_by_profile").items())),
        ("Overdue at the last close", _rows(last_overdue(days).items())),
        (
            "Notices",
            _rows(
                [
                    ("sent", count_of(totals, "notices_sent")),
                    ("held", count_of(totals, "notices_held")),
                    ("suppressed", sum(suppressed.values())),
                ]
            ),
        ),
        ("Suppressed by rule", _rows(suppressed.items())),
        ("Sent by purpose", _rows(counts_of(totals, "sent_by_purpose").items())),
        ("Negotiation", _rows((key, count_of(totals, key)) for key in ("applications", "offers", "rejections"))),
        ("Plans taken by kind", _rows(offers_by_kind(totals).items())),
        (
            "Plans",
            _rows(
                (key.removeprefix("plans_"), count_of(totals, key))
                for key in ("plans_activated", "plans_completed", "plans_broken", "plans_active")
            ),
        ),
        ("Page steps left for the next day", _rows(counts_of(totals, "page_steps_not_taken").items())),
        (
            "Amounts",
            [(label_of(key), money(amount_of(totals, key), currency)) for key in ("recovered", "waived", "waivers_reinstated")],
        ),
    ]


def _split_lines(totals: Mapping[str, Any]) -> list[str]:
    """Who asked for help how, and what became of their plans: a line for each way."""
    rows = help_counts(totals)
    asked = rows["borrowers"]
    lines = [f"Asked for help: {asked[0]:,} through the agent, {asked[1]:,} on their page"]
    for column, channel in enumerate(HELP_CHANNELS.values()):
        counts = {key: f"{values[column]:,}" for key, values in rows.items()}
        lines.append(
            f"  {channel.lower()}: {counts['applications']} applications, {counts['plans_accepted']} plans accepted, "
            f"{counts['plans_activated']} activated, {counts['plans_completed']} completed, "
            f"{counts['plans_broken']} broken, {counts['plans_active']} active"
        )
    return lines


def _rows(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    return [(label_of(name), f"{count:,}") for name, count in pairs]


def _joined(pairs: Iterable[tuple[str, int]]) -> str:
    text = ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in pairs)
    return text or "none"


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{seconds:.1f} s" if minutes == 0 else f"{minutes} min {rest:02d} s"
