"""Hardship evidence: what may be uploaded, and which reasons need proof (policy)."""

from __future__ import annotations

import filetype

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


class UnacceptableDocumentError(ValueError):
    """An upload that is refused; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


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
