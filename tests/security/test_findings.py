"""Issue 17's findings, each with the request that exposed it, answered as fixed: all five
services running as processes on the real Kafka and Postgres, on topics and a database of this
module's own (conftest.py; its journeys close a business day, which no other test must see).

One business day closes for a loan per finding that needs an application (one open application
per loan); the written plan sent on one of them serves the findings that only read it (H1, M4).
Each test works on its own loan or on nothing but made-up ids, so that none depends on another's
order or outcome. The services' own integration tests probe each fix in depth; these are the
attacker's requests against the whole system."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import re
import secrets
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from PIL import Image

from negotiation_intake.adapters.console_sessions import TOKEN_PATTERN
from negotiation_intake.domain.access import FOUR_EYES, Role
from negotiation_intake.domain.application_state import SENDS_A_DAY, code_matches
from negotiation_intake.domain.borrower_limits import PER_APPLICATION, PER_CLIENT
from negotiation_intake.entrypoints.code_secret import DEVELOPMENT_CODE_SECRET
from negotiation_intake.entrypoints.http import JSON_BODY_BYTES
from negotiation_intake.entrypoints.keys_cli import issue_key
from plan_calculation.entrypoints.http import QUOTE_BODY_BYTES
from tideover_contracts.envelope import wrap
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS, NOTIFICATIONS_REQUESTS, OVERDUE_STATUS
from tideover_runtime.service_keys import HEADER, CallerRole, new_key
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import PROOF_PDF, day_closed, file_application, hardship_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.service_keys import harness_headers
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BOOKED_ON, OVERDUE_ON = date(2026, 1, 15), date(2026, 2, 18)  # the first installment 3 days overdue
#: The loan each finding that needs an application works on.
LOANS = ("sent", "four_eyes", "bad_input", "guessing", "resending", "uploads")
#: The people with keys to intake; maker and checker are two supervisors.
PEOPLE = {"agent": Role.AGENT, "maker": Role.SUPERVISOR, "checker": Role.SUPERVISOR, "admin": Role.ADMIN}
PROBLEM = "application/problem+json"
CONFIRMATIONS = "/v1/borrower/confirmations"
#: The console's cookie in local development (TIDEOVER_ENV=development, as the harness runs).
COOKIE = "tideover_console"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
MB = 1024 * 1024


@dataclass(frozen=True)
class System:
    """The running services, the loans made overdue for the findings, and intake's keys."""

    infrastructure: Infrastructure
    services: dict[str, ServiceProcess]
    loans: dict[str, uuid.UUID]
    #: Intake's key and agent id of each of PEOPLE.
    keys: dict[str, str]
    agent_ids: dict[str, str]

    @property
    def intake(self) -> str:
        return self.services["negotiation_intake"].url

    def url(self, service: str) -> str:
        return self.services[service].url

    def client(self, person: str | None = None, key: str | None = None) -> httpx.AsyncClient:
        """An httpx client on intake, carrying `person`'s key (or `key`)."""
        key = self.keys[person] if person else key
        return httpx.AsyncClient(base_url=self.intake, headers={"X-API-Key": key} if key else {}, timeout=30)


@dataclass(frozen=True)
class SentPlan:
    loan_id: uuid.UUID
    application_id: uuid.UUID
    code: str
    #: The written plan's SMS, as the gateway delivers it to the borrower.
    sms: str


