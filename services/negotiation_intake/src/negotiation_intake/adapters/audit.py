"""The append-only audit log (a trigger refuses updates and deletes; migration 0002)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from negotiation_intake.adapters.refusals import note_audited
from negotiation_intake.application.ports import Agent, Page
from tideover_runtime.database import Connection

#: A page cursor: the last entry's id.
CURSOR_PATTERN = r"^[0-9]{1,18}$"


async def append(
    connection: Connection,
    *,
    at: datetime,
    agent: Agent,
    action: str,
    method: str,
    path: str,
    status: int,
    application_id: uuid.UUID | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await connection.execute(
        """
        INSERT INTO audit_log (at, agent_id, role, action, method, path, status, application_id, before, after)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)
        """,
        at,
        agent.agent_id,
        agent.role.value,
        action,
        method,
        path,
        status,
        application_id,
        json.dumps(before) if before is not None else None,
        json.dumps(after) if after is not None else None,
    )
    note_audited()


async def entries(connection: Connection, application_id: uuid.UUID | None, limit: int, after: str | None) -> Page:
    """Oldest first; the cursor is the last entry's id."""
    if after is not None and not re.fullmatch(CURSOR_PATTERN, after):
        raise ValueError(f"not a page cursor: {after!r}")
    rows = await connection.fetch(
        """
        SELECT id, at, agent_id, role, action, method, path, status, application_id, before, after FROM audit_log
        WHERE ($1::uuid IS NULL OR application_id = $1) AND id > $2 ORDER BY id LIMIT $3
        """,
        application_id,
        int(after or 0),
        limit + 1,
    )
    items = [
        {
            **dict(row),
            "at": row["at"].isoformat(),
            "application_id": str(row["application_id"]) if row["application_id"] else None,
            "before": json.loads(row["before"]) if row["before"] else None,
            "after": json.loads(row["after"]) if row["after"] else None,
        }
        for row in rows[:limit]
    ]
    return Page(items, str(items[-1]["id"]) if len(rows) > limit else None)
