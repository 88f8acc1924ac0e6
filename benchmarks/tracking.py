"""Benchmark of repayment-tracking (issue figures; `make bench` runs it).

(a) Business-day close over 100,000 active plans (6 monthly installments each; the first fell
    due 4 days before, 95% of borrowers paid it, 5% did not): from publishing BusinessDayClosed
    to every plan judged (its close committed) and the 5,000 PlanInstallmentMissed read back.
(b) Payments the ledger applied (RepaymentApplied on overdue.status.v1, as overdue-detection
    publishes them) for loans under a plan, one and two processes, beside the raw limit measured
    in the same run (aiokafka consuming the same events and COPYing them); both read a topic
    already full.
(c) Peak RSS of the service.

    python -m benchmarks.tracking [--plans 100000] [--repayments 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from benchmarks.common import (
    count_events,
    isolated_infrastructure,
    peak_rss_mib,
    per_processes,
    progress,
    publish,
    raw_limit,
    service_logs,
    wait_for_count,
    write,
)
from benchmarks.common import replicas as benchmark_replicas
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.overdue import LedgerLine, LineCovered, RepaymentApplied
from tideover_contracts.money import Money
from tideover_contracts.topics import OPS_CLOCK, OVERDUE_DETECTION, OVERDUE_STATUS, PLANS_TRACKING
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

SCHEMA = "repayment_tracking"
ACTIVATED = date(2026, 1, 1)
INSTALLMENT = Decimal("348.33")
CLOSED_DAY = date(2026, 2, 5)  # the first installments fell due on 1 February: 3 days of grace are over
NO_WAIVER = (
    '{"penalty": {"amount": "0.00", "currency": "CNY"}, "interest": {"amount": "0.00", "currency": "CNY"},'
    ' "fee": {"amount": "0.00", "currency": "CNY"}, "total": {"amount": "0.00", "currency": "CNY"}}'
)


async def load_plans(database_url: str, plans: int, missing_share: float) -> None:
    """`plans` active plans judged through the day before the close; the ledger reported all but
    `missing_share` of them paid their first installment (on 31 January)."""
    connection = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    paid = "n % 100 >= $3"
    try:
        await connection.execute(
            """
            INSERT INTO plans (plan_id, loan_id, currency, status, activated_on, conditional_waiver, closed_through, effect)
            SELECT md5('plan' || n)::uuid, md5('loan' || n)::uuid, 'CNY', 'active', $1, $3::jsonb, $4::date - 1, 'arrears'
            FROM generate_series(1, $2) AS n
            """,
            ACTIVATED,
            plans,
            NO_WAIVER,
            CLOSED_DAY,
        )
        await connection.execute(
            f"""
            INSERT INTO plan_installments (plan_id, sequence, due_date, amount, left_now)
            SELECT md5('plan' || n)::uuid, k, ($1::date + make_interval(months => k))::date, $4::numeric,
                   CASE WHEN k = 1 AND {paid} THEN 0 ELSE $4::numeric END
            FROM generate_series(1, $2) AS n CROSS JOIN generate_series(1, 6) AS k
            """,
            ACTIVATED,
            plans,
            round(missing_share * 100),
            INSTALLMENT,
        )
        await connection.execute(
            f"""
            INSERT INTO plan_payments (payment_id, plan_id, amount, value_date)
            SELECT 'paid-' || n, md5('plan' || n)::uuid, $4, $1::date + 30 FROM generate_series(1, $2) AS n WHERE {paid};
            """,
            ACTIVATED,
            plans,
            round(missing_share * 100),
            INSTALLMENT,
        )
        await connection.execute(
            f"""
            INSERT INTO line_reports (plan_id, arrival, payment_id, kind, sequence, value_date, paid, left_after)
            SELECT md5('plan' || n)::uuid, 1, 'paid-' || n, 'plan', 1, $1::date + 30, $4, 0
            FROM generate_series(1, $2) AS n WHERE {paid}
            """,
            ACTIVATED,
            plans,
            round(missing_share * 100),
            INSTALLMENT,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def close(plans: int, logs: Path) -> dict[str, float]:
    progress(f"business-day close over {plans:,} active plans…")
    async with isolated_infrastructure() as infra:
        service = ServiceProcess("repayment_tracking", infra.service_env(), logs).start(timeout=300)
        try:
            started = time.perf_counter()
            await load_plans(infra.database_url, plans, 0.05)
            setup = time.perf_counter() - started
            listening = asyncio.Event()
            expected = round(plans * 0.05)
            reader = asyncio.create_task(count_events(infra, PLANS_TRACKING.name, "PlanInstallmentMissed", expected, listening))
            await listening.wait()
            day = wrap(
                BusinessDayClosed(business_date=CLOSED_DAY, closed_at=datetime(2026, 2, 5, 10, tzinfo=UTC)),
                producer="bench",
                occurred_at=datetime.now(UTC),
            )
            published = time.perf_counter()
            await publish(infra, OPS_CLOCK.name, [(b"business-calendar", day.to_bytes())])
            finished = await asyncio.wait_for(reader, timeout=600)
            return {
                "close_seconds": round(finished - published, 2),
                "missed_events": expected,
                "plans_setup_seconds": round(setup, 1),
                "close_peak_rss_mib": round(peak_rss_mib(service.pid), 1),
            }
        finally:
            service.stop()


def repayment_stream(count: int, plans: int) -> list[tuple[bytes, bytes]]:
    """Payments of 10.00 for loans under a plan, spread over the plans, as the ledger reports
    them: each pays the plan's second line (the first is paid), which owes 10.00 less each time."""
    now = datetime.now(UTC)
    messages = []
    zero, ten = Money.of("0.00", "CNY"), Money.of("10.00", "CNY")
    for n in range(count):
        loan_id = uuid.UUID(bytes=bytes.fromhex(_md5(f"loan{n % plans + 1}")))
        plan_id = uuid.UUID(bytes=bytes.fromhex(_md5(f"plan{n % plans + 1}")))
        left = Money.of(INSTALLMENT - 10 * (n // plans + 1), "CNY")
        line = LedgerLine(sequence=2, plan_id=plan_id, due_date=date(2026, 3, 1))
        event = RepaymentApplied(
            loan_id=loan_id,
            payment_id=f"B-{n}",
            amount=ten,
            value_date=date(2026, 2, 1),
            covered=(LineCovered(line=line, principal=ten, interest=zero, fee=zero, penalty=zero, left=left),),
            to_credit=zero,
            outstanding=left,
        )
        envelope = wrap(event, producer=OVERDUE_DETECTION, occurred_at=now)
        messages.append((str(loan_id).encode(), envelope.to_bytes()))
    return messages


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


async def repayments(infra: Infrastructure, stream: list[tuple[bytes, bytes]], plans: int, logs: Path, replicas: int) -> float:
    """Like the raw limit, the processes read a full topic: they make their schema and stop, the
    plans are loaded and the stream published, then they start again; timed from when they are
    ready, without the payments they recorded before that."""
    recorded = f"SELECT count(*) FROM {SCHEMA}.plan_payments"
    async with benchmark_replicas("repayment_tracking", infra, logs, replicas) as services:
        for service in services:
            service.stop()
        await load_plans(infra.database_url, plans, 0.0)  # with one payment each
        await publish(infra, OVERDUE_STATUS.name, stream)
        for service in services:
            service.start(timeout=300)
        started = time.perf_counter()
        connection = await asyncpg.connect(infra.database_url)
        try:
            before: int = await connection.fetchval(recorded) - plans
        finally:
            await connection.close()
        await wait_for_count(infra.database_url, recorded, plans + len(stream))
        return (len(stream) - before) / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--repayments", type=int, default=100_000)
    arguments = parser.parse_args()
    logs = service_logs()
    figures: dict[str, object] = dict(await close(arguments.plans, logs))
    stream = repayment_stream(arguments.repayments, 10_000)
    for replicas in (1, 2):
        async with isolated_infrastructure() as infra:
            rate = await repayments(infra, stream, 10_000, logs, replicas)
        figures[per_processes("repayments_per_second", replicas)] = round(rate)
    async with isolated_infrastructure() as infra:
        await publish(infra, OVERDUE_STATUS.name, stream)
        raw = await raw_limit(infra, OVERDUE_STATUS.name, len(stream))
    figures["raw_limit_per_second"] = round(raw)
    figures["ratio_to_raw_1_process"] = round(float(figures["repayments_per_second_1_process"]) / raw, 3)  # type: ignore[arg-type]
    figures["targets"] = "close of 100,000 active plans ≤ 5 s; ≥ 5,000 repayments/s through Kafka"
    write(
        "tracking",
        figures,
        {
            "plans": arguments.plans,
            "installments_per_plan": 6,
            "missing_share": 0.05,
            "repayments": arguments.repayments,
            "service_logs": str(logs),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
