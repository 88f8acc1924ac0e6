"""What a document must be to be kept: parsed as the type its first bytes claim, not only
sniffed (issue 17, L4). A PDF is read with pypdf and refused when encrypted or carrying active
content; an image is decoded with Pillow and re-encoded, so what is kept is its pixels alone (no
metadata, nothing appended). Whatever ends before the end of the file is refused: a PNG or a
JPEG followed by a ZIP is two files in one."""

from __future__ import annotations

import io
import re
import zlib

import filetype
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from negotiation_intake.domain.evidence import (
    ACTIVE_CONTENT,
    ENCRYPTED,
    IMAGE_DIMENSIONS,
    MALFORMED,
    MAX_BYTES,
    MEDIA_TYPES,
    TRAILING_DATA,
    CheckedDocument,
    UnacceptableDocumentError,
)

#: What a proof needs, and no more: a phone camera's photo is 12 megapixels by default (4032 ×
#: 3024), an iPhone 15's or 16's 24 (5712 × 4284 = 24.5 million), a 300-dpi A4 scan 8.7 million.
#: The 48- and 50-megapixel modes some phones offer are chosen on purpose, and their JPEGs rarely fit
#: in MAX_BYTES anyway. More is refused before it is decoded (an image of a few KB may declare
#: billions of pixels); 25 million pixels decode to 75 MB (RGB), so that the borrower's page's
#: concurrent checks (borrower_page/state.py DOCUMENT_CHECKS) stay within the pod's memory.
MAX_PIXELS = 25_000_000
#: Objects looked at in a PDF: a scanned document has hundreds; far more is refused unread.
MAX_PDF_OBJECTS = 200_000
#: What a browser sniffs to decide a document is HTML (the WHATWG sniffing window is 1445 bytes).
SNIFFED_BYTES = 1445
_MARKUP = re.compile(rb"<\s*(?:html|script|body|head|iframe|svg|!doctype|object|embed)\b", re.IGNORECASE)
#: After the header only comment lines and white space come before the first object (each
#: comment ends at its first line break, so the pattern matches one way only, in linear time).
_PDF_START = re.compile(rb"%PDF-\d\.\d[^\r\n]{0,32}[\r\n](?:[ \t\r\n\f\x00]|%[^\r\n]*[\r\n])*\d+[ \t\r\n]+\d+[ \t\r\n]+obj\b")
#: Where the first object must have begun.
PDF_START_BYTES = 64 * 1024
#: After the last %%EOF, white space (and the NUL padding some scanners add) at most.
_PDF_PADDING = b" \t\r\n\f\x00"
#: Names that make a PDF run something: scripts, launching programs, submitting or importing
#: data, embedded files and multimedia, XFA forms (each a way in for malware, none needed in proof).
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA", "/Launch"})
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/GoToE", "/Rendition"})
#: The EXIF tag that says how a photo is turned.
_ORIENTATION = 0x0112
#: JPEG markers without a length: TEM and the restart markers RST0–RST7.
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


def checked_document(content: bytes) -> CheckedDocument:
    """The document to keep from an upload, or UnacceptableDocumentError naming the rule it breaks."""
    media_type = media_type_of(content)
    if media_type == "application/pdf":
        _check_pdf(content)
        return CheckedDocument(media_type, content)
    reencoded = _reencoded_image(content, media_type)
    if len(reencoded) > MAX_BYTES:
        raise UnacceptableDocumentError(f"the image is larger than {MAX_BYTES} bytes once re-encoded", 413)
    return CheckedDocument(media_type, reencoded)


def media_type_of(content: bytes) -> str:
    """The document's type from its content; refuses what is empty, too large or not allowed."""
    if not content:
        raise UnacceptableDocumentError("the document is empty")
    if len(content) > MAX_BYTES:
        raise UnacceptableDocumentError(f"the document is larger than 10 MB ({MAX_BYTES} bytes), the most accepted", 413)
    kind = filetype.guess(content)
    media_type: str | None = kind.mime if kind else None
    if media_type not in MEDIA_TYPES:
        found = f"its content is {media_type}" if media_type else "its content is not a known file type"
        raise UnacceptableDocumentError(f"only PDF, JPEG or PNG documents are accepted; {found}", 415)
    assert media_type is not None
    return media_type


def _check_pdf(content: bytes) -> None:
    if _MARKUP.search(content[:SNIFFED_BYTES]) or not _PDF_START.match(content[:PDF_START_BYTES]):
        raise UnacceptableDocumentError(
            "the PDF has something other than PDF objects after its header (a browser may read it as a web page)",
            rule=MALFORMED,
        )
    if not content.rstrip(_PDF_PADDING).endswith(b"%%EOF"):
        raise UnacceptableDocumentError("the PDF has data after its end (%%EOF): another file appended", rule=TRAILING_DATA)
    try:
        encrypted, active, pages = _inspected(content)
    except UnacceptableDocumentError:
        raise
    except Exception as error:  # pypdf raises many kinds on a broken file, all of them a refusal
        raise UnacceptableDocumentError(f"the PDF cannot be read ({type(error).__name__})", rule=MALFORMED) from None
    if encrypted:
        raise UnacceptableDocumentError("the PDF is encrypted: it cannot be checked; upload it unlocked", rule=ENCRYPTED)
    if active:
        raise UnacceptableDocumentError(f"the PDF carries active content ({active}); print it to a new PDF", rule=ACTIVE_CONTENT)
    if pages == 0:
        raise UnacceptableDocumentError("the PDF has no pages", rule=MALFORMED)


