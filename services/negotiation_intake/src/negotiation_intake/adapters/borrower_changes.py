"""The borrowers' pending changes in Postgres (application/borrower_changes.py `PendingChanges`;
migration 0008), and when codes were asked for each loan (migration 0009). A change's files are
deleted once it is applied: its application's evidence keeps them from then on."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from negotiation_intake.application.borrower_changes import ChangeFile
from negotiation_intake.domain.borrower_changes import ChangeKind, ChangeState, PendingChange
from negotiation_intake.domain.borrower_limits import CODES_A_DAY_PER_LOAN
from tideover_runtime.database import Connection

_COLUMNS = (
    "change_id, loan_id, borrower_id, session_key, kind, details, state, code_hash, code_expires_at, code_tries, "
    "result_id, created_at"
)


def _change(row: Any) -> PendingChange:
    details = row["details"]
    return PendingChange(
        change_id=row["change_id"],
        loan_id=row["loan_id"],
        borrower_id=row["borrower_id"],
        session_key=row["session_key"],
        kind=ChangeKind(row["kind"]),
        details=json.loads(details) if isinstance(details, str) else dict(details),
        created_at=row["created_at"],
        state=ChangeState(row["state"]),
        code_hash=row["code_hash"],
        code_expires_at=row["code_expires_at"],
        code_tries=row["code_tries"],
        result_id=row["result_id"],
    )


class PostgresPendingChanges:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, change: PendingChange, files: list[ChangeFile]) -> None:
        """Keep `change` and its files; the session's earlier pending changes of the loan are
        dropped (one waits for a code at a time), and so, a few at a time, are pending changes
        whose code expired a day before (with their files: hardship details and proofs are not
        kept for a change that was never confirmed)."""
        await self._connection.execute(
            """
            DELETE FROM borrower_changes WHERE state = 'pending' AND (
                (loan_id = $1 AND session_key = $2)
                OR change_id IN (
                    SELECT change_id FROM borrower_changes
                    WHERE state = 'pending' AND coalesce(code_expires_at, created_at) < $3::timestamptz - interval '1 day'
                    LIMIT 100))
            """,
            change.loan_id,
            change.session_key,
            change.created_at,
        )
        await self._connection.execute(
            f"INSERT INTO borrower_changes ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12)",
            change.change_id,
            change.loan_id,
            change.borrower_id,
            change.session_key,
            change.kind.value,
            json.dumps(change.details),
            change.state.value,
            change.code_hash,
            change.code_expires_at,
            change.code_tries,
            change.result_id,
            change.created_at,
        )
        await self._connection.executemany(
            "INSERT INTO borrower_change_files (change_id, position, filename, kind, content) VALUES ($1, $2, $3, $4, $5)",
            [(change.change_id, position, file.filename, file.kind, file.content) for position, file in enumerate(files)],
        )

    async def get(self, change_id: uuid.UUID, *, for_update: bool = False) -> PendingChange | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(f"SELECT {_COLUMNS} FROM borrower_changes WHERE change_id = $1{lock}", change_id)
        return _change(row) if row else None

    async def files(self, change_id: uuid.UUID) -> list[ChangeFile]:
        rows = await self._connection.fetch(
            "SELECT filename, kind, content FROM borrower_change_files WHERE change_id = $1 ORDER BY position", change_id
        )
        return [ChangeFile(row["filename"], row["kind"], bytes(row["content"])) for row in rows]

    async def save(self, change: PendingChange) -> None:
        await self._connection.execute(
            """
            UPDATE borrower_changes SET state = $2, code_hash = $3, code_expires_at = $4, code_tries = $5, result_id = $6
            WHERE change_id = $1
            """,
            change.change_id,
            change.state.value,
            change.code_hash,
            change.code_expires_at,
            change.code_tries,
            change.result_id,
        )
        if change.state is ChangeState.APPLIED:
            await self._connection.execute("DELETE FROM borrower_change_files WHERE change_id = $1", change.change_id)

    async def latest(self, loan_id: uuid.UUID, session_key: str, kind: ChangeKind) -> PendingChange | None:
        row = await self._connection.fetchrow(
            f"""
            SELECT {_COLUMNS} FROM borrower_changes WHERE loan_id = $1 AND session_key = $2 AND kind = $3
            ORDER BY created_at DESC LIMIT 1
            """,
            loan_id,
            session_key,
            kind.value,
        )
        return _change(row) if row else None

    async def codes_asked(self, loan_id: uuid.UUID, since: datetime) -> list[datetime]:
        """Locks the loan's count until the transaction ends: two codes asked at once take turns."""
        await self._connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('borrower_code_requests:' || $1::uuid::text, 0))", loan_id
        )
        rows = await self._connection.fetch(
            "SELECT asked_at FROM borrower_code_requests WHERE loan_id = $1 AND asked_at > $2 ORDER BY asked_at", loan_id, since
        )
        return [row["asked_at"] for row in rows]

    async def note_code_asked(self, loan_id: uuid.UUID, at: datetime) -> None:
        """Kept a day (CODES_A_DAY_PER_LOAN's window); older ones, a few at a time, are deleted."""
        await self._connection.execute(
            """
            DELETE FROM borrower_code_requests WHERE ctid IN (
                SELECT ctid FROM borrower_code_requests WHERE asked_at < $1::timestamptz - $2::interval LIMIT 100)
            """,
            at,
            CODES_A_DAY_PER_LOAN.window,
        )
        await self._connection.execute("INSERT INTO borrower_code_requests (loan_id, asked_at) VALUES ($1, $2)", loan_id, at)
