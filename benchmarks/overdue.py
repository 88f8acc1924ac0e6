"""Benchmark of overdue-detection (issue figures; `make bench` runs it).

(a) Business-day close of a 1,000,000-loan book (12 monthly installments each), 5% of which
    miss the installment due the day before: from publishing BusinessDayClosed to the last
    LoanBecameOverdue read back from Kafka (every event committed and published).
(b) Ingest of a mixed LoanBooked / RepaymentReceived stream through Kafka, beside the raw limit
    measured in the same run: aiokafka consuming the same events and COPYing them into a table.
(c) Peak RSS of the service process.

    python benchmarks/overdue.py [--loans 1000000] [--ingest 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from benchmarks.common import (
    count_events,
    isolated_infrastructure,
    peak_rss_mib,
    per_processes,
    publish,
    raw_limit,
    wait_for_count,
    write,
)
from benchmarks.common import replicas as benchmark_replicas
from overdue_detection.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_runtime.database import migrate
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

CLOSED_DAY = date(2026, 6, 16)
SCHEMA = "overdue_detection"
CONTACT = '{"borrower_id": "B-bench", "locale": "zh-CN", "time_zone": "Asia/Shanghai", "jurisdiction": "CN"}'


async def load_book(database_url: str, loans: int, missing_share: float) -> None:
    """1,000,000 loans in SQL, not Python: installment 1 falls due the day before the close;
    all but `missing_share` of the borrowers paid it."""
    await migrate(database_url, SCHEMA, MIGRATIONS)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        await connection.execute("SET synchronous_commit = off")
        await connection.execute(
            f"""
            INSERT INTO loans (loan_id, borrower_id, currency, principal, contract_rate, overdue_rate, allocation_order,
                               contact, booked_on, jurisdiction, cap_rate, penalty_rate, cap_binds, day_count)
            SELECT md5(n::text)::uuid, 'B' || n, 'CNY', 12000.00, 0.0720, 0.0360, 'penalty_fee_interest_principal',
                   '{CONTACT}'::jsonb, $1::date - 31, 'CN', 0.1200, 0.0360, false, 365
            FROM generate_series(1, $2) AS n
            """,
            CLOSED_DAY,
            loans,
        )
        await connection.execute(
            """
            INSERT INTO installments (loan_id, sequence, due_date, principal, interest, fee,
                                      paid_principal, paid_interest, paid_fee)
            SELECT md5(n::text)::uuid, k, ($1::date - 1) + make_interval(months => k - 1), 1000.00, 72.00, 0,
                   CASE WHEN k = 1 AND n % 100 >= $3 THEN 1000.00 ELSE 0 END,
                   CASE WHEN k = 1 AND n % 100 >= $3 THEN 72.00 ELSE 0 END, 0
            FROM generate_series(1, $2) AS n CROSS JOIN generate_series(1, 12) AS k
            """,
            CLOSED_DAY,
            loans,
            round(missing_share * 100),
        )
        await connection.execute(
            "INSERT INTO business_calendar VALUES ($1, $2)", CLOSED_DAY - timedelta(days=1), datetime(2026, 6, 15, 14, tzinfo=UTC)
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def business_day_close(loans: int, logs: Path) -> dict[str, float]:
    async with isolated_infrastructure() as infra:
        started = time.perf_counter()
        await load_book(infra.database_url, loans, 0.05)
        setup_seconds = time.perf_counter() - started
        service = ServiceProcess("overdue_detection", infra.service_env(), logs).start(timeout=300)
        try:
            listening = asyncio.Event()
            expected = round(loans * 0.05)
            reader = asyncio.create_task(count_events(infra, "overdue.status.v1", "LoanBecameOverdue", expected, listening))
            await listening.wait()
            producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, enable_idempotence=True, acks="all")
            await producer.start()
            close = wrap(
                BusinessDayClosed(business_date=CLOSED_DAY, closed_at=datetime(2026, 6, 16, 14, tzinfo=UTC)),
                producer="bench",
                occurred_at=datetime.now(UTC),
            )
            published = time.perf_counter()
            await producer.send_and_wait(
                infra.topic_prefix + "ops.clock.v1",
                close.to_bytes(),
                key=b"business-calendar",
                headers=[(k, v.encode()) for k, v in close.headers().items()],
            )
            await producer.stop()
            finished = await asyncio.wait_for(reader, timeout=900)
            return {
                "close_seconds": round(finished - published, 2),
                "overdue_events": expected,
                "events_per_second": round(expected / (finished - published)),
                "book_setup_seconds": round(setup_seconds, 1),
                "service_peak_rss_mib": round(peak_rss_mib(service.pid), 1),
            }
        finally:
            service.stop()


def ingest_stream(count: int) -> list[tuple[bytes, bytes]]:
    """Four LoanBooked for every RepaymentReceived, as an upstream system sends them."""
    messages = []
    loans = []
    now = datetime.now(UTC)
    for n in range(count):
        if n % 5 == 4 and loans:
            loan_id = loans[n % len(loans)]
            event = RepaymentReceived(
                loan_id=loan_id,
                payment_id=f"B-{n}",
                amount=Money.of("100.00", "CNY"),
                received_at=now,
                value_date=date(2026, 2, 1),
            )
        else:
            event = loan_booked(loan_id=uuid.uuid4())
            loans.append(event.loan_id)
        messages.append((str(event.loan_id).encode(), wrap(event, producer="bench", occurred_at=now).to_bytes()))
    return messages


async def service_ingest(
    infra: Infrastructure, stream: list[tuple[bytes, bytes]], logs: Path, replicas: int
) -> tuple[float, float]:
    """The service already running (`replicas` processes in one consumer group, as DESIGN §6
    scales out); from the first event published to the last one handled."""
    async with benchmark_replicas("overdue_detection", infra, logs, replicas) as services:
        started = time.perf_counter()
        await publish(infra, "loans.lifecycle.v1", stream)
        await wait_for_count(infra.database_url, f"SELECT count(*) FROM {SCHEMA}.inbox", len(stream))
        return len(stream) / (time.perf_counter() - started), max(peak_rss_mib(service.pid) for service in services)


async def ingest(count: int, logs: Path) -> dict[str, float]:
    stream = ingest_stream(count)
    figures: dict[str, float] = {}
    for replicas in (1, 2):
        async with isolated_infrastructure() as infra:
            ours, rss = await service_ingest(infra, stream, logs, replicas)
        figures[per_processes("ingest_events_per_second", replicas)] = round(ours)
        figures.setdefault("ingest_peak_rss_mib", round(rss, 1))
    async with isolated_infrastructure() as infra:
        await publish(infra, "loans.lifecycle.v1", stream)
        raw = await raw_limit(infra, "loans.lifecycle.v1", count)
    figures["raw_limit_events_per_second"] = round(raw)
    figures["ratio_to_raw_1_process"] = round(figures["ingest_events_per_second_1_process"] / raw, 3)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--ingest", type=int, default=20_000)
    arguments = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bench-overdue-"))
    figures = await business_day_close(arguments.loans, logs) if arguments.loans else {}
    figures |= await ingest(arguments.ingest, logs)
    figures["targets"] = "close ≤ 20 s for 1,000,000 loans; ingest ≥ 5,000 events/s"
    write(
        "overdue",
        figures,
        {
            "loans": arguments.loans,
            "installments_per_loan": 12,
            "missing_share": 0.05,
            "ingest_events": arguments.ingest,
            "service_logs": str(logs),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
