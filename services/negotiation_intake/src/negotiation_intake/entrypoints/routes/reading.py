"""Reading routes: a loan with its applications, the applications a page at a time, one
application with its evidence and offers, and a document's content."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.bodies import application_body, document_body, etag
from negotiation_intake.entrypoints.routes.common import ERRORS, ApplicationsAfter, Intake, Limit, Reader, applications_page
from tideover_runtime.http import problem

router = APIRouter(responses=ERRORS)


async def _offers(store: PostgresIntakeStore, application_id: uuid.UUID) -> list[dict[str, Any]]:
    """The agents' API answers with each option's schedule as lines of Money, as it always did:
    only the topic between services carries them compactly (plans.offers.v2)."""
    return [
        {
            **offer.model_dump(mode="json", exclude={"offered_options"}),
            "options": [option.model_dump(mode="json") for option in offer.options],
        }
        for offer in await store.offers(application_id)
    ]


@router.get("/v1/loans/{loan_id}", tags=["loans"])
async def loan_view(loan_id: uuid.UUID, _: Reader, resources: Intake) -> JSONResponse:
    """The loan's overdue status, its applications with their offers, and its plan."""
    async with resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        loan = await store.loan(loan_id)
        if loan is None:
            return problem(404, "Not found", f"no loan {loan_id} is known to intake")
        applications = [
            {**application_body(application), "offers": await _offers(store, application.application_id)}
            for application in await store.applications_for_loan(loan_id)
        ]
    return JSONResponse(
        {
            "loan_id": str(loan_id),
            "overdue": loan.overdue,
            "status": loan.snapshot,
            "plan": {"plan_id": str(loan.plan_id), "status": loan.plan_status} if loan.plan_id else None,
            "applications": applications,
        }
    )


@router.get("/v1/applications", tags=["applications"])
async def list_applications(
    _: Reader, resources: Intake, state: State | None = None, limit: Limit = 50, after: ApplicationsAfter = None
) -> Response:
    """Applications, oldest first, a page at a time."""
    return await applications_page(resources, state, limit, after)


@router.get("/v1/applications/{application_id}", tags=["applications"])
async def get_application(application_id: uuid.UUID, _: Reader, resources: Intake) -> Response:
    """The application, its evidence and its offers (or the reasons no plan could be offered)."""
    async with resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        application = await store.application(application_id)
        if application is None:
            return problem(404, "Not found", f"no application {application_id}")
        body = {
            **application_body(application),
            "evidence": [document_body(document) for document in await store.documents(application_id)],
            "offers": await _offers(store, application_id),
        }
    return JSONResponse(body, headers={"ETag": etag(application)})


@router.get("/v1/applications/{application_id}/evidence/{document_id}/content", tags=["evidence"])
async def download_evidence(application_id: uuid.UUID, document_id: uuid.UUID, _: Reader, resources: Intake) -> Response:
    async with resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        document = await store.document(document_id)
        if document is None or document.application_id != application_id:
            return problem(404, "Not found", f"application {application_id} has no document {document_id}")
        content = await store.document_content(document_id)
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.document_id}"',
            "X-Content-SHA256": document.sha256,
        },
    )
