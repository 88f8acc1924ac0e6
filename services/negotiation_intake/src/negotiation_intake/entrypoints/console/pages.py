"""The console's pages: sign-in, the work queue, a loan, an application with its offer, the
supervisor queue and the audit log."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from negotiation_intake.adapters import audit
from negotiation_intake.adapters.ledger import configured_ledger
from negotiation_intake.adapters.store import CURSOR_PATTERN, PostgresIntakeStore
from negotiation_intake.adapters.work_queue import QUEUE_SORTS, QueueFilter, work_queue
from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.access import Right, refusal_to_approve
from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.application_state import State, allowed_actions
from negotiation_intake.entrypoints.bodies import application_body, document_body
from negotiation_intake.entrypoints.console.charts import schedule_bars
from negotiation_intake.entrypoints.console.rendering import Console, PageError, csrf_token, page, signed_in
from tideover_contracts.common import Bucket
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason
from tideover_contracts.events.plans import PlanOffered, PlanOption

PER_PAGE = 25
STATUSES = ("overdue", "under_plan", "cured")
#: Bounds of the queue's numbers: a page past the last is empty, a loan is not a century overdue;
#: what lies beyond is taken as the bound, so no number overflows a query's parameter.
MAX_PAGE = 100_000
MAX_DAYS_PAST_DUE = 36_500
#: The search box's text at most; control characters (a NUL cannot be a Postgres text) are dropped.
MAX_SEARCH = 100


def _whole(value: str | None, at_most: int) -> int | None:
    """A whole number in ASCII digits ("²" is a digit to str.isdigit, not to int), capped."""
    digits = (value or "").strip()
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return at_most if len(digits) > len(str(at_most)) else min(int(digits), at_most)


def _search(value: str | None) -> str | None:
    text = "".join(char for char in (value or "") if char.isprintable())[:MAX_SEARCH].strip()
    return text or None


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def queue_filter(params: dict[str, str]) -> QueueFilter:
    """The queue's query string, tolerant: what does not parse is no filter."""
    return QueueFilter(
        bucket=params.get("bucket") if params.get("bucket") in {bucket.value for bucket in Bucket} else None,
        min_days_past_due=_whole(params.get("min_dpd"), MAX_DAYS_PAST_DUE),
        status=params.get("status") if params.get("status") in STATUSES else None,
        has_application=_yes_no(params.get("has_application")),
        search=_search(params.get("q")),
        sort=sort if (sort := params.get("sort", "")) in QUEUE_SORTS else "days_past_due",
        descending=params.get("order") != "asc",
        page=max(_whole(params.get("page"), MAX_PAGE) or 1, 1),
        per_page=PER_PAGE,
    )


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


def offer_view(offer: PlanOffered) -> dict[str, Any]:
    """The current offer's options side by side, each with its schedule as bars on one scale."""
    largest = max(line.total.amount for option in offer.options for line in option.schedule)
    options = []
    for option in offer.options:
        amounts = [line.total.amount for line in option.schedule]
        options.append(
            {
                **option.model_dump(mode="json"),
                "recommended": option.option_id == offer.recommended_option_id,
                "bars": schedule_bars(amounts, largest),
                "ratio_percent": (Decimal(option.payment_to_disposable_income) * 100).quantize(Decimal(1)),
            }
        )
    options.sort(key=lambda option: not option["recommended"])
    return {**offer.model_dump(mode="json", exclude={"options"}), "options": options}


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
        pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
        return page(
            request,
            "queue.html",
            agent,
            rows=rows,
            total=total,
            query=query,
            params=params,
            pages=pages,
            buckets=[bucket.value for bucket in Bucket if bucket is not Bucket.CURRENT],
            statuses=STATUSES,
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
            items = [await _with_chosen_option(store, application, agent.agent_id) for application in queue.items]
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


async def _with_chosen_option(store: PostgresIntakeStore, application: Application, viewer_id: str) -> dict[str, Any]:
    """An item of the supervisor's queue; `own` when the viewer opened it or chose its option,
    so that they may refuse it but another supervisor must approve it (four eyes)."""
    option = chosen_option(await store.offers(application.application_id), application)
    return {
        **application_body(application),
        "option": option.model_dump(mode="json") if option else None,
        "approval": approval_of(option),
        "own": refusal_to_approve(viewer_id, application.agent_id, application.chosen_by) is not None,
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
    plans = (upstream["plans"] or {}).get("plans") if upstream["plans"] is not None else None
    return page(
        request,
        "loan.html",
        agent,
        status=status,
        loan=loan,
        snapshot=loan.snapshot,
        applications=applications,
        upstream=upstream,
        plans=plans,
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
    return page(
        request,
        "application.html",
        agent,
        status=status,
        application=application_body(application),
        documents=documents,
        offer=offer_view(offers[-1]) if offers else None,
        kinds=list(EvidenceKind),
        approval=approval_of(chosen_option(offers, application)),
        errors=feedback.get("errors", {}),
        values=feedback.get("values", {}),
        waiting=application.state in (State.SUBMITTED, State.ACCEPTED),
        allowed=[action.value for action in allowed_actions(application.state)],
    )
