"""The borrowers' pending changes on the real Postgres (adapters/borrower_changes.py, migration
0008): a change and its files kept, only the code's HMAC stored, the code staged for notification
as a secret; the right code applies the hardship application once through the console's own use
cases (its proof as evidence, the change's files deleted); a wrong code refused and nothing made."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from negotiation_intake.adapters.borrower_changes import PostgresPendingChanges
from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.adapters.outbox import PostgresCommandOutbox
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application.borrower_changes import ChangeFile, Confirmed, confirm_change, send_code
from negotiation_intake.application.borrower_help import BORROWER_PAGE, applying_for_help, hardship_details
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import ChangeKind, ChangeState, PendingChange
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.events.negotiation import HardshipReason
from tideover_contracts.examples import golden_events
from tideover_runtime.clock import BusinessClock
from tideover_runtime.database import Connection
from tideover_testkit.database import fresh_schema
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import PROOF_PDF

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SECRET = b"s" * 32
SESSION = "a" * 64


@pytest.fixture
async def connection(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    async with fresh_schema(infrastructure.database_url, MIGRATIONS, "changes") as pool, pool.acquire() as connection:
        yield connection


async def overdue_loan(connection: Connection) -> uuid.UUID:
    loan_id = uuid.uuid4()
    event = next(e for e in golden_events() if type(e).__name__ == "LoanBecameOverdue").model_copy(update={"loan_id": loan_id})
    store = PostgresIntakeStore(connection)
    await store.upsert_loan(loan_id, event.contact.borrower_id, True, event.business_date, event.model_dump_json())
    return loan_id


async def pending(connection: Connection, files: int = 2) -> PendingChange:
    loan_id = await overdue_loan(connection)
    details = hardship_details(HardshipReason.INCOME_REDUCTION, Decimal("4200.00"), Decimal("2600.00"), "CNY", "shop closed")
    change = PendingChange(
        uuid.uuid4(), loan_id, "B-000123", SESSION, ChangeKind.HARDSHIP_APPLICATION, details, datetime.now(UTC)
    )
    proof = [ChangeFile(f"payslip-{n}.pdf", "income_proof", PROOF_PDF) for n in range(files)]
    await PostgresPendingChanges(connection).add(change, proof)
    return change


async def enter(connection: Connection, clock: BusinessClock, change: PendingChange, code: str) -> Confirmed:
    apply = applying_for_help(PostgresIntakeStore(connection), clock, checked_document)
    changes = PostgresPendingChanges(connection)
    async with connection.transaction():
        return await confirm_change(changes, clock.now(), change.change_id, SESSION, code, SECRET, apply)


async def code_sent(connection: Connection, clock: BusinessClock, change: PendingChange) -> str:
    async with connection.transaction():
        return await send_code(
            PostgresPendingChanges(connection), PostgresCommandOutbox(connection, clock), clock, change, SECRET
        )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_change_and_its_files_are_kept_and_found(connection: Connection) -> None:
    change = await pending(connection)
    changes = PostgresPendingChanges(connection)

    assert await changes.get(change.change_id) == change
    assert await changes.latest(change.loan_id, SESSION, change.kind) == change
    assert await changes.latest(change.loan_id, "b" * 64, change.kind) is None
    assert [(f.filename, f.kind, f.content) for f in await changes.files(change.change_id)] == [
        ("payslip-0.pdf", "income_proof", PROOF_PDF),
        ("payslip-1.pdf", "income_proof", PROOF_PDF),
    ]
    assert json.loads(await connection.fetchval("SELECT details FROM borrower_changes")) == change.details


async def test_the_code_is_staged_as_a_secret_and_kept_only_hashed(connection: Connection) -> None:
    clock = BusinessClock(datetime.now(UTC))
    change = await pending(connection)
    code = await code_sent(connection, clock, change)

    row = await connection.fetchrow("SELECT code_hash, code_expires_at, code_tries FROM borrower_changes")
    assert row["code_hash"] == change.hashed(SECRET, code)
    assert code not in row["code_hash"]
    assert row["code_tries"] == 0
    staged = await connection.fetchrow("SELECT event_type, topic, secret, value FROM outbox")
    assert (staged["event_type"], staged["secret"]) == ("BorrowerCodeRequested", True)
    assert staged["topic"].endswith("negotiation.applications.v1")
    assert json.loads(staged["value"])["payload"]["confirmation_code"] == code


async def test_the_right_code_applies_the_application_once_with_its_proof(connection: Connection) -> None:
    clock = BusinessClock(datetime.now(UTC))
    change = await pending(connection)
    code = await code_sent(connection, clock, change)

    first = await enter(connection, clock, change, code)
    again = await enter(connection, clock, change, code)

    assert first.applied
    assert first == again
    store = PostgresIntakeStore(connection)
    [application] = await store.applications_for_loan(change.loan_id)
    assert (application.application_id, application.state, application.agent_id) == (first.result_id, State.DRAFT, BORROWER_PAGE)
    assert (application.monthly_income, application.essential_expenses) == (Decimal("4200.00"), Decimal("2600.00"))
    documents = await store.documents(application.application_id)
    assert sorted((d.filename, d.uploaded_by) for d in documents) == [
        ("payslip-0.pdf", BORROWER_PAGE),
        ("payslip-1.pdf", BORROWER_PAGE),
    ]
    kept = await PostgresPendingChanges(connection).get(change.change_id)
    assert kept is not None
    assert (kept.state, kept.result_id) == (ChangeState.APPLIED, first.result_id)
    assert await connection.fetchval("SELECT count(*) FROM borrower_change_files") == 0


async def test_a_wrong_code_is_refused_and_makes_nothing(connection: Connection) -> None:
    clock = BusinessClock(datetime.now(UTC))
    change = await pending(connection)
    code = await code_sent(connection, clock, change)

    assert await enter(connection, clock, change, wrong(code)) == Confirmed(None)

    assert await PostgresIntakeStore(connection).applications_for_loan(change.loan_id) == []
    assert await connection.fetchval("SELECT code_tries FROM borrower_changes") == 1
    assert await connection.fetchval("SELECT count(*) FROM borrower_change_files") == 2


async def test_a_new_change_drops_the_sessions_earlier_one_and_those_long_expired(connection: Connection) -> None:
    """One change waits for a code per session; a change never confirmed is not kept a day past
    its code (its hardship details and proofs with it); an applied one stays."""
    first = await pending(connection)
    applied = await pending(connection)
    await connection.execute(
        "UPDATE borrower_changes SET state = 'applied', session_key = $2 WHERE change_id = $1", applied.change_id, "c" * 64
    )
    abandoned = await pending(connection)
    await connection.execute(
        "UPDATE borrower_changes SET session_key = $2, created_at = created_at - interval '3 days' WHERE change_id = $1",
        abandoned.change_id,
        "b" * 64,
    )
    second = PendingChange(uuid.uuid4(), first.loan_id, first.borrower_id, SESSION, first.kind, first.details, datetime.now(UTC))
    await PostgresPendingChanges(connection).add(second, [])

    kept = {row["change_id"] for row in await connection.fetch("SELECT change_id FROM borrower_changes")}
    assert kept == {applied.change_id, second.change_id}
    files_of = await connection.fetch("SELECT DISTINCT change_id FROM borrower_change_files")
    assert {row["change_id"] for row in files_of} == {applied.change_id}
