"""Purge contact records past their retention: a loan's contact log and messages are kept 3 years
after its last contact (DESIGN.md §4, Regulation F §1006.100), then deleted. The service does it
by itself every TIDEOVER_CONTACT_LOG_PURGE_EVERY_HOURS (adapters/contact_records.py); this is
for an operator who wants it now.

    tideover-notification-purge [--dry-run] [--retention-days 1096]

Uses DATABASE_URL like the service.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

import asyncpg

from notification.adapters.contact_records import RETENTION, purge_contact_records
from notification.entrypoints.bootstrap import MIGRATIONS, SCHEMA
from tideover_runtime.database import migrate
from tideover_runtime.settings import RuntimeSettings


async def purge(
    database_url: str, now: datetime, retention: timedelta = RETENTION, *, dry_run: bool = False, schema: str = SCHEMA
) -> int:
    """Delete the records of every loan whose last contact is older than `retention`; returns
    how many loans were purged (or would be, with `dry_run`)."""
    await migrate(database_url, schema, MIGRATIONS)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        return await purge_contact_records(connection, now, retention, dry_run=dry_run)
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
