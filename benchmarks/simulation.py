"""End-to-end benchmark: the loan-book simulator through all five services (`make bench` runs it).

All five services as processes on their own topics and scratch database, the simulator's book
through them, every business day settled before the next: how many business days a minute and
events a second the whole system sustains at this book size, and each service's peak RSS.

    python -m benchmarks.simulation [--loans 2000] [--days 60] [--seed 7] [--settle notified|polled]

`--settle polled` settles each step of a day the old way (polling; tideover_simulator.settling),
for a comparison on the same book.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from benchmarks.common import isolated_infrastructure, peak_rss_mib, service_logs, write
from tideover_simulator.simulation import Plan, Services, Simulation
from tideover_testkit.processes import started_services


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=2000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--settle", choices=("notified", "polled"), default=Plan.settle)
    arguments = parser.parse_args()
    logs = service_logs()
    # As deploy/services.sh starts them: intake is told where the ledger's query API answers
    # (a borrower may ask for help before the loan is overdue; intake then asks the ledger).
    async with isolated_infrastructure() as infra:
        with started_services(infra.service_env(), logs) as running:
            plan = Plan(
                seed=arguments.seed,
                loans=arguments.loans,
                days=arguments.days,
                first_day=date(2026, 1, 5),
                settle=arguments.settle,
            )
            figures = await Simulation(infra.settings(), Services.of(running), plan, progress=print).run()
            rss = {f"peak_rss_mib_{name}": round(peak_rss_mib(process.pid), 1) for name, process in running.items()}
    elapsed = figures["elapsed_seconds"]
    upstream = sum(figures["totals"]["events_published"].values())
    produced = sum(figures["totals"]["service_events"].values())
    write(
        "simulation",
        {
            "elapsed_seconds": elapsed,
            "business_days_per_minute": round(arguments.days / elapsed * 60, 1),
            "upstream_events_per_second": round(upstream / elapsed, 1),
            "service_events_per_second": round(produced / elapsed, 1),
            "notices_sent": figures["totals"]["notices_sent"],
            "plans_activated": figures["totals"]["plans_activated"],
            **rss,
        },
        {
            "loans": arguments.loans,
            "days": arguments.days,
            "seed": arguments.seed,
            "settle": arguments.settle,
            "service_logs": str(logs),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
