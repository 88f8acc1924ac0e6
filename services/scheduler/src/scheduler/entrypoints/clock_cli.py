"""`tideover-clock`: the operator's commands on the scheduler (DESIGN.md §6).

    tideover-clock status              where the clock stands: leader, paused, last and next close
    tideover-clock close-day DATE      close DATE now (only the next date due; refused otherwise)
    tideover-clock pause | resume      stop closing and ticking / start again (a resumed
                                       scheduler catches up what fell due meanwhile)

It reads DATABASE_URL and the scheduler's settings (TIDEOVER_SCHEDULER_*), as the scheduler does.
A refusal exits with status 2 and says why."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from scheduler.adapters.clock_book import PostgresClockBook
from scheduler.adapters.leadership import leader_pid
from scheduler.application.keeping_time import RefusedError, close_by_hand, pause
from scheduler.entrypoints.bootstrap import MIGRATIONS, SCHEMA, clock_of
from scheduler.entrypoints.settings import SchedulerSettings
from tideover_runtime.database import migrate
from tideover_runtime.settings import RuntimeSettings

RECENT = 5


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tideover-clock", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--operator", default=getpass.getuser(), help="who acts (kept with a close by hand, a pause)")
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status", help="where the clock stands")
    status.add_argument("--json", action="store_true", help="as JSON")
    close = commands.add_parser("close-day", help="close a date now: only the next date due")
    close.add_argument("date", type=date.fromisoformat)
    commands.add_parser("pause", help="stop closing and ticking")
    commands.add_parser("resume", help="start again; what fell due meanwhile is closed in order")
    return parser


async def status(connection: asyncpg.Connection, settings: SchedulerSettings, now: datetime) -> dict[str, Any]:
    calendar = settings.close_calendar()
    async with connection.transaction():
        book = PostgresClockBook(connection)
        state, recent = await book.state(), await book.closed(RECENT)
    after = state.last_closed or calendar.latest_due(now) or calendar.local_date(now)
    next_date, next_at = calendar.next_close(after)
    return {
        "now": now.isoformat(),
        "leader": (pid := await leader_pid(connection)) is not None,
        "leader_pid": pid,
        "paused": state.paused,
        "changed_by": state.changed_by,
        "changed_at": state.changed_at.isoformat() if state.changed_at else None,
        "last_closed": str(state.last_closed) if state.last_closed else None,
        "next_close": {"date": str(next_date), "at": next_at.isoformat()},
        "last_tick": state.last_tick.isoformat() if state.last_tick else None,
        "calendar": {
            "cutoff": settings.cutoff.strftime("%H:%M"),
            "time_zone": settings.time_zone,
            "kind": settings.calendar.value,
            "holidays": sorted(str(day) for day in calendar.holidays),
        },
        "recent": [
            {"date": str(day), "closed_at": at.isoformat(), "catching_up_to": str(up_to) if up_to else None, "closed_by": by}
            for day, at, up_to, by in recent
        ],
    }


def _print_status(found: dict[str, Any]) -> None:
    leader = f"yes (server pid {found['leader_pid']})" if found["leader"] else "none: no scheduler holds the lock"
    paused = f"yes, by {found['changed_by']} at {found['changed_at']}" if found["paused"] else "no"
    calendar = found["calendar"]
    print(f"now          {found['now']}")
    print(f"leader       {leader}")
    print(f"paused       {paused}")
    print(f"last closed  {found['last_closed'] or 'none yet'}")
    print(f"next close   {found['next_close']['date']} at {found['next_close']['at']}")
    print(f"last tick    {found['last_tick'] or 'none yet'}")
    holidays = ", ".join(calendar["holidays"]) or "none"
    print(f"calendar     {calendar['kind']}, cut-off {calendar['cutoff']} {calendar['time_zone']}, holidays {holidays}")
    for closed in found["recent"]:
        catch_up = f", catching up to {closed['catching_up_to']}" if closed["catching_up_to"] else ""
        print(f"  closed {closed['date']} at {closed['closed_at']} by {closed['closed_by']}{catch_up}")


async def run(arguments: argparse.Namespace) -> int:
    settings, runtime = SchedulerSettings(), RuntimeSettings()
    now = clock_of(settings, runtime).now().astimezone(UTC)
    await migrate(runtime.database_url, SCHEMA, MIGRATIONS)
    connection = await asyncpg.connect(runtime.database_url, server_settings={"search_path": SCHEMA})
    try:
        if arguments.command == "status":
            found = await status(connection, settings, now)
            print(json.dumps(found, indent=2)) if arguments.json else _print_status(found)
            return 0
        async with connection.transaction():
            book = PostgresClockBook(connection)
            if arguments.command == "close-day":
                await close_by_hand(book, settings.close_calendar(), arguments.date, now, arguments.operator)
                print(f"closed {arguments.date}; the scheduler publishes it")
            else:
                await pause(book, arguments.command == "pause", arguments.operator, now)
                print("paused: no date closes and the clock does not tick" if arguments.command == "pause" else "resumed")
    except RefusedError as refusal:
        print(f"refused: {refusal}", file=sys.stderr)
        return 2
    else:
        return 0
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> None:
    raise SystemExit(asyncio.run(run(parser().parse_args(argv))))


if __name__ == "__main__":
    main()
