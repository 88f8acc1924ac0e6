"""The console's pages: sign-in, the work queue, a loan, an application with its offer, the
supervisor queue and the audit log."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from negotiation_intake.adapters import audit
from negotiation_intake.adapters.ledger import configured_ledger
from negotiation_intake.adapters.store import CURSOR_PATTERN, PostgresIntakeStore
from negotiation_intake.adapters.work_queue import QUEUE_SORTS, work_queue
from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.access import Right, refusal_to_approve
from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.application_state import State, allowed_actions
from negotiation_intake.entrypoints.bodies import application_body, document_body
from negotiation_intake.entrypoints.console.loan_summary import loan_page_context
from negotiation_intake.entrypoints.console.offer_comparison import loan_schedule, needs_loan_schedule, offer_view
from negotiation_intake.entrypoints.console.queue_view import (
    APPLICATION_STATES,
    PER_PAGE,
    STATUSES,
    in_order_shown,
    queue_filter,
    queue_lines,
)
from negotiation_intake.entrypoints.console.rendering import Console, PageError, csrf_token, page, signed_in
from negotiation_intake.entrypoints.console.supervisor_view import decision_facts
from tideover_contracts.common import Bucket
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason
from tideover_contracts.events.plans import PlanOffered, PlanOption


class Approval(StrEnum):
    """What a supervisor approves of an option beyond the agent's authority (DESIGN.md §4): the
    words of the approval step are chosen by it (`…_waiver`, `…_payment_holiday`, `…_plan`)."""

    WAIVER = "waiver"
    PAYMENT_HOLIDAY = "payment_holiday"
    PLAN = "plan"


#: How plan-calculation names a payment holiday's options (holiday-3, holiday-3-extension-6).
PAYMENT_HOLIDAY_PREFIX = "holiday-"


def approval_of(option: PlanOption | None) -> Approval:
    """What approving `option` approves: a waiver if it waives anything; a payment holiday, which
    waives nothing but needs a supervisor (DESIGN.md §4); otherwise the plan itself."""
    if option is not None and not option.waived.total.is_zero:
        return Approval.WAIVER
    if option is not None and option.option_id.startswith(PAYMENT_HOLIDAY_PREFIX):
        return Approval.PAYMENT_HOLIDAY
    return Approval.PLAN


def chosen_option(offers: Sequence[PlanOffered], application: Application) -> PlanOption | None:
    """The option the application chose, in its current (latest) offer."""
    if not offers:
        return None
    return next((option for option in offers[-1].options if option.option_id == application.option_id), None)


def add_pages(app: FastAPI, console: Console) -> None:
    @app.get("/sign-in", include_in_schema=False)
    async def sign_in_page(request: Request) -> Response:
        csrf_token(request)
        return page(request, "sign_in.html", None)

    @app.get("/", include_in_schema=False)
    async def work_queue_page(request: Request) -> Response:
        agent = await signed_in(console, request)
        params = dict(request.query_params)
        query = queue_filter(params)
        async with console.resources().pool.acquire() as connection:
            rows, total = await work_queue(connection, query)
        upstream = await console.upstream.queue([row.loan_id for row in rows])  # the connection back in the pool
        pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
        return page(
            request,
            "queue.html",
            agent,
            lines=in_order_shown(queue_lines(rows, upstream), query),
            total=total,
            query=query,
            params=params,
            pages=pages,
            buckets=[bucket.value for bucket in Bucket if bucket is not Bucket.CURRENT],
            statuses=STATUSES,
            application_states=APPLICATION_STATES,
            sorts=list(QUEUE_SORTS),
        )

    @app.get("/loans/{loan_id}", include_in_schema=False)
    async def loan_page(loan_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request)
        return await render_loan(console, request, agent, loan_id)

    @app.get("/applications/{application_id}", include_in_schema=False)
    async def application_page(application_id: uuid.UUID, request: Request) -> Response:
        agent = await signed_in(console, request)
        return await render_application(console, request, agent, application_id)

    @app.get("/supervisor", include_in_schema=False)
    async def supervisor_page(request: Request, after: Annotated[str | None, Query(max_length=60)] = None) -> Response:
        agent = await signed_in(console, request, Right.APPROVE)
        async with console.resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            queue = await store.applications(State.AWAITING_APPROVAL, PER_PAGE, _cursor(after, CURSOR_PATTERN))
            now = console.resources().clock.now()
            read = [await _read_for_decision(store, application) for application in queue.items]
        # The ledger is asked once the connection is back in the pool, for every item at once.
        items = await asyncio.gather(*(_with_chosen_option(*known, agent.agent_id, now) for known in read))
        return page(request, "supervisor.html", agent, items=items, after=queue.after, errors={})

    @app.get("/audit", include_in_schema=False)
    async def audit_page(request: Request, after: Annotated[str | None, Query(max_length=20)] = None) -> Response:
        agent = await signed_in(console, request, Right.AUDIT)
        async with console.resources().pool.acquire() as connection:
            entries = await audit.entries(connection, None, 50, _cursor(after, audit.CURSOR_PATTERN))
        return page(request, "audit.html", agent, entries=entries.items, after=entries.after)

    add_evidence_preview(app, console)


def add_evidence_preview(app: FastAPI, console: Console) -> None:
    @app.get("/applications/{application_id}/evidence/{document_id}", include_in_schema=False)
    async def evidence_content(application_id: uuid.UUID, document_id: uuid.UUID, request: Request) -> Response:
        """The document inline, for the preview (its type was decided by its content on upload)."""
        await signed_in(console, request)
        async with console.resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            document = await store.document(document_id)
            if document is None or document.application_id != application_id:
                raise PageError(404, "error_not_found")
            content = await store.document_content(document_id)
        headers = {
            "Content-Disposition": f'inline; filename="{document.document_id}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            # Shown inside the application page (<object>), so framed by the console alone; the
            # document itself may load nothing.
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        }
        return Response(content, media_type=document.media_type, headers=headers)


def _cursor(after: str | None, pattern: str) -> str | None:
    """A page cursor of the form the store reads (a 17-digit time is none): else the first page."""
    return after if after and re.fullmatch(pattern, after) else None


async def _read_for_decision(
    store: PostgresIntakeStore, application: Application
) -> tuple[Application, list[PlanOffered], LoanView | None]:
    """What intake keeps of an application awaiting approval: its offers, and its loan when an
    arrears option needs the loan's schedule."""
    offers = await store.offers(application.application_id)
    return application, offers, await store.loan(application.loan_id) if needs_loan_schedule(offers) else None


