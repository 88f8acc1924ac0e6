"""Purge contact records past their retention: a loan's contact log and messages are kept 3 years
after its last contact (DESIGN.md §4, Regulation F §1006.100), then deleted.

    tideover-notification-purge [--dry-run] [--retention-days 1096]

Uses DATABASE_URL like the service.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

import asyncpg

from notification.entrypoints.bootstrap import MIGRATIONS, SCHEMA
from tideover_runtime.database import migrate
from tideover_runtime.settings import RuntimeSettings

#: Three years, counting a leap day.
RETENTION = timedelta(days=3 * 365 + 1)

_EXPIRED = """
    SELECT loan_id FROM contact_log GROUP BY loan_id HAVING max(coalesce(receipt_at, decided_at)) < $1
"""


async def purge(
    database_url: str, now: datetime, retention: timedelta = RETENTION, *, dry_run: bool = False, schema: str = SCHEMA
) -> int:
    """Delete the records of every loan whose last contact is older than `retention`; returns
    how many loans were purged (or would be, with `dry_run`)."""
    await migrate(database_url, schema, MIGRATIONS)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        async with connection.transaction():
            loans = [row["loan_id"] for row in await connection.fetch(_EXPIRED, now - retention)]
            if loans and not dry_run:
                await connection.execute("DELETE FROM contact_log WHERE loan_id = ANY($1::uuid[])", loans)
                await connection.execute("DELETE FROM messages WHERE loan_id = ANY($1::uuid[])", loans)
                await connection.execute("DELETE FROM conversations WHERE loan_id = ANY($1::uuid[])", loans)
        return len(loans)
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tideover-notification-purge", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    parser.add_argument("--retention-days", type=int, default=RETENTION.days)
    arguments = parser.parse_args(argv)
    purged = asyncio.run(
        purge(
            RuntimeSettings().database_url,
            datetime.now(UTC),
            timedelta(days=arguments.retention_days),
            dry_run=arguments.dry_run,
        )
    )
    print(f"{'would purge' if arguments.dry_run else 'purged'} the contact records of {purged} loan(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
