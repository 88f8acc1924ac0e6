"""Two replicas in one consumer group (DESIGN.md §6, scaling out) take in a mixed stream
together: every event handled once, every payment applied once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
LOANS = 300


async def test_two_replicas_handle_every_event_once(private_infrastructure: Infrastructure, tmp_path: Path) -> None:
    infra = private_infrastructure
    replicas = [ServiceProcess("overdue_detection", infra.service_env(), tmp_path).start() for _ in range(2)]
    now = datetime.now(UTC)
    loans = [loan_booked(loan_id=uuid.uuid4()) for _ in range(LOANS)]
    # Each loan gets two payments of 10.00; every payment is also delivered twice.
    ten = Money.of("10.00", "CNY")
    payments = [
        RepaymentReceived(
            loan_id=loan.loan_id, payment_id=f"P-{loan.loan_id}-{n}", amount=ten, received_at=now, value_date=date(2026, 2, 1)
        )
        for loan in loans
        for n in range(2)
    ]
    try:
        await _until_members(infra, f"{infra.topic_prefix}overdue-detection.loans.lifecycle.v1", 2)  # both own partitions
        async with KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka:
            for loan, first, second in zip(loans, payments[::2], payments[1::2], strict=True):
                booked = wrap(loan, producer="test", occurred_at=now)
                paid = [wrap(payment, producer="test", occurred_at=now) for payment in (first, second)]
                await kafka.publish(booked, paid[0], paid[0], paid[1])
        connection = await asyncpg.connect(infra.database_url, server_settings={"search_path": "overdue_detection"})
        try:
            await _until_handled(connection, LOANS * 3)
            await settled(infra)  # both replicas past the redelivered copies: every duplicate seen
            assert await connection.fetchval("SELECT count(*) FROM inbox") == LOANS * 3  # duplicates were skipped
            assert await connection.fetchval("SELECT count(*) FROM loans") == LOANS
            assert await connection.fetchval("SELECT count(*) FROM repayments") == LOANS * 2
            # 20.00 a loan went to installment 1: interest first (45.00 owed), nothing to principal.
            paid = await connection.fetchrow(
                "SELECT sum(paid_interest) AS interest, sum(paid_principal) AS principal FROM installments"
            )
            assert paid["interest"] == Decimal("20.00") * LOANS
            assert paid["principal"] == 0
        finally:
            await connection.close()
        shares = [await _handled_by(replica) for replica in replicas]
        assert all(share > 0 for share in shares), f"each replica takes a share of the partitions: {shares}"
    finally:
        for replica in replicas:
            replica.stop()


async def _until_members(infra: Infrastructure, group: str, members: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            while True:
                (response,) = await admin.describe_consumer_groups([group])
                _, _, state, _, _, joined, *_ = response.groups[0]
                if state == "Stable" and len(joined) == members:
                    return
                await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _until_handled(connection: asyncpg.Connection, count: int) -> None:
    async with asyncio.timeout(90):
        while await connection.fetchval("SELECT count(*) FROM inbox") < count:  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.2)


async def _handled_by(replica: ServiceProcess) -> float:
    async with httpx.AsyncClient(base_url=replica.url) as http:
        metrics = (await http.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("tideover_messages_total{") and 'outcome="handled"' in line and "loans.lifecycle.v1" in line
    )
