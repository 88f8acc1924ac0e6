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
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

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
from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application.closing import when_business_day_closed_settle_overdue
from overdue_detection.application.ports import Overdue
from overdue_detection.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_runtime.clock import SystemClock, record_business_day
from tideover_runtime.database import migrate
from tideover_runtime.outbox import PostgresOutbox
from tideover_runtime.settings import ChargeCapsSettings
from tideover_runtime.unit import Unit
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
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


class _Explaining:
    """A connection that runs each statement under EXPLAIN (ANALYZE, BUFFERS) in a savepoint
    rolled back, then for real: the close's plans, with what each statement cost."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self.plans: list[tuple[float, str, list[str]]] = []

    async def _run(self, query: str, args: tuple[Any, ...]) -> None:
        if not query.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")):
            return
        savepoint = self._connection.transaction()
        await savepoint.start()
        try:
            rows = await self._connection.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query, *args)
        finally:
            await savepoint.rollback()
        lines = [row[0] for row in rows]
        total = next((float(line.split()[2]) for line in lines if line.startswith("Execution Time")), 0.0)
        self.plans.append((total, " ".join(query.split())[:90], lines))

    async def execute(self, query: str, *args: Any) -> str:
        await self._run(query, args)
        return str(await self._connection.execute(query, *args))

    async def executemany(self, query: str, args: list[Any]) -> None:
        started = time.perf_counter()
        await self._connection.executemany(query, args)
        took = (time.perf_counter() - started) * 1000
        self.plans.append((took, " ".join(query.split())[:90], [f"executemany of {len(args)} rows: {took:.0f} ms"]))

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        await self._run(query, args)
        return list(await self._connection.fetch(query, *args))

    async def fetchrow(self, query: str, *args: Any) -> Any:
        await self._run(query, args)
        return await self._connection.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        await self._run(query, args)
        return await self._connection.fetchval(query, *args)


async def explain_close(database_url: str, day: date) -> list[str]:
    """The measured close of `day` again, in-process, in a transaction rolled back, the book first
    put back as it was before it (episodes, penalty, its events and its day); each statement
    EXPLAINed, the plans compactly, the costliest first. Caches are warm by then."""
    connection = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA, "jit": "off", "work_mem": "64MB"})
    explaining = _Explaining(connection)
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(
            """
            UPDATE loans SET episode = 0, overdue_since = NULL, bucket = 'current', last_reported_on = NULL, paused_days = 0
            WHERE overdue_since IS NOT NULL;
            UPDATE installments SET penalty_basis = 0, accrued_through = NULL WHERE accrued_through IS NOT NULL;
            DELETE FROM outbox WHERE topic = 'overdue.status.v1';
            DELETE FROM told_closes;
            """
        )
        await connection.execute("DELETE FROM business_calendar WHERE business_date >= $1", day)
        closed = BusinessDayClosed(business_date=day, closed_at=datetime(2026, 6, 17, 14, tzinfo=UTC))
        await record_business_day(connection, closed)
        unit = Unit(
            wrap(closed, producer="bench", occurred_at=datetime.now(UTC)),
            "overdue-detection",
            SystemClock(),
            PostgresOutbox(explaining),  # type: ignore[arg-type]
        )
        ctx = Overdue(LoanBook(explaining), ChargeCapsSettings().caps())  # type: ignore[arg-type]
        started = time.perf_counter()
        await when_business_day_closed_settle_overdue(unit, ctx)
        whole = (time.perf_counter() - started) * 1000
    finally:
        await transaction.rollback()
        await connection.close()
    in_sql = sum(ms for ms, _, _ in explaining.plans)
    report = [f"close of {day} in-process: {whole:.0f} ms wall (explained twice), {in_sql:.0f} ms in the statements"]
    for ms, query, lines in sorted(explaining.plans, key=lambda plan: -plan[0]):
        report.append(f"--- {ms:8.1f} ms  {query}")
        report.extend("    " + line for line in lines if not line.lstrip().startswith(("Planning", "Buffers: shared hit=")))
    return report


async def business_day_close(loans: int, logs: Path) -> dict[str, float]:
    async with isolated_infrastructure() as infra:
        started = time.perf_counter()
        progress(f"booking {loans:,} loans × 12 installments in SQL (a few minutes)…")
        await load_book(infra.database_url, loans, 0.05)
        setup_seconds = time.perf_counter() - started
        progress(f"business-day close of {loans:,} loans…")
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
            # The relay's share: from the first event sent (just after the close committed) to the
            # last (its last batch marked sent just after the reader saw it).
            await wait_for_count(infra.database_url, f"SELECT count(*) FROM {SCHEMA}.outbox WHERE sent_at IS NOT NULL", expected)
            connection = await asyncpg.connect(infra.database_url)
            relay_seconds = await connection.fetchval(
                f"SELECT extract(epoch FROM max(sent_at) - min(sent_at)) FROM {SCHEMA}.outbox WHERE topic = 'overdue.status.v1'"
            )
            await connection.close()
            print("\n".join(await explain_close(infra.database_url, CLOSED_DAY)), flush=True)
            return {
                "close_seconds": round(finished - published, 2),
                "relay_seconds_of_it": round(float(relay_seconds), 2),
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
    loans: list[uuid.UUID] = []
    now = datetime.now(UTC)
    for n in range(count):
        event: LoanBooked | RepaymentReceived
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
    """As the raw limit reads it, the stream is on the topic before the service starts
    (`replicas` processes in one consumer group, as DESIGN §6 scales out): from when they are up
    and their partitions settled to the last event handled, the events handled in that time."""
    await publish(infra, "loans.lifecycle.v1", stream)
    inbox = f"SELECT count(*) FROM {SCHEMA}.inbox"
    async with benchmark_replicas("overdue_detection", infra, logs, replicas) as services:
        started = time.perf_counter()
        connection = await asyncpg.connect(infra.database_url)
        try:
            before = await connection.fetchval(inbox)  # handled while starting: not counted
        finally:
            await connection.close()
        await wait_for_count(infra.database_url, inbox, len(stream))
        rate = (len(stream) - before) / (time.perf_counter() - started)
        return rate, max(peak_rss_mib(service.pid) for service in services)


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
    parser.add_argument("--ingest", type=int, default=100_000)
    arguments = parser.parse_args()
    logs = service_logs()
    figures: dict[str, float | str] = {}
    if arguments.loans:
        figures |= await business_day_close(arguments.loans, logs)
    if arguments.ingest:
        figures |= await ingest(arguments.ingest, logs)
    figures["targets"] = "close ≤ 10 s for 1,000,000 loans; ingest with one process ≥ 0.15 of the raw limit"
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
