"""Create, list, revoke and rotate the service keys the query APIs take (service_keys.py).

    tideover-service-keys create --caller negotiation-intake --role negotiation-intake   # prints the key once
    tideover-service-keys create --caller support-desk --role operator --services notification,repayment-tracking
    tideover-service-keys list
    tideover-service-keys revoke <key id>
    tideover-service-keys rotate --caller negotiation-intake      # prints the new key, then revokes the old
    tideover-service-keys provision var/service-keys.env          # local development: make up

A key is registered in the schema of each service it may call (default: every service whose
query API takes service keys), each migrated first. Uses DATABASE_URL like the services.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from tideover_runtime.database import Connection, migrate
from tideover_runtime.service_keys import (
    SERVICE_SCHEMAS,
    CallerRole,
    ServiceKey,
    active_keys_of,
    authenticate,
    list_keys,
    new_key,
    register,
    revoke,
)
from tideover_runtime.settings import RuntimeSettings

#: The keys `provision` keeps for local development (make up, make demo): the caller's role,
#: the variable it is kept under.
LOCAL_CALLERS = {
    CallerRole.NEGOTIATION_INTAKE: "TIDEOVER_INTAKE_SERVICE_KEY",
    CallerRole.OPERATOR: "TIDEOVER_OPERATOR_SERVICE_KEY",
}


@asynccontextmanager
async def schema(database_url: str, service: str) -> AsyncIterator[Connection]:
    """A connection on `service`'s schema, migrated with the runtime's migrations (the service
    applies its own when it starts)."""
    await migrate(database_url, SERVICE_SCHEMAS[service], None)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": SERVICE_SCHEMAS[service]})
    try:
        yield connection
    finally:
        await connection.close()


async def issue(database_url: str, caller: str, role: CallerRole, services: Iterable[str] = SERVICE_SCHEMAS) -> ServiceKey:
    """A new key for `caller`, registered with each of `services`."""
    key = new_key()
    for service in services:
        async with schema(database_url, service) as connection:
            await register(connection, key, caller, role)
    return key


async def withdraw(database_url: str, key_id: str) -> list[str]:
    """Revoke `key_id` wherever it is registered; the services it was revoked with."""
    revoked = []
    for service in SERVICE_SCHEMAS:
        async with schema(database_url, service) as connection:
            if await revoke(connection, key_id):
                revoked.append(service)
    return revoked


async def holders(database_url: str, caller: str) -> dict[str, tuple[CallerRole, list[str]]]:
    """The caller's active keys: key id → (role, the services it is registered with)."""
    found: dict[str, tuple[CallerRole, list[str]]] = {}
    for service in SERVICE_SCHEMAS:
        async with schema(database_url, service) as connection:
            for key_id, role in await active_keys_of(connection, caller):
                found.setdefault(key_id, (role, []))[1].append(service)
    return found


async def valid_everywhere(database_url: str, token: str) -> bool:
    for service in SERVICE_SCHEMAS:
        async with schema(database_url, service) as connection:
            if await authenticate(connection, token) is None:
                return False
    return True


async def provision(database_url: str, known: Mapping[str, str]) -> dict[str, str]:
    """A working key per local caller, by the variable it is kept under (LOCAL_CALLERS): those
    `known` that still work, else new ones (the database was reset). For local development
    only: production creates keys with `create`."""
    kept = {}
    for role, variable in LOCAL_CALLERS.items():
        token = known.get(variable, "")
        if not token or not await valid_everywhere(database_url, token):
            token = (await issue(database_url, f"local-{role.value}", role)).token
        kept[variable] = token
    return kept


def read_keys(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def write_keys(path: Path, keys: Mapping[str, str]) -> None:
    """`keys` as VARIABLE=key lines in `path`, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("# tideover-service-keys provision: service keys for local development. Keep private.\n")
        file.writelines(f"{variable}={token}\n" for variable, token in keys.items())


def _services(value: str) -> list[str]:
    if value == "all":
        return list(SERVICE_SCHEMAS)
    services = [name.strip() for name in value.split(",") if name.strip()]
    if unknown := [name for name in services if name not in SERVICE_SCHEMAS]:
        raise argparse.ArgumentTypeError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICE_SCHEMAS)}")
    return services


async def _rotate(database_url: str, caller: str) -> int:
    old = await holders(database_url, caller)
    if not old:
        print(f"no active key of caller {caller}", file=sys.stderr)
        return 1
    role, _ = list(old.values())[-1]  # the newest key's role; every service any of them was registered with
    services = [service for service in SERVICE_SCHEMAS if any(service in where for _, where in old.values())]
    print((await issue(database_url, caller, role, services)).token, flush=True)
    for key_id in old:
        await withdraw(database_url, key_id)
        print(f"revoked {key_id}", file=sys.stderr)
    return 0


async def _list(database_url: str) -> None:
    for service in SERVICE_SCHEMAS:
        async with schema(database_url, service) as connection:
            for key in await list_keys(connection):
                state = f"revoked {key['revoked_at']:%Y-%m-%d}" if key["revoked_at"] else "active"
                print(f"{service:<19} {key['key_id']}  {key['role']:<18} {key['caller']:<24} {state}")


async def _run(arguments: argparse.Namespace) -> int:
    database_url = RuntimeSettings().database_url
    if arguments.command == "create":
        print((await issue(database_url, arguments.caller, CallerRole(arguments.role), arguments.services)).token)
    elif arguments.command == "revoke":
        revoked = await withdraw(database_url, arguments.key_id)
        if not revoked:
            print(f"no active key {arguments.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {arguments.key_id} with {', '.join(revoked)}")
    elif arguments.command == "rotate":
        return await _rotate(database_url, arguments.caller)
    elif arguments.command == "provision":
        write_keys(arguments.file, await provision(database_url, read_keys(arguments.file)))
    else:
        await _list(database_url)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tideover-service-keys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it (it is shown only once)")
    create.add_argument("--caller", required=True, help="who calls: a service's or a tool's name")
    create.add_argument("--role", required=True, choices=[role.value for role in CallerRole])
    create.add_argument("--services", type=_services, default=list(SERVICE_SCHEMAS), help="all (default) or name,name")
    commands.add_parser("list", help="list keys per service (never their secrets)")
    revoke_command = commands.add_parser("revoke", help="revoke a key by its id (the part after tsk_)")
    revoke_command.add_argument("key_id")
    rotate = commands.add_parser("rotate", help="a new key for the caller (printed), then its old ones revoked")
    rotate.add_argument("--caller", required=True)
    local = commands.add_parser("provision", help="local development: keep a working key per local caller in FILE")
    local.add_argument("file", type=Path)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
