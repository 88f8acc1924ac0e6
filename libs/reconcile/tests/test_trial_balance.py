"""The trial balance read from a fresh ledger schema (overdue-detection's migrations) and a
repayment-tracking `plans` table: a balanced loan, loans that break each rule once, plans the
services disagree on — and the report names exactly the broken ones."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tideover_reconcile.balance import trial_balance
from tideover_reconcile.cli import main
from tideover_reconcile.ledger import penalty_charged
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.infra import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
MIGRATIONS = REPO_ROOT / "services/overdue_detection/src/overdue_detection/migrations"
BASIS, ACTIVATED = date(2026, 3, 15), date(2026, 3, 16)


@dataclass(frozen=True)
class Schemas:
    url: str
    ledger: str
    tracking: str


@pytest.fixture
async def schemas(infrastructure: Infrastructure) -> AsyncIterator[Schemas]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "reconcile") as pool:
        ledger = await pool.fetchval("SELECT current_schema()")
        tracking = f"{ledger}_tracking"
        # Only what the trial balance reads of repayment-tracking (its other tables are its own).
        await pool.execute(
            f"CREATE SCHEMA {tracking}; CREATE TABLE {tracking}.plans (plan_id uuid, loan_id uuid, status text);"
            f" CREATE TABLE {tracking}.plan_installments (plan_id uuid, sequence int, left_now numeric);"
            f" CREATE TABLE {tracking}.plan_regular_installments (plan_id uuid, sequence int, left_now numeric)"
        )
        try:
            yield Schemas(infrastructure.database_url, ledger, tracking)
        finally:
            await pool.execute(f"DROP SCHEMA {tracking} CASCADE; DROP SCHEMA {ledger} CASCADE")


Rows = dict[str, list[dict[str, Any]]]


def balanced(loan_id: uuid.UUID, plan_id: uuid.UUID) -> Rows:
    """An arrears plan took over installment 1 (less a conditional penalty waiver of 1.00, since
    restated as final); installment 2 stayed due and was paid, with a penalty of 1.825 / 365 =
    0.005, charged 0.01 (half up); the plan's first line is paid, its second outstanding; 5.00
    paid beyond is credit."""
    money = Decimal
    return {
        "loans": [{"loan_id": loan_id, "principal": money("1000.00"), "credit": money("5.00")}],
        "plans": [{"plan_id": plan_id, "loan_id": loan_id, "outcome": "active"}],
        "installments": [
            {
                "loan_id": loan_id,
                "sequence": 1,
                "principal": money("500.00"),
                "interest": money("20.00"),
                "penalty_basis": money("3.00") * 365,
                "waived_penalty": money("1.00"),
                "rescheduled_principal": money("500.00"),
                "rescheduled_interest": money("20.00"),
                "rescheduled_penalty": money("2.00"),
                "rescheduled_by": plan_id,
            },
            {
                "loan_id": loan_id,
                "sequence": 2,
                "principal": money("500.00"),
                "interest": money("10.00"),
                "penalty_basis": money("1.825"),
                "paid_principal": money("500.00"),
                "paid_interest": money("10.00"),
                "paid_penalty": money("0.01"),
            },
            *(
                {
                    "loan_id": loan_id,
                    "sequence": 1000 + n,
                    "plan_id": plan_id,
                    "plan_sequence": n,
                    "principal": money("250.00"),
                    "interest": money("10.00"),
                    "penalty_basis": money("1.00") * 365,
                    **(
                        {"paid_principal": money("250.00"), "paid_interest": money("10.00"), "paid_penalty": money("1.00")}
                        if n == 1
                        else {}
                    ),
                }
                for n in (1, 2)
            ),
        ],
        "repayments": [{"loan_id": loan_id, "amount": money("510.01")}, {"loan_id": loan_id, "amount": money("266.00")}],
        "ledger_acts": [
            {"loan_id": loan_id, "plan_id": plan_id, "kind": "waiver", "status": status, "penalty": money("1.00")}
            for status in ("conditional", "final")
        ],
    }


def changed(rows: Rows, table: str, match: dict[str, Any], **values: Any) -> Rows:
    """`rows` with `values` set on the rows of `table` that `match`."""
    hits = [row for row in rows[table] if match.items() <= row.items()]
    assert hits, (table, match)
    return rows | {table: [row | values if row in hits else row for row in rows[table]]}


def added(rows: Rows, table: str, **row: Any) -> Rows:
    return rows | {table: [*rows[table], {"loan_id": rows["loans"][0]["loan_id"], **row}]}


# Each a balanced loan with one change, and the check that must name it.
BROKEN: dict[str, tuple[Callable[[Rows], Rows], str]] = {
    "paid beyond charged": (
        lambda rows: added(
            changed(rows, "installments", {"sequence": 1001}, paid_penalty=Decimal("2.00")), "repayments", amount=Decimal("1.00")
        ),
        "lines_within_charged",
    ),
    "negative outstanding": (
        lambda rows: changed(rows, "installments", {"sequence": 1}, rescheduled_penalty=Decimal("3.00")),
        "lines_within_charged",
    ),
    "principal created": (
        lambda rows: changed(rows, "installments", {"sequence": 1002}, principal=Decimal("260.00")),
        "principal_conserved",
    ),
    "repayment unapplied": (
        lambda rows: added(rows, "repayments", amount=Decimal("10.00")),
        "repayments_applied",
    ),
    "waiver reinstated on the acts only": (
        lambda rows: added(rows, "ledger_acts", kind="waiver", status="reinstated", penalty=Decimal("1.00")),
        "waivers_recorded",
    ),
    "write-off unrecorded": (
        lambda rows: changed(rows, "installments", {"sequence": 1002}, written_off_penalty=Decimal("1.00")),
        "write_offs_recorded",
    ),
}


def written_off(rows: Rows) -> Rows:
    """Balanced too: the write-off on the line is recorded as an act."""
    rows = changed(rows, "installments", {"sequence": 1002}, written_off_penalty=Decimal("1.00"))
    return added(rows, "ledger_acts", kind="write_off", status="final", reason="de_minimis", penalty=Decimal("1.00"))


_DEFAULTS: dict[str, dict[str, Any]] = {
    "loans": {
        "borrower_id": "B-1",
        "currency": "CNY",
        "contract_rate": Decimal("0.18"),
        "overdue_rate": Decimal("0.09"),
        "allocation_order": "penalty,fee,interest,principal",
        "contact": "{}",
        "booked_on": date(2026, 1, 15),
    },
    "plans": {"ordinal": 1, "effect": "arrears", "basis_date": BASIS, "activated_on": ACTIVATED, "waiver": "{}", "lines": "[]"},
    "installments": {"due_date": BASIS, "fee": Decimal(0)},
    "repayments": {"value_date": ACTIVATED, "received_at": datetime(2026, 3, 16, 2, tzinfo=UTC)},
    "ledger_acts": {"reason": "plan", "business_date": ACTIVATED},
}


async def insert(connection: asyncpg.Connection, schema: str, rows: Rows) -> None:
    for table in ("loans", "plans", "installments", "repayments", "ledger_acts"):
        for row in rows.get(table, []):
            values = _DEFAULTS[table] | row
            if table == "repayments":
                values.setdefault("payment_id", str(uuid.uuid4()))
            if table == "ledger_acts":
                values.setdefault("act_id", uuid.uuid4())
            columns = ", ".join(values)
            marks = ", ".join(f"${n}" for n in range(1, len(values) + 1))
            await connection.execute(f"INSERT INTO {schema}.{table} ({columns}) VALUES ({marks})", *values.values())


def left_on(rows: Rows, sequence: int) -> Decimal:
    """What the ledger's line `sequence` still owes, as the rows say."""
    row = next(row for row in rows["installments"] if row["sequence"] == sequence)
    charged = row["principal"] + row["interest"] + row.get("fee", Decimal(0)) + penalty_charged(row["penalty_basis"], 365)
    taken = sum((value for name, value in row.items() if name.startswith(("paid_", "waived_", "written_off_", "rescheduled_"))))
    return Decimal(charged - taken)


