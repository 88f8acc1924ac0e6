"""Evidence of the hardship: documents added to a draft application and reviewed by an agent."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import replace

from negotiation_intake.application.applications import update
from negotiation_intake.application.errors import ConflictError, NotFoundError, RuleError
from negotiation_intake.application.ports import Agent, DocumentCheck, IntakeStore
from negotiation_intake.domain.application import Application, Document
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import display_name
from negotiation_intake.domain.statuses import DocumentStatus
from tideover_contracts.events.negotiation import EvidenceKind
from tideover_runtime.clock import Clock


async def upload_evidence(
    store: IntakeStore,
    clock: Clock,
    application: Application,
    kind: EvidenceKind,
    filename: str,
    content: bytes,
    agent: Agent,
    check: DocumentCheck,
) -> Document:
    """Add a document to a draft application; its type is decided by parsing its content with
    `check` (an image is kept re-encoded), its name is kept without directories or hidden
    characters."""
    if application.state is not State.DRAFT:
        raise ConflictError(f"evidence is added before submission; the application is {application.state.value}")
    if "\x00" in filename:
        raise RuleError("file_name", "the file's name holds a NUL character; rename the file and upload it again", "file")
    checked = await asyncio.to_thread(check, content)  # parsing takes up to a second: off the event loop
    document = Document(
        document_id=uuid.uuid4(),
        application_id=application.application_id,
        kind=kind.value,
        filename=display_name(filename),
        media_type=checked.media_type,
        size_bytes=len(checked.content),
        sha256=hashlib.sha256(checked.content).hexdigest(),
        uploaded_by=agent.agent_id,
        uploaded_at=clock.now(),
        status=DocumentStatus.PENDING,
        review_note=None,
        reviewed_by=None,
        reviewed_at=None,
    )
    await store.add_document(document, checked.content)
    await update(store, application, updated_at=document.uploaded_at)
    return document


async def review_evidence(
    store: IntakeStore, clock: Clock, application: Application, document_id: uuid.UUID, verified: bool, note: str, agent: Agent
) -> Document:
    document = await store.document(document_id, for_update=True)
    if document is None or document.application_id != application.application_id:
        raise NotFoundError(f"application {application.application_id} has no document {document_id}")
    if application.state is not State.DRAFT:
        raise ConflictError(f"evidence is reviewed before submission; the application is {application.state.value}")
    now = clock.now()
    status = DocumentStatus.VERIFIED if verified else DocumentStatus.REJECTED
    await store.review_document(document_id, status, note, agent.agent_id, now)
    await update(store, application, updated_at=now)
    return replace(document, status=status, review_note=note, reviewed_by=agent.agent_id, reviewed_at=now)
