"""What the integration tests of the borrower's page share: the services a module names, started on
topics and a database of the module's own, with its loans booked and made overdue by a business day
closed, as upstream and the scheduler would (`started_system`); a browser on intake from a client
address no other test speaks from (the service trusts X-Forwarded-For from 127.0.0.1); a connection
to intake's schema; a watcher on the codes notification is asked to send and on the applications;
and the link, the form token and the change code as a borrower's browser and phone see them."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from negotiation_intake.entrypoints.bootstrap import SCHEMA
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS, NOTIFICATIONS_REQUESTS, Topic
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, sign
from tideover_testkit.console import start_intake
from tideover_testkit.fixtures import Infrastructure, Servers, isolated
from tideover_testkit.journeys import book_overdue_loans
from tideover_testkit.kafka import TopicWatcher
from tideover_testkit.processes import started_services

BOOKED_ON, CLOSED_ON = date(2027, 5, 15), date(2027, 6, 18)  # the first installment 3 days overdue
#: The business clock once CLOSED_ON is closed (journeys.day_closed: 10:00 UTC).
NOW = datetime(2027, 6, 18, 10, tzinfo=UTC)
SECRET = DEVELOPMENT_LINK_SECRET.encode()  # the harness runs TIDEOVER_ENV=development
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: The code form's hidden field naming the change it was shown for (change_codes.CHANGE_FIELD).
CHANGE = re.compile(r'name="change" value="([^"]+)"')
ALERT = re.compile(r'role="alert"[^>]*>([^<]+)<')
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
INTAKE = "negotiation_intake"


@dataclass(frozen=True)
class System:
    """Intake and the services beside it, running on `infrastructure`, and the loans they know overdue."""

    infrastructure: Infrastructure
    intake: str
    loans: dict[str, LoanBooked]
    #: The base URLs of the services started beside intake, by module name.
    urls: Mapping[str, str]

    def browser(self) -> httpx.AsyncClient:
        """A browser on intake from an address of its own, following no redirect by itself."""
        headers = {"X-Forwarded-For": client_address(), "Accept-Language": "en"}
        return httpx.AsyncClient(base_url=self.intake, headers=headers, timeout=20, follow_redirects=False)


def client_address() -> str:
    """An address of the documentation range (RFC 5737) no other test speaks from."""
    number = uuid.uuid4().int
    return f"203.0.{number % 256}.{number // 256 % 254 + 1}"


def booked(borrower_id: str) -> LoanBooked:
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=BOOKED_ON)
    return loan.model_copy(update={"borrower": loan.borrower.model_copy(update={"borrower_id": borrower_id})})


async def book_overdue(infrastructure: Infrastructure, overdue_url: str, loans: list[LoanBooked]) -> None:
    """Booked, one business day closed after their first due date, and every service settled."""
    await book_overdue_loans(infrastructure, overdue_url, loans, CLOSED_ON)


@contextmanager
def started_system(servers: Servers, logs: Path, names: tuple[str, ...], loans: dict[str, LoanBooked]) -> Iterator[System]:
    """`names` (overdue-detection among them) started in order on fresh topics and a fresh
    database, intake last and told where the others' query APIs answer; `loans` booked overdue."""
    others = tuple(name for name in names if name != INTAKE)
    with (
        isolated(servers) as infrastructure,
        started_services(infrastructure.service_env(), logs, others) as running,
    ):
        running[INTAKE] = start_intake(infrastructure, logs, running)  # stopped with the others
        asyncio.run(book_overdue(infrastructure, running["overdue_detection"].url, list(loans.values())))
        urls = {name: process.url for name, process in running.items() if name != INTAKE}
        yield System(infrastructure, running[INTAKE].url, loans, urls)


@asynccontextmanager
async def connected(infrastructure: Infrastructure) -> AsyncIterator[asyncpg.Connection]:
    """A connection to intake's schema."""
    connection = await asyncpg.connect(infrastructure.database_url, server_settings={"search_path": SCHEMA})
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def watching(infrastructure: Infrastructure, *more: Topic) -> AsyncIterator[TopicWatcher]:
    """A watcher on what notification is asked to send and on the applications' events (and `more`)."""
    topics = [topic.name for topic in (NOTIFICATIONS_REQUESTS, NEGOTIATION_APPLICATIONS, *more)]
    async with TopicWatcher(infrastructure.bootstrap_servers, topics, infrastructure.topic_prefix) as watcher:
        yield watcher


def sign_link(loan: LoanBooked, borrower: str | None = None, expires_at: datetime | None = None) -> str:
    """The token of a link as notification signs it (for the loan's borrower, for 7 days, unless told)."""
    return sign(loan.loan_id, borrower or loan.borrower.borrower_id, expires_at or NOW + timedelta(days=7), SECRET)


async def opened(browser: httpx.AsyncClient, token: str) -> httpx.Response:
    """The link opened and the page it leads to (the redirect followed, the cookie kept)."""
    entry = await browser.get(f"/b/{token}")
    assert entry.status_code == 303, entry.text
    return await browser.get(entry.headers["location"])


def csrf_of(page: httpx.Response) -> str:
    """The form token the page carries."""
    found = CSRF.search(page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


async def code_entered(browser: httpx.AsyncClient, section: str, code: str) -> httpx.Response:
    """`code` sent with the code form of the section at `section` (/b/help, …) as the page shows
    it: its token, and the change it was shown for when the page names one."""
    page = await browser.get(section)
    form = {"csrf": csrf_of(page), "code": code}
    change = CHANGE.search(page.text)
    if change is not None:
        form["change"] = change.group(1)
    return await browser.post(f"{section}/code", data=form)


def code_in(body: str) -> str:
    """The six-digit code a NotificationRequested's body carries."""
    found = CODE.search(body)
    assert found is not None, body
    return found.group(1)


async def code_sent(watcher: TopicWatcher, loan: LoanBooked) -> tuple[str, Any]:
    """The change code notification was asked to send for the loan, and its request."""
    ours = lambda event: event.loan_id == loan.loan_id and event.purpose == "change_code"  # noqa: E731
    request = await watcher.wait_for_event("NotificationRequested", ours)
    return code_in(request.body), request


def other(code: str) -> str:
    """A wrong code: the next one, six digits still."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
