"""The work queue's order and filter on the real Postgres (adapters/work_queue.py, issue 20
finding 9): by the days past due each copy implies at the latest business date intake knows of
— the copy's days plus the days since while overdue and no plan holds the clock, none once
cured — and by the amount a copy says is overdue (none once cured)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.adapters.work_queue import QueueFilter, work_queue
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_runtime.clock import record_business_day
from tideover_runtime.database import Connection
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def connection(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "queue") as pool, pool.acquire() as connection:
        yield connection


def copy(days: int, total: str, on: date, *, under_plan: bool = False) -> dict[str, Any]:
    """What a status event says, as far as the queue reads it."""
    return {
        "business_date": on.isoformat(),
        "days_past_due": days,
        "bucket": "M1" if days <= 30 else "M2",
        "overdue": {"total": {"amount": total, "currency": "CNY"}},
        "under_plan": under_plan,
    }


async def loan(connection: Connection, borrower: str, overdue: bool, snapshot: dict[str, Any], plan: str | None = None) -> None:
    loan_id = uuid.uuid4()
    on = date.fromisoformat(snapshot["business_date"])
    await PostgresIntakeStore(connection).upsert_loan(loan_id, borrower, overdue, on, json.dumps(snapshot))
    if plan:
        set_plan = "UPDATE loan_views SET plan_id = $2, plan_status = $3 WHERE loan_id = $1"
        await connection.execute(set_plan, loan_id, uuid.uuid4(), plan)


async def book(connection: Connection) -> None:
    """Five loans; the newest copy is of 8 March."""
    await loan(connection, "B-told-a-week-ago", True, copy(10, "500.00", date(2026, 3, 1)))
    await loan(connection, "B-told-today", True, copy(15, "900.00", date(2026, 3, 8)))
    await loan(connection, "B-under-plan", True, copy(40, "300.00", date(2026, 2, 20), under_plan=True))
    await loan(connection, "B-plan-just-active", True, copy(5, "100.00", date(2026, 3, 1)), plan="active")
    await loan(connection, "B-cured", False, copy(50, "2000.00", date(2026, 3, 5)))


async def borrowers(connection: Connection, query: QueueFilter) -> list[tuple[str, int | None]]:
    rows, total = await work_queue(connection, query)
    assert total == len(rows)
    return [(row.borrower_id, row.days_past_due_today) for row in rows]


async def test_the_days_past_due_are_the_copys_carried_to_the_latest_business_date(connection: Connection) -> None:
    await book(connection)
    assert await borrowers(connection, QueueFilter()) == [
        ("B-under-plan", 40),  # a plan holds the clock: the days stand still
        ("B-told-a-week-ago", 17),  # 10 on 1 March, 7 days since
        ("B-told-today", 15),
        ("B-plan-just-active", 5),
        ("B-cured", 0),  # its copy keeps the 50 days it last had overdue
    ]
    assert await borrowers(connection, QueueFilter(min_days_past_due=16)) == [("B-under-plan", 40), ("B-told-a-week-ago", 17)]
    assert await borrowers(connection, QueueFilter(status="overdue", descending=False)) == [
        ("B-told-today", 15),
        ("B-told-a-week-ago", 17),
    ]


async def test_a_close_intake_recorded_itself_moves_the_days_on(connection: Connection) -> None:
    """On the business clock intake follows ops.clock.v1: a close recorded there is today."""
    await book(connection)
    await record_business_day(connection, BusinessDayClosed(business_date=date(2026, 3, 10), closed_at=datetime.now(UTC)))
    days = dict(await borrowers(connection, QueueFilter()))
    assert (days["B-told-a-week-ago"], days["B-told-today"], days["B-under-plan"], days["B-cured"]) == (19, 17, 40, 0)


async def test_by_amount_a_cured_loan_owes_nothing(connection: Connection) -> None:
    await book(connection)
    assert [name for name, _ in await borrowers(connection, QueueFilter(sort="overdue_total"))] == [
        "B-told-today",
        "B-told-a-week-ago",
        "B-under-plan",
        "B-plan-just-active",
        "B-cured",
    ]


async def test_an_empty_queue_has_no_today_and_no_rows(connection: Connection) -> None:
    assert await work_queue(connection, QueueFilter(min_days_past_due=1)) == ([], 0)