def _inspected(content: bytes) -> tuple[bool, str | None, int]:
    """Whether the PDF is encrypted (then nothing more is read), its active content, its pages."""
    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        return True, None, 0
    return False, _active_content(reader.trailer), len(reader.pages)


def _active_content(trailer: DictionaryObject) -> str | None:
    """The first name in the objects reachable from the trailer that makes the PDF run something
    (names are read decoded: `/J#61vaScript` is `/JavaScript`), or None."""
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject | None] = [trailer]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            if len(seen) > MAX_PDF_OBJECTS:
                raise UnacceptableDocumentError(f"the PDF has more than {MAX_PDF_OBJECTS} objects", rule=MALFORMED)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            if found := next((str(key) for key in node if key in _ACTIVE_KEYS), None):
                return found
            action = dict.get(node, "/S")
            if isinstance(action, IndirectObject):
                action = action.get_object()
            if isinstance(action, str) and action in _ACTIVE_ACTIONS:
                return action
            stack.extend(dict.values(node))
        elif isinstance(node, ArrayObject):
            stack.extend(list.__iter__(node))
    return None


def _reencoded_image(content: bytes, media_type: str) -> bytes:
    end = _png_end(content) if media_type == "image/png" else _jpeg_end(content)
    if end < len(content):
        raise UnacceptableDocumentError(
            f"the image has {len(content) - end} bytes after its end: another file appended", rule=TRAILING_DATA
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            _check_dimensions(image)
            image.load()
            return _encoded(image, media_type)
    except UnacceptableDocumentError:
        raise
    except Image.DecompressionBombError:
        raise UnacceptableDocumentError(f"the image has more than {MAX_PIXELS} pixels", rule=IMAGE_DIMENSIONS) from None
    except Exception as error:  # Pillow raises many kinds on a broken file, all of them a refusal
        raise UnacceptableDocumentError(f"the image cannot be decoded ({type(error).__name__})", rule=MALFORMED) from None


def _check_dimensions(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise UnacceptableDocumentError(
            f"the image has {image.width} × {image.height} pixels, more than {MAX_PIXELS}", rule=IMAGE_DIMENSIONS
        )


def _encoded(image: Image.Image, media_type: str) -> bytes:
    """The pixels alone, in the same format: EXIF (a phone photo's location), text chunks and ICC
    profiles are left behind. A photo its EXIF says to turn is turned upright first; one that
    needs no turning keeps its quantization tables (no second loss of quality)."""
    out = io.BytesIO()
    if media_type == "image/png":
        image.save(out, "PNG")
    elif image.getexif().get(_ORIENTATION, 1) == 1 and image.mode in {"L", "RGB"}:
        image.save(out, "JPEG", quality="keep", subsampling="keep")
    else:
        ImageOps.exif_transpose(image).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _png_end(content: bytes) -> int:
    """Where the PNG ends: just after its IEND chunk (each chunk's CRC checked on the way)."""
    position = 8  # the signature, checked by media_type_of
    while position + 12 <= len(content):
        length, kind = int.from_bytes(content[position : position + 4], "big"), content[position + 4 : position + 8]
        data_end = position + 8 + length
        if data_end + 4 > len(content):
            break
        if zlib.crc32(content[position + 4 : data_end]) != int.from_bytes(content[data_end : data_end + 4], "big"):
            raise UnacceptableDocumentError(f"the PNG's {kind!r} chunk is damaged", rule=MALFORMED)
        position = data_end + 4
        if kind == b"IEND":
            return position
    raise UnacceptableDocumentError("the PNG ends before its IEND chunk", rule=MALFORMED)


def _jpeg_end(content: bytes) -> int:
    """Where the JPEG ends: just after its EOI marker, found by walking its segments and the
    entropy-coded data of its scans (where 0xFF is followed by 0x00, a restart marker or fill)."""
    position, in_scan = 2, False  # after SOI, checked by media_type_of
    while position + 1 < len(content):
        if content[position] != 0xFF:
            if not in_scan:
                raise UnacceptableDocumentError("the JPEG has data outside its segments", rule=MALFORMED)
            position = content.find(b"\xff", position)
            if position < 0:
                break
            continue
        marker = content[position + 1]
        if marker == 0xFF:  # fill
            position += 1
        elif marker == 0xD9:
            return position + 2
        elif marker in _STANDALONE_MARKERS or (in_scan and marker == 0x00):
            position += 2
        elif position + 4 <= len(content) and (length := int.from_bytes(content[position + 2 : position + 4], "big")) >= 2:
            position += 2 + length
            in_scan = marker == 0xDA
        else:
            break
    raise UnacceptableDocumentError("the JPEG ends before its end-of-image marker", rule=MALFORMED)
