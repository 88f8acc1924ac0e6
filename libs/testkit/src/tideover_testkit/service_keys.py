"""The tests' service keys. The harness makes one key per caller role for the test run and
registers them in every test database (infra.create_scratch_database), as
`tideover-service-keys create` would: the tests call the query APIs with the operator's
(`harness_headers`, `wait_until_ok`), and the negotiation-intake processes they start send the
negotiation-intake one (Infrastructure.service_env)."""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI

from tideover_runtime.database import migrate_sync
from tideover_runtime.service_keys import SERVICE_SCHEMAS, CallerRole, ServiceCaller, ServiceKey, digest, key_header, new_key
from tideover_runtime.service_keys_cli import issue, schema, withdraw


@cache
def harness_keys() -> dict[CallerRole, ServiceKey]:
    """This test run's key of each caller role."""
    return {role: new_key() for role in CallerRole}


def harness_key(role: CallerRole = CallerRole.OPERATOR) -> str:
    return harness_keys()[role].token


def harness_headers(role: CallerRole = CallerRole.OPERATOR) -> dict[str, str]:
    """The header that carries the harness's key of `role`."""
    return key_header(harness_key(role))


def register_harness_keys(database_url: str) -> None:
    """Register the harness's keys in each service schema of the database at `database_url`."""
    import psycopg

    for name in SERVICE_SCHEMAS.values():
        migrate_sync(database_url, name, None)
    with psycopg.connect(database_url, autocommit=True) as connection:
        for name in SERVICE_SCHEMAS.values():
            for role, key in harness_keys().items():
                connection.execute(
                    f'INSERT INTO "{name}".service_keys (key_id, caller, role, secret_sha256) VALUES (%s, %s, %s, %s)'
                    " ON CONFLICT (key_id) DO NOTHING",
                    (key.key_id, f"test-harness-{role.value}", role.value, digest(key.secret)),
                )


async def guard_test_keys(database_url: str, service: str, allowed: CallerRole, lacking_role: str) -> dict[str, str | None]:
    """The keys a test of a query route's guard sends, by what they are: none; one of our form
    that was never made; one revoked; one of `lacking_role` (a role the rule does not grant the
    route's right, or names no more); one of the `allowed` role."""
    revoked = await issue(database_url, "test-revoked", allowed, [service])
    await withdraw(database_url, revoked.key_id)
    lacking = new_key()
    async with schema(database_url, service) as connection:
        await connection.execute(
            "INSERT INTO service_keys (key_id, caller, role, secret_sha256) VALUES ($1, $2, $3, $4)",
            lacking.key_id,
            "test-lacking",
            lacking_role,
            digest(lacking.secret),
        )
    return {
        "none": None,
        "unknown": new_key().token,
        "revoked": revoked.token,
        "lacking": lacking.token,
        "allowed": (await issue(database_url, "test-allowed", allowed, [service])).token,
    }


def trusting(app: FastAPI, role: CallerRole = CallerRole.NEGOTIATION_INTAKE) -> FastAPI:
    """`app` answering as if every request came with a valid key of `role`: for a test of a
    route's own behaviour, in process, without a database."""
    caller = ServiceCaller(key_id="test", caller=f"test-{role.value}", role=role.value)

    async def trusted(_request: object, _presented: object) -> ServiceCaller:
        return caller

    app.state.authenticate_service = trusted
    return app
