"""Benchmark of plan-calculation (`make bench` runs it): the whole option menu and its
recommendation for a 36-month loan, in-process, over many runs; and the same described as the
PlanOffered event carries it.

    python -m benchmarks.plans [--runs 2000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from benchmarks.common import write
from plan_calculation.domain.menu import LoanPosition, plan_options, recommend
from plan_calculation.domain.options import Hardship
from tideover_contracts.money import Money

# 36,000.00 over 36 months at 7.2%, one installment overdue with its penalty, 35 still to come.
POSITION = LoanPosition(
    "CNY", date(2026, 2, 18), Decimal("1000.00"), Decimal("80.00"), Decimal(0), Decimal("3.15"),
    Decimal("36000.00"), Decimal("0.0720"), tuple([Decimal("1080.00")] * 35),
)  # fmt: skip
HARDSHIP = Hardship(Money.of("6000.00", "CNY"))


def percentiles(work: Callable[[], object], runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    options = plan_options(POSITION, evidence_verified=True)
    menu_p50, menu_p99 = percentiles(lambda: recommend(plan_options(POSITION, True), HARDSHIP), runs)
    offer_p50, offer_p99 = percentiles(lambda: describe_options(POSITION, HARDSHIP, True), max(runs // 10, 50))
    write(
        "plans",
        {
            "options_per_menu": len(options),
            "menu_ms_p50": round(menu_p50, 2),
            "menu_ms_p99": round(menu_p99, 2),
            "described_offer_ms_p50": round(offer_p50, 2),
            "described_offer_ms_p99": round(offer_p99, 2),
            "targets": "menu p99 ≤ 2 ms; ≥ 1,000 NegotiationRequested/s through Kafka (not measured yet)",
        },
        {"runs": runs, "loan_months": 36},
    )


if __name__ == "__main__":
    main()
