"""Every route of every service's query API checks its caller first (issue 17, H1; DESIGN.md
§5): built as each service's bootstrap builds it, each route but health and metrics answers a
request without a service key 401 problem+json with WWW-Authenticate, before anything else is
looked at. (What each key may do is tested per service: tests/integration/*guard*, and
test_contact_flow.py, test_tracking.py.)"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

import notification.entrypoints.bootstrap as notification
import overdue_detection.entrypoints.bootstrap as overdue_detection
import plan_calculation.entrypoints.bootstrap as plan_calculation
import repayment_tracking.entrypoints.bootstrap as repayment_tracking
from tideover_runtime.http import build_http_app
from tideover_runtime.service_keys import SERVICE_SCHEMAS

BOOTSTRAPS = {
    "overdue-detection": overdue_detection,
    "notification": notification,
    "plan-calculation": plan_calculation,
    "repayment-tracking": repayment_tracking,
}
OPEN = {"/healthz", "/readyz", "/metrics"}


def test_every_service_taking_service_keys_is_checked_here() -> None:
    assert set(BOOTSTRAPS) == set(SERVICE_SCHEMAS)


def app_of(service: str) -> Any:
    definition = BOOTSTRAPS[service].definition()
    app = build_http_app(definition.name, {})
    assert definition.routes is not None
    definition.routes(app, lambda: None)  # type: ignore[arg-type,return-value]  # a refusal needs no resources
    return app


@pytest.mark.parametrize("service", sorted(BOOTSTRAPS))
async def test_every_query_route_refuses_a_request_without_a_key(service: str) -> None:
    app = app_of(service)
    # Every operation the app documents (its routers included), each parameter a fresh id.
    routes = [(path, method.upper()) for path, item in app.openapi()["paths"].items() for method in item]
    assert routes
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as http:
        for template, method in routes:
            path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
            answer = await http.request(method, path, json={})
            assert answer.status_code == 401, (service, method, path)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"] == 'ServiceKey header="X-Service-Key"'
        for path in sorted(OPEN):
            assert (await http.get(path)).status_code == 200, (service, path)
