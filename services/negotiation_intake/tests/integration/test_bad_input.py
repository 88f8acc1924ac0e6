"""Bad input at intake is a 422 problem+json naming the field, and nothing is stored (issue 16):
negative or overflowing amounts, mixed currencies, a NUL in any text (Postgres `text` cannot
hold one), out-of-range query parameters. Each table runs on one loan; every case is checked
before any assertion fails, so a failure lists all the cases that went wrong."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from tideover_testkit.journeys import PROOF_PDF, hardship_application

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


# (what, the hardship's changed fields, the field the problem names, words of its message)
BAD_HARDSHIPS = [
    ("negative expenses", {"essential_expenses": cny("-1000.00")}, "hardship.essential_expenses", "negative"),
    ("negative income", {"monthly_income": cny("-4000.00")}, "hardship.monthly_income", "negative"),
    ("an amount past the decimal context", {"monthly_income": cny("1E+1000000")}, "hardship.monthly_income", "out of range"),
    ("income of 13 integer digits", {"monthly_income": cny("1000000000000.00")}, "hardship.monthly_income", "12 integer digits"),
    (
        "expenses of 18 integer digits",
        {"essential_expenses": cny("999999999999999999.99")},
        "hardship.essential_expenses",
        "12 integer digits",
    ),
    (
        "USD expenses against a CNY income",
        {"essential_expenses": {"amount": "2000.00", "currency": "USD"}},
        "hardship.essential_expenses",
        "USD is not the monthly income's currency CNY",
    ),
    ("a NUL in the description", {"description": "Laid off\x00 in January"}, "hardship.description", "pattern"),
]

Call = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


def posting(suffix: str, body: dict[str, Any]) -> Call:
    return lambda http, path: http.post(f"{path}{suffix}", json=body)


def uploading(filename: str, kind: str = "income_proof") -> Call:
    """An upload of a PDF as `filename`, written out by hand: httpx would escape a NUL in it."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PROOF_PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return lambda http, path: http.post(f"{path}/evidence", content=body, headers=headers)


# (what, the request on an open application with one document, who asks, the field named)
BAD_CHANGES: list[tuple[str, Callable[[str], Call], Role, str]] = [
    (
        "a NUL in a review note",
        lambda document: posting(f"/evidence/{document}/review", {"verified": True, "note": "seen\x00"}),
        Role.AGENT,
        "note",
    ),
    ("a NUL in a filename", lambda _: uploading("payslip\x00.pdf"), Role.AGENT, "file"),
    ("a NUL in a document's kind", lambda _: uploading("payslip.pdf", kind="income_proof\x00"), Role.AGENT, "kind"),
    ("a NUL in a withdrawal reason", lambda _: posting("/withdrawal", {"reason": "\x00"}), Role.AGENT, "reason"),
    ("a NUL in a decline reason", lambda _: posting("/decline", {"reason": "too much\x00"}), Role.AGENT, "reason"),
    (
        "a NUL in an option id",
        lambda _: posting("/choice", {"offer_id": str(uuid.uuid4()), "option_id": "arrears-3\x00"}),
        Role.AGENT,
        "option_id",
    ),
    (
        "a NUL in an approval note",
        lambda _: posting("/approval", {"approved": True, "note": "fine\x00"}),
        Role.SUPERVISOR,
        "note",
    ),
]

# (what, the query, the field named)
BAD_QUERIES = [
    ("a limit of 0", "/v1/applications?limit=0", "query.limit"),
    ("a limit above 200", "/v1/applications?limit=201", "query.limit"),
    ("a limit past any integer type", "/v1/applications?limit=99999999999999999999999999", "query.limit"),
    ("a negative limit", "/v1/supervisor-queue?limit=-1", "query.limit"),
    ("a limit in exponent notation", "/v1/audit?limit=1e3", "query.limit"),
    ("a cursor past the year 2286", f"/v1/applications?after=99999999999999999_{uuid.uuid4().hex}", "query.after"),
    ("an audit cursor past bigint", "/v1/audit?after=99999999999999999999", "query.after"),
    ("a NUL in a cursor", "/v1/audit?after=1%00", "query.after"),
    ("a NUL in a state", "/v1/applications?state=draft%00", "query.state"),
    ("a NUL in an application id", "/v1/audit?application_id=%00", "query.application_id"),
    ("a 17-digit supervisor-queue cursor", f"/v1/supervisor-queue?after=12345678901234567_{uuid.uuid4().hex}", "query.after"),
    ("a supervisor-queue cursor not of ours", "/v1/supervisor-queue?after=1%00_2", "query.after"),
    ("a limit of 10^20 on the audit log", "/v1/audit?limit=100000000000000000000", "query.limit"),
    ("a NUL in a limit", "/v1/applications?limit=1%00", "query.limit"),
    ("a refusals cursor past bigint", "/v1/audit/refusals?after=99999999999999999999", "query.after"),
    ("a refusals limit of 10^20", "/v1/audit/refusals?limit=100000000000000000000", "query.limit"),
    ("a NUL for an application id in the path", "/v1/applications/%00", "path.application_id"),
    ("a loan id of 10^20", "/v1/loans/100000000000000000000", "path.loan_id"),
]

