"""Hardship evidence: what may be uploaded, and which reasons need proof (policy)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason

#: PDF, JPEG or PNG, decided by the content (its magic numbers), never by the file's name.
MEDIA_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_BYTES = 10 * 1024 * 1024

#: A reason that needs proof needs at least one verified document of one of these kinds before
#: the application is submitted. A family emergency and "other" are the agent's judgement.
PROOF_FOR: dict[HardshipReason, frozenset[EvidenceKind]] = {
    HardshipReason.UNEMPLOYMENT: frozenset({EvidenceKind.UNEMPLOYMENT_PROOF, EvidenceKind.INCOME_PROOF}),
    HardshipReason.ILLNESS: frozenset({EvidenceKind.MEDICAL_RECORD}),
    HardshipReason.INCOME_REDUCTION: frozenset({EvidenceKind.INCOME_PROOF}),
    HardshipReason.DISASTER: frozenset({EvidenceKind.DISASTER_PROOF}),
}


#: The rules an upload is refused by (the problem's `rule`).
TYPE_AND_SIZE = "evidence_type_and_size"  # empty, larger than MAX_BYTES, not a PDF, JPEG or PNG by its content
MALFORMED = "evidence_malformed"  # does not parse as the type its first bytes claim, or hides markup a browser would run
TRAILING_DATA = "evidence_trailing_data"  # bytes after the document's end: another file appended (a ZIP, a script)
ACTIVE_CONTENT = "evidence_active_content"  # a PDF with JavaScript, actions that launch or submit, embedded files
ENCRYPTED = "evidence_encrypted"  # a PDF that cannot be inspected without its password
IMAGE_DIMENSIONS = "evidence_image_dimensions"  # more pixels than a page scan or a phone photo has

#: Characters a display name loses: controls (NUL, escapes, new lines), format characters
#: (the bidi overrides that make `invoice\u202efdp.exe` read `invoiceexe.pdf`, zero-width
#: joiners), surrogates, and line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
MAX_NAME_CHARACTERS = 255


class UnacceptableDocumentError(ValueError):
    """An upload that is refused; `status` is the HTTP status that says why, `rule` the rule."""

    def __init__(self, message: str, status: int = 422, rule: str = TYPE_AND_SIZE) -> None:
        super().__init__(message)
        self.status = status
        self.rule = rule


def display_name(filename: str) -> str:
    """The name a document is kept and shown by: the last part of the name as uploaded (no
    directories), without hidden characters or surrounding dots and spaces, at most 255
    characters; `document` when nothing is left. Its type is never taken from it."""
    visible = "".join(ch for ch in unicodedata.normalize("NFC", filename) if unicodedata.category(ch) not in _HIDDEN_CATEGORIES)
    last_part = re.split(r"[\\/]", visible)[-1]
    name = " ".join(last_part.split()).strip(". ")
    return name[:MAX_NAME_CHARACTERS] or "document"


@dataclass(frozen=True)
class CheckedDocument:
    """A document fit to keep: its type, and the content to store (a PDF as uploaded, an image
    re-encoded). Checked by parsing it (adapters/evidence_content.py)."""

    media_type: str
    content: bytes
