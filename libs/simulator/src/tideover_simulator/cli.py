"""`tideover-simulate`: run a seeded loan book through the running services, then print a
summary and write the figures (JSON) and the HTML report. Exits 1 when the trial balance
(tideover-reconcile) finds a loan out of balance.

    tideover-simulate [--loans 2000] [--days 150] [--seed 7] [--first-day 2026-01-05] [--page-share 0.3]
                      [--out var/simulation]

Kafka, Postgres and the five services must be running (`make up`); `make demo` does it all.
Settings (environment) as every service: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, TIDEOVER_TOPIC_PREFIX;
and TIDEOVER_SERVICE_KEY, an operator's service key (`make demo` provisions one, var/service-keys.env).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from tideover_runtime.logging import configure_logging
from tideover_runtime.service_keys import CallerSettings
from tideover_runtime.settings import RuntimeSettings
from tideover_simulator.report import summary_lines, write_report
from tideover_simulator.simulation import Plan, Services, Simulation


def main() -> None:
    parser = argparse.ArgumentParser(prog="tideover-simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=2000)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first-day", type=date.fromisoformat, default=None, help="default: the day after the last close")
    parser.add_argument(
        "--page-share",
        type=float,
        default=Plan.page_share,
        help="of the borrowers who ask for help, the share who do it on their own page (default: %(default)s)",
    )
    parser.add_argument(
        "--settle",
        choices=("notified", "polled"),
        default=Plan.settle,
        help="how a day is known to be settled: told by commits and outbox notifications, or by polling"
        " (the old way; the same figures, slower) (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=Path("var/simulation"), help="where figures.json and report.html go")
    arguments = parser.parse_args()
    configure_logging("tideover-simulate", "WARNING")  # the in-process gateway's receipts are not news
    simulation = Simulation(
        RuntimeSettings(),
        Services(key=CallerSettings().service_key),
        Plan(
            seed=arguments.seed,
            loans=arguments.loans,
            days=arguments.days,
            first_day=arguments.first_day,
            page_share=arguments.page_share,
            settle=arguments.settle,
        ),
        progress=lambda line: print(line, flush=True),
    )
    try:
        figures = asyncio.run(simulation.run())
    except TimeoutError:
        sys.exit("tideover-simulate: the services did not catch up in time; see var/log/*.log")
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    report = write_report(figures, arguments.out / "report.html")
    print()
    for line in summary_lines(figures):
        print(line)
    print(f"\nfigures: {arguments.out / 'figures.json'}\nreport:  {report}")
    balance = figures["trial_balance"]
    if not balance["balanced"]:
        sys.exit(f"tideover-simulate: {len(balance['loans_out_of_balance'])} loans out of balance (the trial balance above)")