@dataclass(frozen=True)
class Book:
    balanced: list[uuid.UUID]
    broken: dict[uuid.UUID, str]  # loan → the check that must name it
    disagreeing: dict[uuid.UUID, str]  # loan → the disagreement check that must name it


async def write_book(schemas: Schemas) -> Book:
    book = Book([], {}, {})
    connection = await asyncpg.connect(schemas.url)
    try:

        async def loan(
            make: Any, ledger_outcome: str = "active", tracking_status: str = "active", second_line_left: str | None = None
        ) -> uuid.UUID:
            loan_id, plan_id = uuid.uuid4(), uuid.uuid4()
            rows = changed(make(balanced(loan_id, plan_id)), "plans", {"plan_id": plan_id}, outcome=ledger_outcome)
            await insert(connection, schemas.ledger, rows)
            tracking = schemas.tracking
            await connection.execute(f"INSERT INTO {tracking}.plans VALUES ($1, $2, $3)", plan_id, loan_id, tracking_status)
            # What tracking holds left on the plan's lines and on installment 2: what the ledger has,
            # unless told otherwise.
            left = Decimal(second_line_left) if second_line_left else left_on(rows, 1002)
            await connection.executemany(
                f"INSERT INTO {tracking}.plan_installments VALUES ($1, $2, $3)",
                [(plan_id, 1, left_on(rows, 1001)), (plan_id, 2, left)],
            )
            await connection.execute(f"INSERT INTO {tracking}.plan_regular_installments VALUES ($1, 2, 0)", plan_id)
            return loan_id

        book.balanced.extend([await loan(lambda rows: rows), await loan(written_off)])
        for breaking, check in BROKEN.values():
            book.broken[await loan(breaking)] = check
        book.disagreeing[await loan(lambda rows: rows, tracking_status="completed")] = "ledger_plans_active_in_tracking"
        book.disagreeing[await loan(lambda rows: rows, ledger_outcome="completed")] = "tracked_plans_active_in_ledger"
        book.disagreeing[await loan(lambda rows: rows, second_line_left="200.00")] = "tracked_lines_agree_with_ledger"
    finally:
        await connection.close()
    return book


