"""Issue 17, "Done when": every route of every running service (read from its own
/openapi.json, so a route added later is covered without a change here; health, metrics and the
documentation excepted) × every kind of credential, each sent in the header the service's
OpenAPI names (`X-Service-Key` for the four query APIs, `X-API-Key` at intake):

- none; malformed; well-formed but never made; revoked — of each family (a service key `tsk_…`,
  an agent's key `tdo_…`): 401 problem+json with WWW-Authenticate;
- a service key of each caller role (tideover_runtime.service_keys.CallerRole) and one of a role
  no longer in the rule: at a query API, through to the route if RIGHTS grants its service's
  right, else 403; at intake, 401 (intake takes agents' keys);
- an agent's key of each role (negotiation_intake.domain.access.Role): at intake, through if the
  route's right is granted (the right each route needs is intake's own matrix's,
  services/negotiation_intake/tests/integration/test_authorization_matrix.py), else 403; at a
  query API, 401.

"Through to the route" is anything but 401 and 403 (a made-up id is a 404, an empty body a 422)
and never a 5xx. The borrower's confirmation takes no credential, whatever is sent: the same
answer for every one."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

import negotiation_intake
from negotiation_intake.adapters.api_keys import revoke_key
from negotiation_intake.domain import access
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.bootstrap import SCHEMA as INTAKE_SCHEMA
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_runtime import service_keys
from tideover_runtime.service_keys import SERVICE_SCHEMAS, CallerRole, Right, new_key
from tideover_runtime.service_keys_cli import issue, schema, withdraw
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ALL_SERVICES, ServiceProcess
from tideover_testkit.service_keys import harness_key

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

#: Health and metrics stay open; the documentation describes the API and holds no data.
PROBES = ("/healthz", "/readyz", "/metrics")
OPEN_PATHS = frozenset({*PROBES, "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
INTAKE = "negotiation_intake"
#: The right each query API's routes need: one per service (the comments of service_keys.Right).
#: A route that needs another would answer otherwise than expected here, and fail the test.
SERVICE_RIGHT = {
    "overdue_detection": Right.READ_LEDGER,
    "notification": Right.READ_CONTACT_LOG,
    "plan_calculation": Right.QUOTE,
    "repayment_tracking": Right.READ_PLANS,
}
RETIRED_ROLE = "retired-role"
ALLOWED, UNAUTHENTICATED, FORBIDDEN = "allowed", 401, 403


def _intake_matrix() -> ModuleType:
    """Intake's own authorization matrix, whose table of routes and the right each needs is
    reused here rather than said twice."""
    package = Path(next(iter(negotiation_intake.__path__)))  # services/negotiation_intake/src/negotiation_intake
    source = package.parents[1] / "tests" / "integration" / "test_authorization_matrix.py"
    spec = importlib.util.spec_from_file_location("intake_authorization_matrix", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: (method, path template) → (the right it needs or None for the borrower's, a path, a body).
INTAKE_ROUTES: dict[tuple[str, str], tuple[access.Right | None, str, object]] = {
    (method, template): (right, path, body) for method, template, right, path, body in _intake_matrix().ENDPOINTS
}


@dataclass(frozen=True)
class Credential:
    """What a caller presents, and what it is."""

    name: str
    token: str | None
    #: The service-key role (CallerRole or a retired one) or agent Role it is a valid key of;
    #: None for no key, a malformed, unknown or revoked one.
    service_role: str | None = None
    agent_role: Role | None = None


@pytest.fixture(scope="module")
def credentials(module_infrastructure: Infrastructure, running: dict[str, ServiceProcess]) -> list[Credential]:
    """Every kind of credential, made on the module's database (the services in `running`
    migrated it)."""

    async def make() -> list[Credential]:
        url = module_infrastructure.database_url
        revoked_service = await issue(url, "security-matrix-revoked", CallerRole.OPERATOR)
        await withdraw(url, revoked_service.key_id)
        retired = new_key()
        for service in SERVICE_SCHEMAS:
            async with schema(url, service) as connection:
                await connection.execute(
                    "INSERT INTO service_keys (key_id, caller, role, secret_sha256) VALUES ($1, $2, $3, $4)",
                    retired.key_id,
                    "security-matrix-retired",
                    RETIRED_ROLE,
                    service_keys.digest(retired.secret),
                )
        agents = {role: await issue_key(url, f"matrix-{role.value}-{uuid.uuid4().hex[:6]}", role) for role in Role}
        revoked_agent = await issue_key(url, f"matrix-revoked-{uuid.uuid4().hex[:6]}", Role.SUPERVISOR)
        connection = await asyncpg.connect(url, server_settings={"search_path": INTAKE_SCHEMA})
        try:
            assert await revoke_key(connection, revoked_agent.split("_")[1])
        finally:
            await connection.close()
        return [
            Credential("no key", None),
            Credential("malformed", "not a key at all"),
            Credential("unknown service key", new_key().token),
            Credential("unknown agent key", f"tdo_{uuid.uuid4().hex[:12]}_{uuid.uuid4().hex}"),
            Credential("revoked service key", revoked_service.token),
            Credential("revoked agent key", revoked_agent),
            *(Credential(f"service key of {role.value}", harness_key(role), service_role=role.value) for role in CallerRole),
            Credential(f"service key of a {RETIRED_ROLE}", retired.token, service_role=RETIRED_ROLE),
            *(Credential(f"agent key of {role.value}", key, agent_role=role) for role, key in agents.items()),
        ]

    return asyncio.run(make())


def expected(right: Right | access.Right | None, credential: Credential) -> int | str:
    """What `credential` gets on a route that needs `right`: a query API's, or intake's."""
    if right is None:  # the borrower's: the code is the credential
        return ALLOWED
    if isinstance(right, access.Right):
        if credential.agent_role is None:
            return UNAUTHENTICATED
        return ALLOWED if access.may(credential.agent_role, right) else FORBIDDEN
    if credential.service_role is None:
        return UNAUTHENTICATED
    return ALLOWED if service_keys.may(credential.service_role, right) else FORBIDDEN


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    #: A query API's right, intake's, or None for the borrower's confirmation.
    right: Right | access.Right | None
    path: str
    body: object


def routes_of(service: str, document: dict[str, Any]) -> Iterator[Route]:
    """Every operation the service documents but the open ones, with a path to send it to (its
    parameters random UUIDs, at intake the path of intake's matrix) and a body."""
    for template, operations in document["paths"].items():
        if template in OPEN_PATHS:
            continue
        for method in operations:
            if service == INTAKE:
                assert (method.upper(), template) in INTAKE_ROUTES, f"add {method.upper()} {template} to intake's matrix"
                right, path, body = INTAKE_ROUTES[method.upper(), template]
                yield Route(method.upper(), template, right, path, body)
            else:
                names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
                path = template.format(**{name: uuid.uuid4() for name in names})
                body = {} if "requestBody" in operations[method] else None
                yield Route(method.upper(), template, SERVICE_RIGHT[service], path, body)


def test_every_running_service_is_in_the_matrix(openapi_documents: dict[str, dict[str, Any]]) -> None:
    assert set(openapi_documents) == set(ALL_SERVICES) == {INTAKE, *SERVICE_RIGHT}
    assert {name.replace("-", "_") for name in SERVICE_SCHEMAS} == set(SERVICE_RIGHT)
    for name, document in openapi_documents.items():
        assert list(routes_of(name, document)), name


async def test_health_and_metrics_stay_open(running: dict[str, ServiceProcess]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        answers = {
            (name, path): (await http.get(process.url + path)).status_code for name, process in running.items() for path in PROBES
        }

    assert answers == dict.fromkeys(answers, 200)


@pytest.mark.parametrize("service", ALL_SERVICES)
async def test_every_route_answers_each_credential_as_the_rules_say(
    service: str,
    running: dict[str, ServiceProcess],
    openapi_documents: dict[str, dict[str, Any]],
    credentials: list[Credential],
) -> None:
    document = openapi_documents[service]
    [scheme] = document["components"]["securitySchemes"].values()
    header = scheme["name"]
    assert header == ("X-API-Key" if service == INTAKE else service_keys.HEADER)
    wrong: dict[str, str] = {}
    answered: dict[str, set[int]] = {}
    async with httpx.AsyncClient(base_url=running[service].url, timeout=10) as http:
        for route in routes_of(service, document):
            for credential in credentials:
                headers = {"X-Forwarded-For": an_address()}
                if credential.token is not None:
                    headers[header] = credential.token
                answer = await http.request(route.method, route.path, json=fresh(route), headers=headers)
                want = expected(route.right, credential)
                case = f"{route.method} {route.template} with {credential.name}"
                answered.setdefault(f"{route.method} {route.template}", set()).add(answer.status_code)
                if problem := mismatch(answer, want):
                    wrong[case] = problem

    assert wrong == {}
    if service == INTAKE:  # the borrower's endpoint: whatever key, the same answer
        assert answered["POST /v1/borrower/confirmations"] == {422}


def an_address() -> str:
    """A client address of the benchmarking range (RFC 2544) of its own (uvicorn trusts
    X-Forwarded-For from 127.0.0.1), so that no try limit of the borrower's endpoint is reached."""
    number = uuid.uuid4().int
    return f"198.18.{number % 256}.{number // 256 % 254 + 1}"


def fresh(route: Route) -> object:
    """The route's body; for the borrower's, naming an application of its own (again: no limit
    of tries per application is reached)."""
    if route.right is None and isinstance(route.body, dict):
        return {**route.body, "application_id": str(uuid.uuid4())}
    return route.body


def mismatch(answer: httpx.Response, want: int | str) -> str | None:
    """What is wrong with `answer` for `want` (None: nothing)."""
    got = f"{answer.status_code} {answer.headers.get('content-type')}: {answer.text[:200]}"
    if answer.status_code >= 500:
        return got
    if want == ALLOWED:
        return got if answer.status_code in {UNAUTHENTICATED, FORBIDDEN} else None
    if answer.status_code != want or answer.headers.get("content-type") != "application/problem+json":
        return f"expected {want}, got {got}"
    if want == UNAUTHENTICATED and not answer.headers.get("www-authenticate"):
        return f"a 401 without WWW-Authenticate: {got}"
    return None
