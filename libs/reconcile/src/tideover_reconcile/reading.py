"""Reading the services' schemas directly: the ledger (overdue-detection) and the plans
repayment-tracking holds as active. An operator's tool, not a service: it reads, never writes.

Of repayment-tracking, its plans (`plans`: which are active) and what it holds still owed on the
lines their months ask for (`plan_installments.left_now`, `plan_regular_installments.left_now`).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

import asyncpg

from tideover_reconcile.checks import ActivePlans, TrackedLine
from tideover_reconcile.ledger import ZERO, Amounts, Line, LoanLedger, penalty_charged, waivers_in_force

LEDGER_SCHEMA = "overdue_detection"
TRACKING_SCHEMA = "repayment_tracking"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Every loan when no loan ids are given.
_LOANS = "($1::uuid[] IS NULL OR loan_id = ANY($1::uuid[]))"

_PARTS = ("principal", "interest", "fee", "penalty")


def _schema(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a schema name: {name!r}")
    return f'"{name}"'


async def read_loans(
    connection: asyncpg.Connection, loan_ids: Collection[uuid.UUID] | None = None, schema: str = LEDGER_SCHEMA
) -> list[LoanLedger]:
    """Every loan of the ledger (or those of `loan_ids`) with its lines, repayments and acts."""
    ledger, only = _schema(schema), None if loan_ids is None else list(loan_ids)
    loans = await connection.fetch(
        f"SELECT loan_id, currency, principal, credit, day_count FROM {ledger}.loans WHERE {_LOANS} ORDER BY loan_id", only
    )
    lines = await connection.fetch(f"SELECT * FROM {ledger}.installments WHERE {_LOANS} ORDER BY loan_id, sequence", only)
    repaid = await connection.fetch(
        f"SELECT loan_id, sum(amount) AS amount FROM {ledger}.repayments WHERE {_LOANS} GROUP BY loan_id", only
    )
    acts = await connection.fetch(
        f"SELECT loan_id, kind, status, sum(principal) AS principal, sum(interest) AS interest, sum(fee) AS fee,"
        f" sum(penalty) AS penalty FROM {ledger}.ledger_acts WHERE {_LOANS} GROUP BY loan_id, kind, status",
        only,
    )
    return _loans(loans, lines, {row["loan_id"]: row["amount"] for row in repaid}, acts)


async def read_active_plans(
    connection: asyncpg.Connection,
    loan_ids: Collection[uuid.UUID] | None = None,
    ledger_schema: str = LEDGER_SCHEMA,
    tracking_schema: str = TRACKING_SCHEMA,
) -> ActivePlans:
    """The plans the ledger and repayment-tracking each hold as active."""
    only = None if loan_ids is None else list(loan_ids)
    ledger = await connection.fetch(
        f"SELECT plan_id, loan_id FROM {_schema(ledger_schema)}.plans WHERE outcome = 'active' AND {_LOANS}", only
    )
    tracking = await connection.fetch(
        f"SELECT plan_id, loan_id FROM {_schema(tracking_schema)}.plans WHERE status = 'active' AND {_LOANS}", only
    )
    tracked = _schema(tracking_schema)
    in_book = _LOANS.replace("loan_id", "p.loan_id")
    left = await connection.fetch(
        f"""
        SELECT p.plan_id, p.loan_id, 'plan' AS kind, i.sequence, i.left_now
        FROM {tracked}.plans p JOIN {tracked}.plan_installments i USING (plan_id) WHERE p.status = 'active' AND {in_book}
        UNION ALL
        SELECT p.plan_id, p.loan_id, 'regular', r.sequence, r.left_now
        FROM {tracked}.plans p JOIN {tracked}.plan_regular_installments r USING (plan_id) WHERE p.status = 'active' AND {in_book}
        """,
        only,
    )
    return ActivePlans(
        ledger={row["plan_id"]: row["loan_id"] for row in ledger},
        tracking={row["plan_id"]: row["loan_id"] for row in tracking},
        tracked_left={TrackedLine(r["plan_id"], r["loan_id"], r["kind"], r["sequence"]): r["left_now"] for r in left},
    )


def _loans(
    loans: Sequence[asyncpg.Record],
    lines: Sequence[asyncpg.Record],
    repaid: Mapping[uuid.UUID, Decimal],
    acts: Sequence[asyncpg.Record],
) -> list[LoanLedger]:
    day_counts = {loan["loan_id"]: loan["day_count"] for loan in loans}
    lines_of: defaultdict[uuid.UUID, list[Line]] = defaultdict(list)
    for row in lines:
        lines_of[row["loan_id"]].append(_line(row, day_counts[row["loan_id"]]))
    waivers: defaultdict[uuid.UUID, dict[str, Amounts]] = defaultdict(dict)
    write_offs: defaultdict[uuid.UUID, Amounts] = defaultdict(Amounts)
    for act in acts:
        amounts = Amounts(*(act[part] for part in _PARTS))
        if act["kind"] == "waiver":
            waivers[act["loan_id"]][act["status"]] = amounts
        elif act["kind"] == "write_off":
            write_offs[act["loan_id"]] += amounts
    return [
        LoanLedger(
            loan_id=loan["loan_id"],
            currency=loan["currency"],
            principal=loan["principal"],
            credit=loan["credit"],
            lines=tuple(lines_of[loan["loan_id"]]),
            repaid=repaid.get(loan["loan_id"], ZERO),
            waivers=waivers_in_force(waivers[loan["loan_id"]]),
            write_offs=write_offs[loan["loan_id"]],
        )
        for loan in loans
    ]


def _line(row: asyncpg.Record, day_count: int) -> Line:
    def prefixed(prefix: str, parts: Sequence[str] = _PARTS) -> Amounts:
        return Amounts(**{part: row[f"{prefix}_{part}"] for part in parts})

    return Line(
        sequence=row["sequence"],
        plan_id=row["plan_id"],
        charged=Amounts(row["principal"], row["interest"], row["fee"], penalty_charged(row["penalty_basis"], day_count)),
        paid=prefixed("paid"),
        waived=prefixed("waived", ("interest", "fee", "penalty")),  # principal is never waived
        written_off=prefixed("written_off"),
        rescheduled=prefixed("rescheduled"),
        plan_sequence=row["plan_sequence"],
    )
