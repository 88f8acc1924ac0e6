"""Create, list and revoke the agents' API keys.

    tideover-intake-keys create --agent-id agent-007 --role agent   # prints the key once
    tideover-intake-keys list
    tideover-intake-keys revoke <key id>                        # also ends its console sessions
    tideover-intake-keys end-sessions [--key-id <key id>]      # signs everyone (or one key) out

Uses DATABASE_URL like the service, and migrates its schema first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from negotiation_intake.adapters import console_sessions
from negotiation_intake.adapters.api_keys import create_key, list_keys, revoke_key
from negotiation_intake.domain.access import Role, refusal_to_issue
from negotiation_intake.entrypoints.bootstrap import MIGRATIONS, SCHEMA
from tideover_runtime.database import migrate
from tideover_runtime.settings import RuntimeSettings


async def issue_key(database_url: str, agent_id: str, role: Role) -> str:
    """A new key on the intake database at `database_url` (for the demo and the tests too)."""
    await migrate(database_url, SCHEMA, MIGRATIONS)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        return await create_key(connection, agent_id, role)
    finally:
        await connection.close()


async def _run(arguments: argparse.Namespace) -> int:
    settings = RuntimeSettings()
    if arguments.command == "create":
        if refusal := refusal_to_issue(arguments.agent_id):
            print(refusal, file=sys.stderr)
            return 2
        print(await issue_key(settings.database_url, arguments.agent_id, Role(arguments.role)))
        return 0
    await migrate(settings.database_url, SCHEMA, MIGRATIONS)
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": SCHEMA})
    try:
        if arguments.command == "revoke":
            if not await revoke_key(connection, arguments.key_id):
                print(f"no active key {arguments.key_id}", file=sys.stderr)
                return 1
            print(f"revoked {arguments.key_id}")
        elif arguments.command == "end-sessions":
            ended = await console_sessions.end_all(connection, arguments.key_id)
            print(f"ended {ended} console session(s)")
        else:
            for key in await list_keys(connection):
                revoked = f"revoked {key['revoked_at']:%Y-%m-%d}" if key["revoked_at"] else "active"
                print(f"{key['key_id']}  {key['role']:<10}  {key['agent_id']:<24}  {revoked}")
    finally:
        await connection.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tideover-intake-keys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it (it is shown only once)")
    create.add_argument("--agent-id", required=True)
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    revoke = commands.add_parser("revoke", help="revoke a key by its id (the part after tdo_)")
    revoke.add_argument("key_id")
    commands.add_parser("list", help="list keys (never their secrets)")
    end_sessions = commands.add_parser("end-sessions", help="end every console session (of one key with --key-id)")
    end_sessions.add_argument("--key-id")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