async def book_overdue_loans(infrastructure: Infrastructure, overdue_url: str, loan_ids: list[uuid.UUID]) -> None:
    """As journeys.book_overdue_loan, for several loans and one business day closed: booked, the
    day closed, and every service has taken in that they are overdue."""
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, [OVERDUE_STATUS.name], infrastructure.topic_prefix) as watcher,
    ):
        for loan_id in loan_ids:
            booked = loan_booked(loan_id=loan_id, booked_on=BOOKED_ON)
            await kafka.publish(wrap(booked, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
        for loan_id in loan_ids:
            await wait_until_ok(f"{overdue_url}/v1/loans/{loan_id}/overdue-status")
        await settled(infrastructure)
        await kafka.publish(day_closed(OVERDUE_ON))
        await watcher.wait_for(lambda _: set(loan_ids) <= {event.loan_id for event in watcher.events("LoanBecameOverdue")})
        await settled(infrastructure)


@pytest.fixture(scope="module")
def system(module_infrastructure: Infrastructure, running: dict[str, ServiceProcess]) -> System:
    """The module's services (conftest.py), the loans of LOANS overdue, and a key for each of PEOPLE."""
    loans = {name: uuid.uuid4() for name in LOANS}
    asyncio.run(book_overdue_loans(module_infrastructure, running["overdue_detection"].url, list(loans.values())))
    agent_ids = {person: f"{person}-{uuid.uuid4().hex[:6]}" for person in PEOPLE}
    keys = {
        person: asyncio.run(issue_key(module_infrastructure.database_url, agent_ids[person], role))
        for person, role in PEOPLE.items()
    }
    return System(module_infrastructure, running, loans, keys, agent_ids)


async def offered(system: System, http: httpx.AsyncClient, loan: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The application filed on `loan` by `http`'s agent (with verified proof), once offered."""
    loan_id = system.loans[loan]
    submitted = await file_application(http, loan_id, body=body)
    path = f"{system.intake}/v1/applications/{submitted['application_id']}"
    answer = await wait_until_ok(path, accept=lambda r: r.json()["state"] == "offered", headers=dict(http.headers))
    return dict(answer.json())


async def chosen(system: System, http: httpx.AsyncClient, loan: str) -> uuid.UUID:
    """An application on `loan`, its recommended option (within the agent's authority) chosen."""
    application = await offered(system, http, loan)
    [offer] = application["offers"]
    choice = {"offer_id": offer["offer_id"], "option_id": offer["recommended_option_id"]}
    answer = await http.post(f"/v1/applications/{application['application_id']}/choice", json=choice)
    assert answer.json()["state"] == "chosen", answer.text
    return uuid.UUID(application["application_id"])


async def send_written_plan(system: System, http: httpx.AsyncClient, application_id: uuid.UUID) -> SentPlan:
    """POST …/sending; the code PlanSentToBorrower carried, once the borrower's SMS with it is out."""
    infrastructure = system.infrastructure
    topics = [NEGOTIATION_APPLICATIONS.name, NOTIFICATIONS_REQUESTS.name]

    def ours(event: Any) -> bool:
        return bool(event.application_id == application_id)

    def its_sms(event: Any) -> bool:
        return bool(event.loan_id == loan_id and event.purpose.value == "written_plan")

    loan_id = uuid.UUID((await http.get(f"/v1/applications/{application_id}")).json()["loan_id"])
    async with TopicWatcher(infrastructure.bootstrap_servers, topics, infrastructure.topic_prefix) as watcher:
        await watcher.caught_up()
        plans, messages = len(watcher.events("PlanSentToBorrower", ours)), len(watcher.events("NotificationRequested", its_sms))
        sent = await http.post(f"/v1/applications/{application_id}/sending")
        assert sent.json()["state"] == "sent", sent.text
        await watcher.wait_for(lambda _: len(watcher.events("PlanSentToBorrower", ours)) > plans)
        await watcher.wait_for(lambda _: len(watcher.events("NotificationRequested", its_sms)) > messages)
        plan, sms = watcher.events("PlanSentToBorrower", ours)[-1], watcher.events("NotificationRequested", its_sms)[-1]
    return SentPlan(loan_id, application_id, plan.confirmation_code, sms.body)


@pytest.fixture(scope="module")
def sent_plan(system: System) -> SentPlan:
    """The written plan the agent sent on loan "sent": read, never confirmed, by the tests."""

    async def send() -> SentPlan:
        async with system.client("agent") as http:
            return await send_written_plan(system, http, await chosen(system, http, "sent"))

    return asyncio.run(send())


@pytest.fixture
async def database(system: System) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(system.infrastructure.database_url)
    try:
        yield connection
    finally:
        await connection.close()


def an_address() -> str:
    """A client address of the benchmarking range (RFC 2544), most likely no other request's:
    uvicorn trusts X-Forwarded-For from 127.0.0.1, as from a proxy."""
    number = uuid.uuid4().int
    return f"198.18.{number % 256}.{number // 256 % 254 + 1}"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 30.0) -> T:
    """`probe`'s first answer but None, asked every 0.1 s: what another process does in its time
    (a relay marking a row sent, a refusal kept after its answer went)."""
    async with asyncio.timeout(timeout):
        while (found := await probe()) is None:  # noqa: ASYNC110 — the state is in another process
            await asyncio.sleep(0.1)
    return found


# H1 — a borrower's plan can be accepted by anyone: the contact log gave the code to anyone.


async def test_h1_the_contact_log_answers_no_one_without_a_key_and_never_shows_the_code(
    system: System, sent_plan: SentPlan
) -> None:
    log_url = f"{system.url('notification')}/v1/loans/{sent_plan.loan_id}/contact-log"

    def has_the_written_plan(answer: httpx.Response) -> bool:
        return any(entry["purpose"] == "written_plan" for entry in answer.json()["entries"])

    await wait_until_ok(log_url, accept=has_the_written_plan)  # with the harness's operator key
    async with httpx.AsyncClient(timeout=10) as http:
        anonymous = await http.get(log_url)
        operator = await http.get(log_url, headers=harness_headers(CallerRole.OPERATOR))

    assert (anonymous.status_code, anonymous.headers["content-type"]) == (401, PROBLEM)
    assert anonymous.headers["www-authenticate"] == f'ServiceKey header="{HEADER}"'
    assert "entries" not in anonymous.text
    [written] = [entry for entry in operator.json()["entries"] if entry["purpose"] == "written_plan"]
    [token] = re.findall(r"/b/([A-Za-z0-9_-]{40}) ", sent_plan.sms)
    assert sent_plan.code in sent_plan.sms  # the borrower's SMS carries it, and their link (issue 21) ...
    assert written["body"] == sent_plan.sms.replace(sent_plan.code, "******").replace(token, "******")  # ... the log masks both
    assert token not in operator.text
    # No six digits anywhere in what the log shows of the loan's messages (but in the loan's id).
    shown = " ".join(str(entry["body"]) for entry in operator.json()["entries"]).replace(str(sent_plan.loan_id), "")
    assert re.search(r"\d{6}", shown) is None


async def test_h1_no_query_api_answers_without_a_key(system: System, sent_plan: SentPlan) -> None:
    """What a borrower owes, every message sent to them, their plans: each asked without a key."""
    loan = sent_plan.loan_id
    queries: list[tuple[str, str, object]] = [
        ("GET", f"{system.url('overdue_detection')}/v1/loans/{loan}/overdue-status", None),
        ("GET", f"{system.url('overdue_detection')}/v1/loans/{loan}/position", None),
        ("GET", f"{system.url('notification')}/v1/loans/{loan}/contact-log", None),
        ("GET", f"{system.url('repayment_tracking')}/v1/loans/{loan}/plans", None),
        ("POST", f"{system.url('plan_calculation')}/v1/quotes", {}),
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        answers = {url: await http.request(method, url, json=body) for method, url, body in queries}
        with_a_key = await http.get(queries[0][1], headers=harness_headers(CallerRole.OPERATOR))

    assert {url: (answer.status_code, answer.headers["content-type"]) for url, answer in answers.items()} == {
        url: (401, PROBLEM) for _, url, _ in queries
    }
    assert with_a_key.json()["overdue"] is True  # the loan is there, for a caller with a key


async def test_h1_the_code_from_the_contact_log_confirms_nothing(system: System, sent_plan: SentPlan) -> None:
    """The attack itself: what the contact log shows in the code's place, sent as the code."""
    entries = (await wait_until_ok(f"{system.url('notification')}/v1/loans/{sent_plan.loan_id}/contact-log")).json()
    [shown] = [re.search(r"验证码(\S{6})", entry["body"]) for entry in entries["entries"] if entry["purpose"] == "written_plan"]
    assert shown is not None
    async with system.client() as http:
        answer = await http.post(
            CONFIRMATIONS,
            json={"application_id": str(sent_plan.application_id), "code": shown.group(1)},
            headers={"X-Forwarded-For": an_address()},
        )
    async with system.client("agent") as http:
        state = (await http.get(f"/v1/applications/{sent_plan.application_id}")).json()["state"]

    assert answer.status_code == 422
    assert state == "sent"


# H2 — a supervisor approved their own waiver.


async def test_h2_a_supervisor_may_not_approve_the_option_they_chose_on_the_application_they_opened(system: System) -> None:
    no_income = hardship_application(system.loans["four_eyes"])
    nothing = {"amount": "0.00", "currency": "CNY"}
    no_income["hardship"].update(monthly_income=nothing, essential_expenses=nothing)
    async with system.client("maker") as maker, system.client("checker") as checker:
        application = await offered(system, maker, "four_eyes", no_income)
        [offer] = application["offers"]
        beyond = [option["option_id"] for option in offer["options"] if option["needs_supervisor"]]
        assert beyond, offer  # nothing affordable to a borrower without income: a supervisor's option
        path = f"/v1/applications/{application['application_id']}"
        choice = await maker.post(f"{path}/choice", json={"offer_id": offer["offer_id"], "option_id": beyond[0]})
        assert choice.json()["state"] == "awaiting_approval", choice.text

        own = await maker.post(f"{path}/approval", json={"approved": True, "note": "My own waiver"})
        after = (await maker.get(path)).json()
        audit = await checker.get("/v1/audit", params={"application_id": application["application_id"], "limit": 200})
        other = await checker.post(f"{path}/approval", json={"approved": True, "note": "No income, proof verified"})

    assert (own.status_code, own.headers["content-type"], own.json()["rule"]) == (403, PROBLEM, FOUR_EYES), own.text
    assert (after["state"], after["approved_by"], after["version"]) == ("awaiting_approval", None, choice.json()["version"])
    assert [(entry["agent_id"], entry["status"]) for entry in audit.json()["items"] if entry["action"] == "approve"] == [
        (application["agent_id"], 403)
    ]
    assert other.status_code == 200, other.text
    assert (other.json()["state"], other.json()["approved_by"]) == ("chosen", system.agent_ids["checker"])


# M4 — codes were effectively stored in clear.


async def test_m4_the_stored_code_is_not_the_hmac_keyed_with_the_application_id(
    database: asyncpg.Connection, sent_plan: SentPlan
) -> None:
    """A copy of the table no longer gives the code to a guesser trying all million codes as
    the hash was made before (keyed with the application's id, which is no secret)."""
    application = str(sent_plan.application_id)
    stored = await database.fetchval(
        "SELECT code_hash FROM negotiation_intake.applications WHERE application_id = $1", sent_plan.application_id
    )

    assert code_matches(DEVELOPMENT_CODE_SECRET.encode(), application, sent_plan.code, stored)  # the server's secret
    keyed_with_the_id = (hmac.new(application.encode(), f"{n:06d}".encode(), hashlib.sha256).hexdigest() for n in range(10**6))
    assert stored not in set(keyed_with_the_id)


async def test_m4_no_outbox_or_contact_log_keeps_the_code_once_sent(database: asyncpg.Connection, sent_plan: SentPlan) -> None:
    """Intake's PlanSentToBorrower and notification's written-plan requests are blanked in
    their outboxes once published; the contact log keeps the message masked. So is the token of
    the borrower's link the written plan carries (issue 21), and every request carrying one."""
    outboxes = {"negotiation_intake": "PlanSentToBorrower", "notification": "NotificationRequested"}

    def published(schema: str) -> Callable[[], Awaitable[list[asyncpg.Record] | None]]:
        async def rows() -> list[asyncpg.Record] | None:
            query = f"SELECT value, sent_at FROM {schema}.outbox WHERE key = $1 AND event_type = $2 AND secret"
            found = await database.fetch(query, str(sent_plan.loan_id), outboxes[schema])
            return found if found and all(row["sent_at"] for row in found) else None

        return rows

    # Blanked in the transaction that marks them sent, just after publishing.
    rows = {schema: await eventually(published(schema)) for schema in outboxes}
    [token] = re.findall(r"/b/([A-Za-z0-9_-]{40}) ", sent_plan.sms)
    in_clear = 0
    for secret in (sent_plan.code, token):
        in_clear += await database.fetchval(
            """
            SELECT (SELECT count(*) FROM negotiation_intake.outbox WHERE key = $1 AND position($2::bytea IN value) > 0)
                 + (SELECT count(*) FROM notification.outbox WHERE key = $1 AND position($2::bytea IN value) > 0)
                 + (SELECT count(*) FROM notification.contact_log WHERE loan_id = $3 AND body LIKE '%' || $4 || '%')
            """,
            str(sent_plan.loan_id),
            secret.encode(),
            sent_plan.loan_id,
            secret,
        )

    # The message keeps the code until it expires (notification's application/codes.py), never the link.
    in_clear += await database.fetchval(
        "SELECT count(*) FROM notification.messages WHERE loan_id = $1 AND position($2 IN source::text) > 0",
        sent_plan.loan_id,
        token,
    )

    values = {schema: [row["value"] for row in found] for schema, found in rows.items()}
    assert values["negotiation_intake"] == [b""]
    # The written plan's request and its version 1 for the gateways not yet moved on, and so every
    # request that carries the borrower's link (the loan's overdue notices).
    assert len(values["notification"]) >= 2
    assert set(values["notification"]) == {b""}
    assert in_clear == 0


async def test_m4_intake_refuses_to_start_outside_development_without_a_code_secret(system: System, tmp_path: Path) -> None:
    replica = ServiceProcess(
        "negotiation_intake",
        {**system.infrastructure.service_env(), "TIDEOVER_ENV": "production", "TIDEOVER_CODE_SECRET": ""},
        tmp_path,
    )
    with pytest.raises(RuntimeError, match="exited with 1"):
        replica.start(timeout=30)
    assert "TIDEOVER_CODE_SECRET must be set" in replica.log_path.read_text()


# M1 — 500s (text/plain, not audited) from input.


async def test_m1_what_gave_a_500_at_the_api_is_a_422_naming_the_field(system: System) -> None:
    loan_id = system.loans["bad_input"]
    with_nul = hardship_application(loan_id, description="Laid off\x00 in January")
    huge = hardship_application(loan_id)
    huge["hardship"]["monthly_income"] = {"amount": "1E+1000000", "currency": "CNY"}
    async with system.client("agent") as agent, system.client("maker") as supervisor:
        opened = await agent.post("/v1/applications", json=hardship_application(loan_id))
        path = f"/v1/applications/{opened.json()['application_id']}"
        files = {"file": ("payslip.pdf", PROOF_PDF, "application/pdf")}
        document = (await agent.post(f"{path}/evidence", data={"kind": "income_proof"}, files=files)).json()["document_id"]
        before = (await agent.get(path)).json()
        answers = {
            "hardship.description": await agent.post("/v1/applications", json=with_nul),
            "hardship.monthly_income": await agent.post("/v1/applications", json=huge),
            "note": await agent.post(f"{path}/evidence/{document}/review", json={"verified": True, "note": "seen\x00"}),
            "file": await agent.post(f"{path}/evidence", content=upload_named("payslip\x00.pdf"), headers=UPLOAD),
            "query.after": await supervisor.get(f"/v1/supervisor-queue?after=12345678901234567_{uuid.uuid4().hex}"),
        }
        after = (await agent.get(path)).json()

    got = {field: (answer.status_code, answer.headers["content-type"]) for field, answer in answers.items()}
    assert got == dict.fromkeys(answers, (422, PROBLEM))
    assert {field: [error["field"] for error in answer.json()["errors"]] for field, answer in answers.items()} == {
        field: [field] for field in answers
    }
    assert after == before  # nothing stored


UPLOAD_BOUNDARY = uuid.uuid4().hex
UPLOAD = {"Content-Type": f"multipart/form-data; boundary={UPLOAD_BOUNDARY}"}


def upload_named(filename: str) -> bytes:
    """A multipart upload of the proof PDF under `filename`, written out by hand: httpx would
    escape a NUL in it."""
    head = (
        f'--{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nincome_proof\r\n'
        f'--{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    return head.encode() + PROOF_PDF + f"\r\n--{UPLOAD_BOUNDARY}--\r\n".encode()


@asynccontextmanager
async def console(system: System, person: str | None = None, cookie: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on intake's console: signed in with `person`'s key, or holding `cookie`."""
    async with httpx.AsyncClient(base_url=f"{system.intake}/console", timeout=10) as browser:
        if cookie is not None:
            browser.cookies.set(COOKIE, cookie)
        if person is not None:
            form = await browser.get("/sign-in")
            answer = await browser.post("/sign-in", data={"csrf": csrf_of(form), "api_key": system.keys[person]})
            assert answer.status_code == 303, answer.text
        yield browser


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def signed_out(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers["location"].endswith("/console/sign-in")


async def test_m1_what_gave_a_500_in_the_console_is_answered_as_a_page(system: System) -> None:
    probes = [
        ("agent", "/?page=100000000000000000000"),
        ("agent", "/?min_dpd=1000000000000"),
        ("agent", "/?q=a%00b"),
        ("maker", f"/supervisor?after=12345678901234567_{uuid.uuid4().hex}"),
    ]
    async with console(system, "agent") as agent, console(system, "maker") as supervisor:
        browsers = {"agent": agent, "maker": supervisor}
        answers = {path: await browsers[person].get(path) for person, path in probes}

    assert {path: answer.status_code for path, answer in answers.items()} == {path: 200 for _, path in probes}
    assert all(answer.headers["content-type"].startswith("text/html") for answer in answers.values())


# M3 — refused requests were not audited.


async def test_m3_every_refused_request_is_kept_with_its_reason(system: System) -> None:
    address = an_address()
    agent = await issue_key(system.infrastructure.database_url, f"refused-{uuid.uuid4().hex[:6]}", Role.AGENT)
    unknown_id, unknown_secret = uuid.uuid4().hex[:12], secrets.token_hex(32)
    unknown = f"tdo_{unknown_id}_{unknown_secret}"
    headers = {"X-Forwarded-For": address}
    without_boundary = {**headers, "Content-Type": "multipart/form-data"}
    async with system.client() as anonymous, system.client(key=unknown) as stranger, system.client(key=agent) as http:
        refused = [
            await anonymous.get("/v1/applications", headers=headers),
            await stranger.get("/v1/applications", headers=headers),
            await http.get("/v1/audit", headers=headers),
            await http.post("/v1/applications", json={}, headers=headers),
            await http.post(f"/v1/applications/{uuid.uuid4()}/evidence", content=b"x", headers=without_boundary),
        ]
    assert [answer.status_code for answer in refused] == [401, 401, 403, 422, 400]

    async def kept_for_the_address() -> list[dict[str, Any]] | None:
        async with system.client("admin") as auditor:  # an admin reads the refusals, as a supervisor may
            rows = [row for row in await all_refusals(auditor) if row["client"] == address]
        return rows if len(rows) == len(refused) else None

    kept = await eventually(kept_for_the_address)
    agent_id = agent.split("_")[1]
    assert sorted(((row["status"], row["path"], row["key_id"], row["role"]) for row in kept), key=str) == sorted(
        [
            (401, "/v1/applications", None, None),
            (401, "/v1/applications", unknown_id, None),
            (403, "/v1/audit", agent_id, "agent"),
            (422, "/v1/applications", agent_id, "agent"),
            (400, refused[-1].request.url.path, agent_id, "agent"),
        ],
        key=str,
    )
    assert all(row["reason"] for row in kept)
    assert unknown_secret not in str(kept)  # a presented key's id, never its secret


async def all_refusals(auditor: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every page of GET /v1/audit/refusals."""
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = (await auditor.get("/v1/audit/refusals", params={"limit": 200, **({"after": after} if after else {})})).json()
        rows += page["items"]
        if not (after := page["after"]):
            return rows


async def test_m3_a_query_api_logs_a_refused_key_by_its_id_never_the_key(system: System) -> None:
    presented = new_key()
    url = f"{system.url('notification')}/v1/loans/{uuid.uuid4()}/contact-log"
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(url, headers={HEADER: presented.token})

    assert answer.status_code == 401
    log = system.services["notification"].log_path

    async def logged() -> str | None:
        return text if presented.key_id in (text := log.read_text()) else None

    text = await eventually(logged)
    [line] = [line for line in text.splitlines() if presented.key_id in line]
    assert "query refused" in line
    assert "Unknown or revoked service key" in line
    assert "401" in line
    assert presented.secret not in text


# M5 — sign-out did not end the session; its payload was readable.


async def test_m5_a_cookie_saved_before_sign_out_opens_nothing_after_it(system: System) -> None:
    async with console(system, "agent") as agent:
        saved = agent.cookies[COOKIE]
        async with console(system, cookie=saved) as copy:
            opened = await copy.get("/")
            answer = await agent.post("/sign-out", data={"csrf": csrf_of(await agent.get("/"))})
            after = [await copy.get("/"), await agent.get("/")]

    assert opened.status_code == 200
    assert signed_out(answer)
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert all(signed_out(page) for page in after)
    # What the cookie held: a random token, nothing of the key or the agent.
    assert TOKEN_PATTERN.fullmatch(saved)
    assert system.keys["agent"].split("_")[1] not in saved
    assert system.agent_ids["agent"] not in saved


# M6 — no CSP, frame-ancestors, nosniff or Referrer-Policy; cookies not Secure; sessions per process.


def assert_guarded(answer: httpx.Response) -> None:
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, (answer.url, policy)
    assert "'unsafe-inline'" not in policy, answer.url
    assert answer.headers["x-content-type-options"] == "nosniff", answer.url
    assert answer.headers["referrer-policy"] == "no-referrer", answer.url
    assert answer.headers["x-frame-options"] == "DENY", answer.url


async def test_m6_every_console_page_and_api_answer_carries_the_browsers_guards(system: System, sent_plan: SentPlan) -> None:
    async with console(system, "agent") as agent:
        pages = [
            await agent.get("/sign-in"),
            await agent.get("/"),
            await agent.get(f"/loans/{sent_plan.loan_id}"),
            await agent.get(f"/applications/{sent_plan.application_id}"),
        ]
    loan = sent_plan.loan_id
    queries = [
        (system.intake, f"/v1/loans/{loan}", {"X-API-Key": system.keys["agent"]}),
        (system.intake, f"/v1/loans/{loan}", {}),
        (system.url("overdue_detection"), f"/v1/loans/{loan}/overdue-status", harness_headers()),
        (system.url("notification"), f"/v1/loans/{loan}/contact-log", harness_headers()),
        (system.url("repayment_tracking"), f"/v1/loans/{loan}/plans", harness_headers()),
        (system.url("repayment_tracking"), f"/v1/loans/{loan}/plans", {}),
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        answers = [await http.get(base + path, headers=headers) for base, path, headers in queries]
        quote = await http.post(f"{system.url('plan_calculation')}/v1/quotes", json={})

    assert [page.status_code for page in pages] == [200] * len(pages)
    assert [answer.status_code for answer in answers] == [200, 401, 200, 200, 200, 401]
    for answer in [*pages, *answers, quote]:
        assert_guarded(answer)


async def test_m6_the_cookie_is_secure_by_default_and_sessions_are_shared_by_every_replica(
    system: System, tmp_path: Path
) -> None:
    """A second intake as production runs it (no TIDEOVER_ENV=development): its cookie is Secure
    with the __Host- prefix, and it knows the sessions the first one opened — the store is
    Postgres, not a secret random per process — until they are signed out."""
    production = {
        "TIDEOVER_ENV": "production",
        "TIDEOVER_CODE_SECRET": secrets.token_urlsafe(32),
        "TIDEOVER_LINK_SECRET": secrets.token_urlsafe(32),  # required too outside development (issue 21)
    }
    env = {**system.infrastructure.service_env(), **production}
    replica = ServiceProcess("negotiation_intake", env, tmp_path).start()
    try:
        async with console(system, "agent") as agent, httpx.AsyncClient(base_url=f"{replica.url}/console") as other:
            sign_in_page = await other.get("/sign-in")
            session = {"Cookie": f"__Host-{COOKIE}={agent.cookies[COOKIE]}"}  # as a browser sends it over HTTPS
            shared = await other.get("/", headers=session)
            await agent.post("/sign-out", data={"csrf": csrf_of(await agent.get("/"))})
            ended = await other.get("/", headers=session)
    finally:
        replica.stop()

    cookie = sign_in_page.headers["set-cookie"]
    assert cookie.startswith(f"__Host-{COOKIE}=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    assert shared.status_code == 200
    assert signed_out(ended)


# L1 — the borrower's endpoint: no rate limit, the state told, one Idempotency-Key space, resends without limit.


async def confirm(
    http: httpx.AsyncClient, application_id: uuid.UUID, code: str, address: str | None = None, key: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": address or an_address(), **({"Idempotency-Key": key} if key else {})}
    return await http.post(CONFIRMATIONS, json={"application_id": str(application_id), "code": code}, headers=headers)


async def test_l1_a_guesser_learns_nothing_and_is_held_back(system: System) -> None:
    async with system.client("agent") as agent:
        plan = await send_written_plan(system, agent, await chosen(system, agent, "guessing"))
    wrong = other_code(plan.code)
    async with system.client() as borrower:
        no_such = await confirm(borrower, uuid.uuid4(), plan.code)
        sent = await confirm(borrower, plan.application_id, wrong)
        more = [(await confirm(borrower, plan.application_id, wrong)).status_code for _ in range(PER_APPLICATION.tries - 1)]
        held = await confirm(borrower, plan.application_id, plan.code)  # even the right code, from another address
        guesser = an_address()
        across = [(await confirm(borrower, uuid.uuid4(), "123456", guesser)).status_code for _ in range(PER_CLIENT.tries)]
        guesser_held = await confirm(borrower, uuid.uuid4(), "123456", guesser)

    # An application that does not exist and one with a plan sent answer alike: no state, no tries left.
    assert (no_such.status_code, no_such.json()) == (sent.status_code, sent.json()) == (422, no_such.json())
    assert no_such.json()["rule"] == "confirmation_code"
    assert sorted(no_such.headers) == sorted(sent.headers)
    assert "etag" not in sent.headers
    assert "tries_left" not in sent.json()
    assert "state" not in sent.json()
    assert more == [422] * (PER_APPLICATION.tries - 1)
    for limited, rule, window in (
        (held, "borrower_tries_per_application", PER_APPLICATION.window),
        (guesser_held, "borrower_tries_per_client", PER_CLIENT.window),
    ):
        assert (limited.status_code, limited.headers["content-type"], limited.json()["rule"]) == (429, PROBLEM, rule)
        assert 0 < int(limited.headers["retry-after"]) <= window.total_seconds()
    assert across == [422] * PER_CLIENT.tries


async def test_l1_resends_are_limited_a_day_and_idempotency_keys_are_each_applications_own(system: System) -> None:
    async with system.client("agent") as agent:
        application_id = await chosen(system, agent, "resending")
        codes = [(await send_written_plan(system, agent, application_id)).code for _ in range(SENDS_A_DAY)]
        refused = await agent.post(f"/v1/applications/{application_id}/sending")
    async with system.client() as borrower:
        # Another borrower's try, under the key this borrower then chooses too.
        stranger = await confirm(borrower, uuid.uuid4(), "123456", key="confirm-1")
        accepted = await confirm(borrower, application_id, codes[-1], key="confirm-1")
        replayed = await confirm(borrower, uuid.uuid4(), "123456", key="confirm-1")

    assert (refused.status_code, refused.json()["rule"]) == (422, "written_plan_resends"), refused.text
    assert stranger.status_code == 422
    assert (accepted.status_code, accepted.json()) == (200, {"application_id": str(application_id), "state": "accepted"})
    assert replayed.status_code == 422


# L2 — bodies were read before the key was checked, without a size limit.


async def answer_to_the_head(url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """What the service at `url` answers a POST whose head declares a 100 MB JSON body, none of
    which is sent: a service that reads the body before answering waits for it (10 s here)."""
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    try:
        head = {"Host": f"{parts.host}:{parts.port}", "Content-Type": "application/json", "Content-Length": str(100 * MB)}
        lines = [f"POST {path} HTTP/1.1", *(f"{name}: {value}" for name, value in {**head, **headers}.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        async with asyncio.timeout(10):
            status = int((await reader.readline()).split()[1])
            answered: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                answered[name.lower()] = value.strip()
            body = await reader.readexactly(int(answered["content-length"]))
    finally:
        writer.close()
    return status, answered, body


async def test_l2_the_key_and_the_size_are_judged_before_the_body_is_read(system: System) -> None:
    anonymous = await answer_to_the_head(system.intake, "/v1/applications", {})
    agent = await answer_to_the_head(system.intake, "/v1/applications", {"X-API-Key": system.keys["agent"]})
    quotes = system.url("plan_calculation")
    no_service_key = await answer_to_the_head(quotes, "/v1/quotes", {})
    intakes_key = await answer_to_the_head(quotes, "/v1/quotes", harness_headers(CallerRole.NEGOTIATION_INTAKE))

    assert (anonymous[0], anonymous[1]["content-type"]) == (401, PROBLEM)
    assert anonymous[1]["www-authenticate"] == "ApiKey"
    assert (agent[0], agent[1]["content-type"]) == (413, PROBLEM)
    assert json.loads(agent[2])["limit_bytes"] == JSON_BODY_BYTES
    assert (no_service_key[0], no_service_key[1]["content-type"]) == (401, PROBLEM)
    assert no_service_key[1]["www-authenticate"] == f'ServiceKey header="{HEADER}"'
    assert (intakes_key[0], intakes_key[1]["content-type"]) == (413, PROBLEM)
    assert json.loads(intakes_key[2])["limit_bytes"] == QUOTE_BODY_BYTES


async def test_l2_a_malformed_body_without_a_key_is_refused_for_the_key(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.url("plan_calculation"), timeout=30) as http:
        anonymous = await http.post("/v1/quotes", content=b"{not json", headers={"Content-Type": "application/json"})

    assert (anonymous.status_code, anonymous.headers["content-type"]) == (401, PROBLEM), anonymous.text


async def streamed() -> AsyncIterator[bytes]:
    """100 MB of whitespace, sent without a Content-Length (chunked)."""
    for _ in range(100):
        yield b" " * MB


async def test_l2_a_body_streamed_past_the_routes_limit_is_cut_off(system: System) -> None:
    json_body = {"Content-Type": "application/json"}
    async with system.client("agent") as http:
        answer = await http.post("/v1/applications", content=streamed(), headers=json_body)
    async with httpx.AsyncClient(base_url=system.url("plan_calculation"), timeout=30) as http:
        quote = await http.post(
            "/v1/quotes", content=streamed(), headers={**json_body, **harness_headers(CallerRole.NEGOTIATION_INTAKE)}
        )

    assert (answer.status_code, answer.headers["content-type"]) == (413, PROBLEM), answer.text
    assert (quote.status_code, quote.headers["content-type"]) == (413, PROBLEM), quote.text


# L4 — uploads were typed by their first bytes only; names kept as given.


def png_with_a_zip() -> bytes:
    picture, archive = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (32, 32), (20, 120, 200)).save(picture, "PNG")
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.exe", b"MZ\x90\x00")
    return picture.getvalue() + archive.getvalue()


async def test_l4_uploads_are_judged_by_parsing_and_names_kept_without_hidden_characters(system: System) -> None:
    web_page = PROOF_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n<html><script>alert(1)</script>\n")
    async with system.client("agent") as http:
        opened = await http.post("/v1/applications", json=hardship_application(system.loans["uploads"]))
        path = f"/v1/applications/{opened.json()['application_id']}/evidence"

        async def upload(name: str, content: bytes) -> httpx.Response:
            return await http.post(path, data={"kind": "income_proof"}, files={"file": (name, content, "application/pdf")})

        page, appended = await upload("proof.pdf", web_page), await upload("photo.png", png_with_a_zip())
        renamed = await upload("invoice\u202efdp.exe", PROOF_PDF)
        evidence = (await http.get(path.removesuffix("/evidence"))).json()["evidence"]

    assert (page.status_code, page.headers["content-type"], page.json()["rule"]) == (422, PROBLEM, "evidence_malformed")
    assert (appended.status_code, appended.json()["rule"]) == (422, "evidence_trailing_data")
    assert renamed.status_code == 201, renamed.text
    assert [(document["filename"], document["media_type"]) for document in evidence] == [("invoicefdp.exe", "application/pdf")]
