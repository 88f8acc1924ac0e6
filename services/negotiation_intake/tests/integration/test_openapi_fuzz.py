"""schemathesis against the live OpenAPI document: generated requests for every operation, with
a supervisor's key; no 5xx, and every response as documented (status, content type, schema).
Bounded in examples per operation so that it fits in CI.

Not checked: that every schema-valid request is accepted (schemathesis's
positive_data_acceptance). Some rules cannot be said in JSON Schema: a currency must be a known
ISO 4217 code, a loan must be known and overdue; those requests get a precise 4xx instead.

(schemathesis's own pytest plugin does not run under pytest 9 yet, so each operation's
hypothesis strategy is driven here.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLES_PER_OPERATION = 15


async def test_no_server_error_and_every_response_as_documented(infrastructure: Infrastructure, intake: str) -> None:
    key = await issue_key(infrastructure.database_url, "fuzzing-supervisor", Role.SUPERVISOR)
    schema = schemathesis.openapi.from_url(f"{intake}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Case) -> None:
            case.call_and_validate(
                headers={"X-API-Key": key}, timeout=10, excluded_checks=[schemathesis.checks.positive_data_acceptance]
            )

        await asyncio_to_thread(call)


async def asyncio_to_thread(work: object) -> None:
    """schemathesis calls with a blocking client: off the event loop, as the service is another process."""
    import asyncio

    await asyncio.to_thread(work)  # type: ignore[arg-type]
