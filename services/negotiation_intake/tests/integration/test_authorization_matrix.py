"""Every endpoint × every role (and no key): 401 without a valid key, 403 for a role without
the right, and through to the endpoint itself otherwise (here a 404 or 422 for made-up ids)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from negotiation_intake.domain.access import Right, Role, may

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

A, D = uuid.uuid4(), uuid.uuid4()  # an application and a document that do not exist
NOBODY = None

#: (method, path template, the right it needs or None for the borrower's, a concrete path, a body)
ENDPOINTS: list[tuple[str, str, Right | None, str, dict[str, object] | None]] = [
    ("GET", "/v1/loans/{loan_id}", Right.READ, f"/v1/loans/{uuid.uuid4()}", None),
    ("GET", "/v1/applications", Right.READ, "/v1/applications", None),
    ("GET", "/v1/applications/{application_id}", Right.READ, f"/v1/applications/{A}", None),
    (
        "GET",
        "/v1/applications/{application_id}/evidence/{document_id}/content",
        Right.READ,
        f"/v1/applications/{A}/evidence/{D}/content",
        None,
    ),
    ("POST", "/v1/applications", Right.WORK, "/v1/applications", {}),
    ("POST", "/v1/applications/{application_id}/evidence", Right.WORK, f"/v1/applications/{A}/evidence", {}),
    (
        "POST",
        "/v1/applications/{application_id}/evidence/{document_id}/review",
        Right.WORK,
        f"/v1/applications/{A}/evidence/{D}/review",
        {"verified": True, "note": "ok"},
    ),
    ("POST", "/v1/applications/{application_id}/submit", Right.WORK, f"/v1/applications/{A}/submit", None),
    (
        "POST",
        "/v1/applications/{application_id}/choice",
        Right.WORK,
        f"/v1/applications/{A}/choice",
        {"offer_id": str(uuid.uuid4()), "option_id": "arrears-3"},
    ),
    ("POST", "/v1/applications/{application_id}/sending", Right.WORK, f"/v1/applications/{A}/sending", None),
    (
        "POST",
        "/v1/applications/{application_id}/confirmation",
        Right.WORK,
        f"/v1/applications/{A}/confirmation",
        {"code": "123456"},
    ),
    ("POST", "/v1/applications/{application_id}/decline", Right.WORK, f"/v1/applications/{A}/decline", {"reason": "no"}),
    ("POST", "/v1/applications/{application_id}/withdrawal", Right.WORK, f"/v1/applications/{A}/withdrawal", {"reason": "no"}),
    ("GET", "/v1/supervisor-queue", Right.APPROVE, "/v1/supervisor-queue", None),
    (
        "POST",
        "/v1/applications/{application_id}/approval",
        Right.APPROVE,
        f"/v1/applications/{A}/approval",
        {"approved": True, "note": "ok"},
    ),
    ("GET", "/v1/audit", Right.AUDIT, "/v1/audit", None),
    ("GET", "/v1/audit/refusals", Right.AUDIT, "/v1/audit/refusals", None),
    ("POST", "/v1/borrower/confirmations", None, "/v1/borrower/confirmations", {"application_id": str(A), "code": "123456"}),
]


async def test_the_matrix_covers_every_endpoint(intake: str) -> None:
    async with httpx.AsyncClient(base_url=intake) as http:
        documented = {
            (method.upper(), path)
            for path, operations in (await http.get("/openapi.json")).json()["paths"].items()
            for method in operations
        }
    assert documented == {(method, template) for method, template, *_ in ENDPOINTS}


@pytest.mark.parametrize(("method", "template", "right", "path", "body"), ENDPOINTS, ids=[f"{m} {t}" for m, t, *_ in ENDPOINTS])
async def test_every_role_gets_what_its_rights_allow(
    intake: str, keys: dict[Role, str], method: str, template: str, right: Right | None, path: str, body: object
) -> None:
    async with httpx.AsyncClient(base_url=intake, timeout=10) as http:
        for caller in (NOBODY, "tdo_unknown_key", *Role):
            headers = {} if caller is NOBODY else {"X-API-Key": keys[caller] if isinstance(caller, Role) else str(caller)}
            response = await http.request(method, path, json=body, headers=headers)
            if right is None:  # the borrower's endpoint: the code is the credential, any refusal the same 422
                expected = {422}
            elif not isinstance(caller, Role):
                expected = {401}
            elif not may(caller, right):
                expected = {403}
            else:
                expected = {200, 404, 409, 422}  # through to the endpoint: nothing by those ids
            assert response.status_code in expected, f"{caller}: {response.status_code} {response.text}"
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "ApiKey"
