"""Evidence added to a draft and reviewed (application/evidence.py) on the fakes: what is kept of
a document, and each refusal."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.application import evidence
from negotiation_intake.application.errors import ConflictError, NotFoundError, RuleError
from negotiation_intake.domain.application import Application, Document
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import TYPE_AND_SIZE, UnacceptableDocumentError
from tideover_contracts.events.negotiation import EvidenceKind
from tideover_testkit.journeys import PROOF_PDF

from .intake_world import AGENT, AT, OTHER_AGENT, World


@pytest.fixture
def world() -> World:
    return World()


async def upload(world: World, application: Application, filename: str = "a.pdf", content: bytes = PROOF_PDF) -> Document:
    return await evidence.upload_evidence(
        world.store, world.clock, application, EvidenceKind.INCOME_PROOF, filename, content, AGENT, checked_document
    )


async def test_a_document_is_kept_by_its_content_under_a_clean_name(world: World) -> None:
    draft = await world.draft()
    world.later(minutes=5)
    document = await upload(world, draft, "C:\\scans\\pay\u202eslip.pdf")
    assert await world.store.document(document.document_id) == document
    assert await world.store.document_content(document.document_id) == PROOF_PDF
    assert (document.filename, document.media_type, document.kind) == ("payslip.pdf", "application/pdf", "income_proof")
    assert (document.size_bytes, document.sha256) == (len(PROOF_PDF), hashlib.sha256(PROOF_PDF).hexdigest())
    assert (document.status, document.uploaded_by, document.uploaded_at) == ("pending", "agent-a", world.clock.now())
    application = await world.current(draft)
    assert (application.updated_at, application.version) == (world.clock.now(), 2)


async def test_a_document_is_refused_by_its_content(world: World) -> None:
    draft = await world.draft()
    with pytest.raises(UnacceptableDocumentError) as refused:
        await upload(world, draft, content=b"MZ\x90")
    assert (refused.value.status, refused.value.rule) == (415, TYPE_AND_SIZE)
    assert world.store.documents_by_id == {}


async def test_a_name_with_a_nul_character_is_refused(world: World) -> None:
    draft = await world.draft()
    with pytest.raises(RuleError) as refused:
        await upload(world, draft, "a\x00.pdf")
    assert (refused.value.rule, refused.value.field) == ("file_name", "file")


async def test_evidence_is_added_before_submission_only(world: World) -> None:
    submitted = await world.submitted()
    with pytest.raises(ConflictError, match="submitted"):
        await upload(world, submitted)


@pytest.mark.parametrize(("verified", "status"), [(True, "verified"), (False, "rejected")])
async def test_a_review_is_kept_with_its_note_and_reviewer(world: World, verified: bool, status: str) -> None:
    draft = await world.draft()
    document_id = await world.upload(draft)
    world.later(hours=1)
    reviewed = await evidence.review_evidence(
        world.store, world.clock, await world.current(draft), document_id, verified, "looked at it", OTHER_AGENT
    )
    assert await world.store.document(document_id) == reviewed
    assert (reviewed.status, reviewed.review_note, reviewed.reviewed_by) == (status, "looked at it", "agent-b")
    assert (reviewed.reviewed_at, reviewed.uploaded_at) == (world.clock.now(), AT)
    assert (await world.current(draft)).updated_at == world.clock.now()


async def test_a_document_of_another_application_or_none_is_not_found(world: World) -> None:
    draft, other = await world.draft(), await world.draft()
    theirs = await world.upload(other)
    for document_id in (theirs, uuid.uuid4()):
        with pytest.raises(NotFoundError):
            await evidence.review_evidence(world.store, world.clock, draft, document_id, True, "", AGENT)
    assert (await world.store.document(theirs)).status == "pending"  # type: ignore[union-attr]


async def test_evidence_is_reviewed_before_submission_only(world: World) -> None:
    draft = await world.draft()
    document_id = await world.upload(draft)
    await world.store.update_application(draft.application_id, state=State.SUBMITTED)
    with pytest.raises(ConflictError, match="reviewed before submission"):
        await evidence.review_evidence(world.store, world.clock, await world.current(draft), document_id, True, "", AGENT)
