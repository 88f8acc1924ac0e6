"""What journeys through the running services share: the topics to watch and the agent's
hardship application (used by the end-to-end tests and the demo)."""

from __future__ import annotations

import uuid
from typing import Any

from tideover_contracts.topics import GATEWAYS, SCHEDULER, TOPICS, UPSTREAM

#: Every topic our services publish (not the upstream, clock or gateway ones).
SERVICE_OUTPUT_TOPICS = tuple(topic.name for topic in TOPICS if topic.producer not in (UPSTREAM, SCHEDULER, GATEWAYS))


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


#: The smallest well-formed PDF: a stand-in for a scanned unemployment certificate.
PROOF_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


async def file_application(http: Any, loan_id: uuid.UUID, description: str = "Laid off in January") -> dict[str, Any]:
    """What an agent does on the intake API (`http`: an httpx client carrying the agent's key):
    open the application, upload the proof, verify it, submit. Returns the submitted application."""
    created = await http.post(
        "/v1/applications", json=hardship_application(loan_id, description), headers={"Idempotency-Key": f"open-{loan_id}"}
    )
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
