"""`tideover-service-keys` on the real Postgres: a key is registered, hashed, in the schema of
each service it may call and nowhere else; listed without its secret; revoked everywhere;
rotated (the new key printed, the old one dead); and local development's keys provisioned
once and made again when they stop working."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tideover_runtime.service_keys import SERVICE_SCHEMAS, ServiceCaller, authenticate, parse
from tideover_runtime.service_keys_cli import LOCAL_CALLERS, main, read_keys, withdraw
from tideover_testkit import infra
from tideover_testkit.fixtures import Servers

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def database_url(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database of its own (no topics needed), which the CLI uses."""
    url = infra.create_scratch_database(servers.admin_database_url)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield url
    finally:
        infra.drop_database(servers.admin_database_url, url)


async def _callers(database_url: str, token: str) -> dict[str, ServiceCaller | None]:
    """Whom `token` authenticates as, in each service's schema."""
    found: dict[str, ServiceCaller | None] = {}
    for service, schema in SERVICE_SCHEMAS.items():
        connection = await asyncpg.connect(database_url, server_settings={"search_path": schema})
        try:
            found[service] = await authenticate(connection, token)
        finally:
            await connection.close()
    return found


def callers(database_url: str, token: str) -> dict[str, ServiceCaller | None]:
    return asyncio.run(_callers(database_url, token))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_create_list_rotate_and_revoke(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = database_url
    status, out = run(
        capsys, "create", "--caller", "support-desk", "--role", "operator", "--services", "notification,repayment-tracking"
    )
    token = out.strip()
    assert status == 0
    key_id, secret = parse(token)  # type: ignore[misc]
    desk = ServiceCaller(key_id, "support-desk", "operator")
    assert callers(url, token) == {
        "overdue-detection": None,
        "notification": desk,
        "plan-calculation": None,
        "repayment-tracking": desk,
    }

    status, listing = run(capsys, "list")
    assert status == 0
    assert [line.split()[:4] for line in listing.splitlines() if key_id in line] == [
        ["notification", key_id, "operator", "support-desk"],
        ["repayment-tracking", key_id, "operator", "support-desk"],
    ]
    assert secret not in listing

    status, out = run(capsys, "rotate", "--caller", "support-desk")
    rotated = out.strip()
    assert status == 0
    new_id, _ = parse(rotated)  # type: ignore[misc]
    assert new_id != key_id
    assert set(callers(url, token).values()) == {None}  # the old key is dead everywhere
    assert [service for service, caller in callers(url, rotated).items() if caller] == ["notification", "repayment-tracking"]

    assert run(capsys, "revoke", new_id) == (0, f"revoked {new_id} with notification, repayment-tracking\n")
    assert set(callers(url, rotated).values()) == {None}
    assert run(capsys, "revoke", new_id)[0] == 1  # nothing left to revoke
    assert run(capsys, "rotate", "--caller", "support-desk")[0] == 1  # no active key to rotate


def test_provision_keeps_working_keys_and_replaces_dead_ones(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url
    path = tmp_path / "var" / "service-keys.env"
    assert run(capsys, "provision", str(path)) == (0, "")
    first = read_keys(path)
    assert set(first) == set(LOCAL_CALLERS.values())
    for variable, token in first.items():
        roles = {caller.role if caller else None for caller in callers(url, token).values()}
        assert roles == {"negotiation-intake" if "INTAKE" in variable else "operator"}

    assert run(capsys, "provision", str(path))[0] == 0
    assert read_keys(path) == first  # kept: they still work

    intake = first["TIDEOVER_INTAKE_SERVICE_KEY"]
    asyncio.run(withdraw(url, parse(intake)[0]))  # type: ignore[index]
    assert run(capsys, "provision", str(path))[0] == 0
    again = read_keys(path)
    assert again["TIDEOVER_OPERATOR_SERVICE_KEY"] == first["TIDEOVER_OPERATOR_SERVICE_KEY"]
    assert again["TIDEOVER_INTAKE_SERVICE_KEY"] != intake
    assert None not in callers(url, again["TIDEOVER_INTAKE_SERVICE_KEY"]).values()
