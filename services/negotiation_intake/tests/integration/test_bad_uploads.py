"""Bad uploads are refused with a clear error and store nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.domain.evidence import MAX_BYTES
from tideover_runtime.testing.journeys import PROOF_PDF, hardship_application

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.mark.parametrize(
    ("filename", "content", "status", "words"),
    [
        ("proof.pdf", b"I am a text file pretending to be a PDF", 415, "not a known file type"),
        ("proof.pdf", b"MZ\x90\x00" + b"\0" * 64, 415, "only PDF, JPEG or PNG"),  # an executable named .pdf
        ("proof.pdf", b"", 422, "empty"),
        ("proof.pdf", PROOF_PDF + b"\0" * MAX_BYTES, 413, "larger than 10 MB"),
    ],
)
async def test_a_bad_upload_is_refused_and_nothing_is_stored(
    intake: str, keys: dict[Role, str], overdue_loan: Any, filename: str, content: bytes, status: int, words: str
) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        application = (await http.post("/v1/applications", json=hardship_application(loan_id))).json()
        path = f"/v1/applications/{application['application_id']}"

        refused = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": (filename, content, "application/pdf")}
        )

        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert words in refused.json()["detail"]
        assert (await http.get(path)).json()["evidence"] == []


async def test_the_type_is_decided_by_content_not_by_name(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        application = (await http.post("/v1/applications", json=hardship_application(loan_id))).json()
        path = f"/v1/applications/{application['application_id']}"

        stored = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": ("payslip.pdf", PNG, "application/pdf")}
        )

        assert stored.status_code == 201, stored.text
        assert stored.json()["media_type"] == "image/png"
        download = await http.get(f"{path}/evidence/{stored.json()['document_id']}/content")
        assert (download.content, download.headers["content-type"]) == (PNG, "image/png")
