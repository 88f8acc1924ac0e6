"""Bad uploads are refused with a clear error naming the rule, and store nothing; a document is
typed by parsing its content, never by its name, and kept under a name without directories or
hidden characters (issue 17, L4)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest
from PIL import Image

from negotiation_intake.domain.access import Role
from negotiation_intake.domain.evidence import MAX_BYTES
from tideover_testkit.journeys import PROOF_PDF, hardship_application, pdf_document

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def png(exif: dict[int, Any] | None = None) -> bytes:
    out = io.BytesIO()
    tags = Image.Exif()
    tags.update(exif or {})
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "PNG", exif=tags.tobytes())
    return out.getvalue()


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("invoice.exe", b"MZ\x90\x00")
    return out.getvalue()


def with_catalog(entries: bytes, *more: bytes) -> bytes:
    pages = (b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>")
    return pdf_document(b"<</Type/Catalog/Pages 2 0 R" + entries + b">>", *pages, *more)


# (what, the content sent as proof.pdf, the status, the rule, words of the detail)
REFUSED = [
    ("a text file", b"I am a text file pretending to be a PDF", 415, "evidence_type_and_size", "not a known file type"),
    ("an executable", b"MZ\x90\x00" + b"\0" * 64, 415, "evidence_type_and_size", "only PDF, JPEG or PNG"),
    ("nothing", b"", 422, "evidence_type_and_size", "empty"),
    ("more than 10 MB", PROOF_PDF + b"\0" * MAX_BYTES, 413, "evidence_type_and_size", "larger than 10 MB"),
    (
        "a web page after the PDF header",
        PROOF_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n<html><script>alert(1)</script>\n"),
        422,
        "evidence_malformed",
        "a browser may read it as a web page",
    ),
    ("a PNG's signature and nothing of a PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, 422, "evidence_malformed", "PNG"),
    (
        "JavaScript run on opening",
        with_catalog(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
        422,
        "evidence_active_content",
        "/JS",
    ),
    (
        "a program launched on opening",
        with_catalog(b"/OpenAction 4 0 R", b"<</S/Launch/F(cmd.exe)>>"),
        422,
        "evidence_active_content",
        "/Launch",
    ),
    (
        "an embedded file",
        with_catalog(b"/Names<</EmbeddedFiles 4 0 R>>", b"<</Names[]>>"),
        422,
        "evidence_active_content",
        "/EmbeddedFiles",
    ),
    ("a PNG with a ZIP appended", png() + a_zip(), 422, "evidence_trailing_data", "another file appended"),
    ("a PDF with a ZIP appended", PROOF_PDF + a_zip(), 422, "evidence_trailing_data", "another file appended"),
]


@pytest.mark.parametrize(("what", "content", "status", "rule", "words"), REFUSED, ids=[what for what, *_ in REFUSED])
async def test_a_bad_upload_is_refused_naming_the_rule_and_nothing_is_stored(
    intake: str, keys: dict[Role, str], overdue_loan: Any, what: str, content: bytes, status: int, rule: str, words: str
) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        application = (await http.post("/v1/applications", json=hardship_application(loan_id))).json()
        path = f"/v1/applications/{application['application_id']}"

        refused = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": ("proof.pdf", content, "application/pdf")}
        )

        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.json()["rule"], refused.json()["errors"][0]["field"]) == (rule, "file")
        assert words in refused.json()["detail"]
        assert (await http.get(path)).json()["evidence"] == []


async def test_the_type_is_decided_by_content_not_by_name(intake: str, keys: dict[Role, str], overdue_loan: Any) -> None:
    photo = png({0x8825: {2: (31.0, 14.0, 2.5)}})  # with a GPS latitude
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        application = (await http.post("/v1/applications", json=hardship_application(loan_id))).json()
        path = f"/v1/applications/{application['application_id']}"

        stored = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": ("payslip.pdf", photo, "application/pdf")}
        )

        assert stored.status_code == 201, stored.text
        assert stored.json()["media_type"] == "image/png"
        download = await http.get(f"{path}/evidence/{stored.json()['document_id']}/content")
        assert download.headers["content-type"] == "image/png"
        kept = Image.open(io.BytesIO(download.content))
        assert (kept.format, kept.size, dict(kept.getexif())) == ("PNG", (64, 48), {})  # re-encoded: the pixels alone
        assert stored.json()["size_bytes"] == len(download.content)


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf" with the right-to-left override
        ("../../../etc/cron.d/payslip.pdf", "payslip.pdf"),
        ("C:\\Users\\li\\Desktop\\payslip.pdf", "payslip.pdf"),
        ("\u2067\u200b", "document"),
    ],
)
async def test_a_name_is_kept_without_directories_or_hidden_characters(
    intake: str, keys: dict[Role, str], overdue_loan: Any, uploaded: str, kept: str
) -> None:
    async with httpx.AsyncClient(base_url=intake, headers={"X-API-Key": keys[Role.AGENT]}, timeout=30) as http:
        loan_id = await overdue_loan()
        application = (await http.post("/v1/applications", json=hardship_application(loan_id))).json()
        path = f"/v1/applications/{application['application_id']}"

        stored = await http.post(
            f"{path}/evidence", data={"kind": "income_proof"}, files={"file": (uploaded, PROOF_PDF, "application/pdf")}
        )

        assert stored.status_code == 201, stored.text
        assert stored.json()["filename"] == kept
        assert [document["filename"] for document in (await http.get(path)).json()["evidence"]] == [kept]