async def test_the_trial_balance_names_exactly_the_loans_that_break_a_rule(schemas: Schemas) -> None:
    book = await write_book(schemas)

    balance = await trial_balance(schemas.url, ledger_schema=schemas.ledger, tracking_schema=schemas.tracking)

    assert balance.loans == len(book.balanced) + len(book.broken) + len(book.disagreeing)
    assert not balance.balanced
    assert {(finding.loan_id, finding.check) for finding in balance.out_of_balance} == set(book.broken.items())
    assert len(balance.out_of_balance) == len(book.broken)
    assert {(finding.loan_id, finding.check) for finding in balance.disagreements} == set(book.disagreeing.items())
    assert len(balance.disagreements) == len(book.disagreeing)


async def test_a_balanced_book_balances_and_its_figures_add_up(schemas: Schemas) -> None:
    book = await write_book(schemas)
    one = book.balanced[:1]

    balance = await trial_balance(schemas.url, one, ledger_schema=schemas.ledger, tracking_schema=schemas.tracking)

    assert balance.balanced
    assert balance.disagreements == ()
    assert balance.as_json()["books"] == {
        "CNY": {
            "principal": {
                "charged": "1000.00",
                "paid": "750.00",
                "waived": "0.00",
                "written_off": "0.00",
                "outstanding": "250.00",
            },
            "interest": {"charged": "30.00", "paid": "20.00", "waived": "0.00", "written_off": "0.00", "outstanding": "10.00"},
            "fee": {"charged": "0.00", "paid": "0.00", "waived": "0.00", "written_off": "0.00", "outstanding": "0.00"},
            "penalty": {"charged": "3.01", "paid": "1.01", "waived": "1.00", "written_off": "0.00", "outstanding": "1.00"},
        }
    }
    whole = await trial_balance(
        schemas.url, [*book.balanced, *book.disagreeing], ledger_schema=schemas.ledger, tracking_schema=schemas.tracking
    )
    assert whole.balanced
    assert len(whole.disagreements) == 3


async def test_the_penalty_rounds_as_the_ledgers_sql_does(schemas: Schemas) -> None:
    connection = await asyncpg.connect(schemas.url)
    try:
        for basis in ("1.825", "0.5475", "666.125", "1.8249", "0"):
            assert await connection.fetchval("SELECT round($1::numeric / 365, 2)", Decimal(basis)) == penalty_charged(
                Decimal(basis), 365
            )
    finally:
        await connection.close()


async def test_the_command_prints_json_and_exits_1_when_a_loan_is_out_of_balance(
    schemas: Schemas, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = await write_book(schemas)
    monkeypatch.setenv("DATABASE_URL", schemas.url)
    options = ["--ledger-schema", schemas.ledger, "--tracking-schema", schemas.tracking]

    assert await asyncio.to_thread(main, ["--json", *options]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["loans_out_of_balance"]) == {str(loan_id) for loan_id in book.broken}

    assert await asyncio.to_thread(main, [*options, "--loan", str(book.balanced[0])]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "Trial balance of 1 loans: balanced"

    assert await asyncio.to_thread(main, ["--ledger-schema", "no_such_schema"]) == 2
