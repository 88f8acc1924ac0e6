"""What journeys through the running services share: the topics to watch, a loan made overdue
and the agent's hardship application (used by the end-to-end tests and the demo)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from tideover_contracts.envelope import Envelope, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.topics import GATEWAYS, OVERDUE_STATUS, SCHEDULER, TOPICS, UPSTREAM
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import wait_until_ok
from tideover_testkit.settle import settled

if TYPE_CHECKING:  # not at run time: the fixtures module needs pytest, the demo does not
    from tideover_testkit.fixtures import Infrastructure

#: Every topic our services publish (not the upstream, clock or gateway ones), in its current
#: version (a topic kept for old readers repeats its successor).
SERVICE_OUTPUT_TOPICS = tuple(
    topic.name for topic in TOPICS if topic.producer not in (UPSTREAM, SCHEDULER, GATEWAYS) and topic.superseded_by is None
)


def day_closed(day: date) -> Envelope[BusinessDayClosed]:
    """The scheduler closing business day `day` at 10:00 UTC (18:00 in Beijing)."""
    event = BusinessDayClosed(business_date=day, closed_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
    return wrap(event, producer="scheduler", occurred_at=datetime.now(UTC))


async def book_overdue_loans(infrastructure: Infrastructure, overdue_url: str, loans: list[LoanBooked], closed_on: date) -> None:
    """Book `loans` as the upstream loan system would, close `closed_on` (a day after one of their
    due dates) and wait until each is overdue and every service has settled."""
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, [OVERDUE_STATUS.name], infrastructure.topic_prefix) as watcher,
    ):
        for loan in loans:
            await kafka.publish(wrap(loan, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
        for loan in loans:
            await wait_until_ok(f"{overdue_url}/v1/loans/{loan.loan_id}/overdue-status")
        await settled(infrastructure)
        await kafka.publish(day_closed(closed_on))
        ids = {loan.loan_id for loan in loans}
        await watcher.wait_for(lambda _: ids <= {event.loan_id for event in watcher.events("LoanBecameOverdue")})
        await settled(infrastructure)


async def book_overdue_loan(
    infrastructure: Infrastructure,
    kafka: KafkaTestClient,
    watcher: TopicWatcher,
    overdue_url: str,
    loan: LoanBooked,
    closed_on: date,
) -> LoanBecameOverdue:
    """Book `loan` as the upstream loan system would, close `closed_on` (a day after one of its
    due dates) and wait until every service has taken in that it is overdue — plan calculation
    too, before intake asks it for plans. Returns the LoanBecameOverdue."""
    await kafka.publish(wrap(loan, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
    await wait_until_ok(f"{overdue_url}/v1/loans/{loan.loan_id}/overdue-status")
    # Every service has the booking (notification its contact) before the close, on another topic.
    await settled(infrastructure)
    await kafka.publish(day_closed(closed_on))
    overdue: LoanBecameOverdue = await watcher.wait_for_event("LoanBecameOverdue", lambda event: event.loan_id == loan.loan_id)
    await settled(infrastructure)
    return overdue


def hardship_application(loan_id: uuid.UUID, description: str = "Laid off in January") -> dict[str, Any]:
    """The body of POST /v1/applications: an unemployed borrower, CNY 4,000 income, 2,000 essentials
    (the proof is uploaded and verified before submission)."""
    return {
        "loan_id": str(loan_id),
        "hardship": {
            "reason": "unemployment",
            "description": description,
            "monthly_income": {"amount": "4000.00", "currency": "CNY"},
            "essential_expenses": {"amount": "2000.00", "currency": "CNY"},
        },
        "requested_options": ["arrears_installments"],
    }


def pdf_document(*objects: bytes) -> bytes:
    """A well-formed PDF of `objects` (numbered from 1; the first is the catalog), with the
    cross-reference table and trailer a reader looks for."""
    content, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(content))
        content += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    size = len(objects) + 1
    return content + b"xref\n0 %d\n0000000000 65535 f \n%strailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        table,
        size,
        len(content),
    )


#: The smallest well-formed PDF, one blank page: a stand-in for a scanned unemployment certificate.
PROOF_PDF = pdf_document(
    b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>"
)


async def file_application(
    http: Any, loan_id: uuid.UUID, description: str = "Laid off in January", body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What an agent does on the intake API (`http`: an httpx client carrying the agent's key):
    open the application (`body`, or the default hardship), upload the unemployment proof, verify
    it, submit. Returns the submitted application."""
    application = body if body is not None else hardship_application(loan_id, description)
    created = await http.post("/v1/applications", json=application, headers={"Idempotency-Key": f"open-{loan_id}"})
    assert created.status_code == 201, created.text
    path = f"/v1/applications/{created.json()['application_id']}"
    uploaded = await http.post(
        f"{path}/evidence",
        data={"kind": "unemployment_proof"},
        files={"file": ("certificate.pdf", PROOF_PDF, "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    reviewed = await http.post(
        f"{path}/evidence/{uploaded.json()['document_id']}/review",
        json={"verified": True, "note": "Unemployment certificate from the local labour bureau"},
    )
    assert reviewed.status_code == 200, reviewed.text
    submitted = await http.post(f"{path}/submit")
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())