# (what, a body that is not one, sent as JSON to POST /v1/applications)
NOT_A_BODY = [
    ("JSON that does not parse", b'{"loan_id": '),
    ("an array", b"[]"),
    ("nesting deeper than any parser's stack", b"[" * 20_000 + b"]" * 20_000),
    ("an integer of 5,000 digits", b'{"loan_id": ' + b"9" * 5000 + b"}"),
    ("an amount as a JSON number past any float", b'{"hardship": {"monthly_income": {"amount": 1e999999}}}'),
    ("text that is not UTF-8", b'{"loan_id": "\xff\xfe"}'),
    ("a lone surrogate", b'{"loan_id": "\\ud800"}'),
]

#: If-Match values that name no version of ours: a stale version (412), never a 500.
ODD_ETAGS = ['"\u00b2"', '"99999999999999999999999"', 'W/"1"x', '"-1"', '""', "*1"]


def refusal(response: httpx.Response, field: str, words: str = "") -> str | None:
    """What is wrong with `response` as a 422 problem naming `field` (None: nothing)."""
    if response.status_code != 422 or response.headers["content-type"] != "application/problem+json":
        return f"{response.status_code} {response.headers['content-type']}: {response.text[:300]}"
    fields = [error["field"] for error in response.json().get("errors", [])]
    if fields != [field] or words not in response.json()["detail"]:
        return f"names {fields}: {response.json()['detail']}"
    return None


async def test_a_bad_hardship_opens_nothing(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        wrong = {}
        for what, changes, field, words in BAD_HARDSHIPS:
            body = hardship_application(loan_id)
            body["hardship"].update(changes)
            if problem := refusal(await http.post("/v1/applications", json=body), field, words):
                wrong[what] = problem

        assert wrong == {}
        assert (await http.get(f"/v1/loans/{loan_id}")).json()["applications"] == []
        # The same request with a good hardship is accepted: each case failed on its field alone.
        assert (await http.post("/v1/applications", json=hardship_application(loan_id))).status_code == 201


async def test_a_hardship_in_another_currency_than_the_loans_opens_nothing(
    intake: str, keys: dict[Role, str], overdue_loan: Any
) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()  # a CNY loan
        body = hardship_application(loan_id)
        for name in ("monthly_income", "essential_expenses"):
            body["hardship"][name]["currency"] = "USD"
        response = await http.post("/v1/applications", json=body)

        assert refusal(response, "hardship.monthly_income", "the loan's currency, CNY") is None
        assert response.json()["rule"] == "loan_currency"
        assert (await http.get(f"/v1/loans/{loan_id}")).json()["applications"] == []


async def test_a_bad_change_changes_nothing(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    clients = {role: httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[role]}, timeout=30) for role in Role}
    agent, auditor = clients[Role.AGENT], clients[Role.SUPERVISOR]
    try:
        loan_id = await overdue_loan()
        opened = await agent.post("/v1/applications", json=hardship_application(loan_id))
        path = f"/v1/applications/{opened.json()['application_id']}"
        document = (await uploading("payslip.pdf")(agent, path)).json()["document_id"]
        before = (await agent.get(path)).json()
        audited = (await auditor.get("/v1/audit", params={"application_id": before["application_id"]})).json()

        wrong = {}
        for what, request, role, field in BAD_CHANGES:
            if problem := refusal(await request(document)(clients[role], path), field):
                wrong[what] = problem

        assert wrong == {}
        assert (await agent.get(path)).json() == before
        assert (await auditor.get("/v1/audit", params={"application_id": before["application_id"]})).json() == audited
    finally:
        for client in clients.values():
            await client.aclose()


async def test_an_out_of_range_query_is_a_422_naming_the_parameter(intake: str, keys: dict[Role, str]) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.SUPERVISOR]}, timeout=30) as http:
        wrong = {what: problem for what, query, field in BAD_QUERIES if (problem := refusal(await http.get(query), field))}

    assert wrong == {}


async def test_what_is_not_a_body_is_a_4xx_problem(intake: str, keys: dict[Role, str]) -> None:
    headers = {"X-API-Key": keys[Role.AGENT], "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=intake, headers=headers, timeout=30) as http:
        answers = {what: await http.post("/v1/applications", content=body) for what, body in NOT_A_BODY}

    wrong = {
        what: f"{response.status_code} {response.headers['content-type']}: {response.text[:200]}"
        for what, response in answers.items()
        if response.status_code not in {400, 422} or response.headers["content-type"] != "application/problem+json"
    }
    assert wrong == {}


async def test_an_if_match_of_no_version_is_a_stale_version(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        opened = await http.post("/v1/applications", json=hardship_application(loan_id))
        path = f"/v1/applications/{opened.json()['application_id']}"
        answers = {
            etag: await http.post(f"{path}/withdrawal", json={"reason": "testing"}, headers={b"If-Match": etag.encode("latin-1")})
            for etag in ODD_ETAGS
        }

        wrong = {
            etag: f"{answer.status_code} {answer.text[:200]}" for etag, answer in answers.items() if answer.status_code != 412
        }
        assert wrong == {}
        assert (await http.get(path)).json()["state"] == "draft"