async def _with_chosen_option(
    application: Application, offers: list[PlanOffered], copy: LoanView | None, viewer_id: str, now: datetime
) -> dict[str, Any]:
    """An item of the supervisor's queue; `own` when the viewer opened it or chose its option,
    so that they may refuse it but another supervisor must approve it (four eyes)."""
    option = chosen_option(offers, application)
    schedule = await loan_schedule(application.loan_id, copy) if needs_loan_schedule(offers) else None
    later = schedule.installments if schedule is not None else None
    return {
        **application_body(application),
        "option": option.model_dump(mode="json") if option else None,
        "approval": approval_of(option),
        "own": refusal_to_approve(viewer_id, application.agent_id, application.chosen_by) is not None,
        **decision_facts(offers[-1] if offers else None, option, application, now, later),
    }


async def render_loan(
    console: Console, request: Request, agent: Any, loan_id: uuid.UUID, status: int = 200, **feedback: Any
) -> Response:
    """The loan page, with what the other services say of the loan; `feedback` carries the
    `errors` and posted `values` of a refused new application."""
    async with console.resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        loan = await loan_view(store, loan_id)
        if loan is None:
            raise PageError(404, "error_not_found")
        applications = [application_body(application) for application in await store.applications_for_loan(loan_id)]
    upstream = await console.upstream.loan(loan_id)
    return page(
        request,
        "loan.html",
        agent,
        status=status,
        loan=loan,
        snapshot=loan.snapshot,
        applications=applications,
        upstream=upstream,
        **loan_page_context(loan, applications, upstream),
        reasons=list(HardshipReason),
        errors=feedback.get("errors", {}),
        values=feedback.get("values", {}),
    )


async def loan_view(store: PostgresIntakeStore, loan_id: uuid.UUID) -> LoanView | None:
    """The loan as intake knows it; one it has not heard of (nothing overdue yet) as the ledger has
    it, so that an agent may open an early application (DESIGN.md §4) — None if neither knows it."""
    loan = await store.loan(loan_id)
    ledger = configured_ledger()
    if loan is not None or ledger is None:
        return loan
    try:
        position = await ledger.position(loan_id)
    except LedgerUnavailableError:
        return None
    if position is None:
        return None
    overdue = position.overdue.total.amount > 0
    return LoanView(loan_id, position.contact.borrower_id, overdue, position.model_dump(mode="json"), None, None)


async def render_application(
    console: Console, request: Request, agent: Any, application_id: uuid.UUID, status: int = 200, **feedback: Any
) -> Response:
    """The application page; `feedback` carries `errors` (by field) and the posted `values`
    when an action was refused."""
    async with console.resources().pool.acquire() as connection:
        store = PostgresIntakeStore(connection)
        application = await store.application(application_id)
        if application is None:
            raise PageError(404, "error_not_found")
        documents = [document_body(document) for document in await store.documents(application_id)]
        offers = await store.offers(application_id)
        copy = await store.loan(application.loan_id) if needs_loan_schedule(offers) else None
    schedule = await loan_schedule(application.loan_id, copy) if needs_loan_schedule(offers) else None
    body = application_body(application)
    return page(
        request,
        "application.html",
        agent,
        status=status,
        application=body,
        documents=documents,
        offer=offer_view(offers[-1], body, schedule) if offers else None,
        kinds=list(EvidenceKind),
        approval=approval_of(chosen_option(offers, application)),
        errors=feedback.get("errors", {}),
        values=feedback.get("values", {}),
        waiting=application.state in (State.SUBMITTED, State.ACCEPTED),
        allowed=[action.value for action in allowed_actions(application.state)],
    )
