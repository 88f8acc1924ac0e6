"""Contact records past their retention: a loan's contact log and messages are kept 3 years
after its last contact (DESIGN.md §4, Regulation F §1006.100), then deleted. The one home of
that rule: the service runs it every TIDEOVER_CONTACT_LOG_PURGE_EVERY_HOURS, operators with
`tideover-notification-purge` (entrypoints/purge_cli.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tideover_runtime.database import Connection

#: Three years, counting a leap day.
RETENTION = timedelta(days=3 * 365 + 1)

_EXPIRED = """
    SELECT loan_id FROM contact_log GROUP BY loan_id HAVING max(coalesce(receipt_at, decided_at)) < $1
"""


async def purge_contact_records(
    connection: Connection, now: datetime, retention: timedelta = RETENTION, *, dry_run: bool = False
) -> int:
    """Delete the records of every loan whose last contact is older than `retention` at `now`,
    in one transaction; returns how many loans were purged (or would be, with `dry_run`)."""
    async with connection.transaction():
        loans = [row["loan_id"] for row in await connection.fetch(_EXPIRED, now - retention)]
        if loans and not dry_run:
            await connection.execute("DELETE FROM contact_log WHERE loan_id = ANY($1::uuid[])", loans)
            await connection.execute("DELETE FROM messages WHERE loan_id = ANY($1::uuid[])", loans)
            await connection.execute("DELETE FROM conversations WHERE loan_id = ANY($1::uuid[])", loans)
    return len(loans)
