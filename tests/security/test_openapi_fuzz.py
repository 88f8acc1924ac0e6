"""Issue 17, "Done when": schemathesis against every running service's own OpenAPI document
(read from the process, so a new operation is fuzzed without a change here), each operation
with requests the schema allows and requests it refuses, sent with the credential that reaches
the handlers (intake: a supervisor's key, which every right of intake's is granted to; the query
APIs: negotiation-intake's service key, which every right is granted to; the borrower's
confirmation from a client address of its own per request, so that its try limits are reached
only as often as generated requests repeat an application id).

What must hold, for every request: no 5xx; every answer's body as the schema documented for its
status and content type; and no operation that documents a credential answers 2xx without one
(schemathesis's ignored_auth probes each such operation once). Beside it, that every status and
content type answered is documented at all (status_code_conformance, content_type_conformance,
response_headers_conformance) — see KNOWN_UNDOCUMENTED.

Not checked: that every schema-valid request is accepted (positive_data_acceptance), nor that
every schema-invalid one is refused (negative_data_rejection). Some rules cannot be said in JSON
Schema — a currency must be a known ISO 4217 code, an application must exist before its If-Match
is judged — and an unknown query parameter is ignored, as HTTP APIs do.

Not stateful: no service's OpenAPI document has links (`test_no_operation_documents_links`
fails once one does, so that a stateful run, `schema.as_state_machine()`, is added with them).

Derandomized (the same examples every run), EXAMPLES per operation and generation mode: about
2,400 requests in all. (schemathesis's own pytest plugin does not run under pytest 9 yet, so each
operation's hypothesis strategy is driven here, as in negotiation_intake's test_openapi_fuzz.py.)"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.core.result import Ok
from schemathesis.errors import FailureGroup

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_runtime.service_keys import CallerRole
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ALL_SERVICES, ServiceProcess
from tideover_testkit.service_keys import harness_headers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

EXAMPLES = 50
INTAKE = "negotiation_intake"
MUST_HOLD: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.ignored_auth,
]
DOCUMENTED: list[CheckFunction] = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
]
#: Services whose OpenAPI leaves out a status or content type they answer with: none.
KNOWN_UNDOCUMENTED: dict[str, str] = {}
#: What is kept of the failures of one operation and kind of check: enough to reproduce them.
KEPT_PER_OPERATION = 2


@dataclass
class Fuzzed:
    """What one service answered the generated requests."""

    service: str
    operations: list[str]
    #: Status codes answered, by operation.
    answered: dict[str, Counter[int]] = field(default_factory=dict)
    #: Failed checks of MUST_HOLD and of DOCUMENTED: schemathesis's report with a curl to
    #: reproduce, by operation.
    broken: dict[str, list[str]] = field(default_factory=dict)
    undocumented: dict[str, list[str]] = field(default_factory=dict)


def credential_of(service: str, infrastructure: Infrastructure) -> dict[str, str]:
    if service == INTAKE:
        key = asyncio.run(issue_key(infrastructure.database_url, f"fuzz-supervisor-{uuid.uuid4().hex[:6]}", Role.SUPERVISOR))
        return {"X-API-Key": key}
    return harness_headers(CallerRole.NEGOTIATION_INTAKE)


def an_address() -> str:
    """A client address of the benchmarking range (RFC 2544); uvicorn trusts X-Forwarded-For
    from 127.0.0.1."""
    number = uuid.uuid4().int
    return f"198.18.{number % 256}.{number // 256 % 254 + 1}"


def failures_of(case: Case[Any], response: Any, checks: list[CheckFunction], headers: dict[str, str]) -> list[str]:
    """schemathesis's report of each of `checks` that `response` fails."""
    try:
        case.validate_response(response, checks=checks, headers=headers, transport_kwargs={"headers": headers, "timeout": 10})
    except FailureGroup as group:
        return [group.message]
    return []


def keep(kept: dict[str, list[str]], operation: str, failures: list[str]) -> None:
    if failures and len(kept.setdefault(operation, [])) < KEPT_PER_OPERATION:
        kept[operation] += failures


def fuzz(run: Fuzzed, operation: Any, mode: GenerationMode, credential: dict[str, str]) -> None:
    """Send EXAMPLES requests `operation.as_strategy` generates in `mode`; keep what they got."""
    label = operation.label
    answered = run.answered.setdefault(label, Counter())

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    def call(case: Case[Any]) -> None:
        send(case)
        if mode is GenerationMode.POSITIVE and (cny := in_cny(case.body)) != case.body:
            case.body = cny
            send(case)

    def send(case: Case[Any]) -> None:
        headers = {**credential, "X-Forwarded-For": an_address()}
        response = case.call(headers=headers, timeout=10)
        answered[response.status_code] += 1
        keep(run.broken, label, failures_of(case, response, MUST_HOLD, headers))
        keep(run.undocumented, label, failures_of(case, response, DOCUMENTED, headers))

    call()


def in_cny(value: Any) -> Any:
    """`value` with every currency replaced by CNY: a generated currency is rarely an ISO 4217
    code, and a body in one gets past validation to the arithmetic (as in plan-calculation's
    test_quote_fuzz.py)."""
    if isinstance(value, dict):
        return {key: "CNY" if key == "currency" else in_cny(item) for key, item in value.items()}
    if isinstance(value, list):
        return [in_cny(item) for item in value]
    return value


@pytest.fixture(scope="module", params=ALL_SERVICES)
def fuzzed(request: pytest.FixtureRequest, running: dict[str, ServiceProcess], module_infrastructure: Infrastructure) -> Fuzzed:
    """Every operation of the service, fuzzed in each generation mode: what it answered."""
    service: str = request.param
    credential = credential_of(service, module_infrastructure)
    schema = schemathesis.openapi.from_url(f"{running[service].url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation schemathesis cannot read fails the test
        operations.append(result.ok())
    run = Fuzzed(service, [operation.label for operation in operations])
    for operation in operations:
        for mode in GenerationMode:
            fuzz(run, operation, mode, credential)
    return run


def test_no_server_error_no_body_off_its_schema_and_no_operation_open_without_its_credential(fuzzed: Fuzzed) -> None:
    assert fuzzed.operations
    assert set(fuzzed.answered) == set(fuzzed.operations)
    assert fuzzed.broken == {}, "\n\n".join(report for reports in fuzzed.broken.values() for report in reports)
    # The credential reached every handler: each operation answered something but 401 and 403.
    unreached = [label for label, answered in fuzzed.answered.items() if set(answered) <= {401, 403}]
    assert unreached == []


def test_every_status_and_content_type_answered_is_documented(fuzzed: Fuzzed, request: pytest.FixtureRequest) -> None:
    if reason := KNOWN_UNDOCUMENTED.get(fuzzed.service):
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"product bug, {fuzzed.service}'s OpenAPI: {reason}"))
    assert fuzzed.undocumented == {}, "\n\n".join(report for reports in fuzzed.undocumented.values() for report in reports)


def links_in(document: object) -> Iterator[str]:
    """Where `document` (a part of an OpenAPI document) has links."""
    if isinstance(document, dict):
        if document.get("links"):
            yield str(sorted(document["links"]))
        for part in document.values():
            yield from links_in(part)
    elif isinstance(document, list):
        for part in document:
            yield from links_in(part)


def test_no_operation_documents_links(openapi_documents: dict[str, dict[str, Any]]) -> None:
    """Stateful testing follows links: with none there is nothing to follow. A link added to a
    service's OpenAPI fails this test, so that a stateful run is added with it."""
    assert {name: list(links_in(document)) for name, document in openapi_documents.items()} == {name: [] for name in ALL_SERVICES}
