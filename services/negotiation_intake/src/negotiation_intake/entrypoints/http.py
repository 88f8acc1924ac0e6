"""The agents' HTTP API (v1). Errors are RFC 9457 problem+json naming the field or the rule."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from negotiation_intake.adapters import idempotency
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application import commands
from negotiation_intake.application.ports import Application, Outbox
from negotiation_intake.domain.application_state import InvalidTransitionError
from tideover_contracts.events.negotiation import ConfirmationChannel, HardshipReason, OptionKind
from tideover_contracts.money import Money
from tideover_runtime.database import Connection
from tideover_runtime.http import problem
from tideover_runtime.outbox import stage_event
from tideover_runtime.service import Resources

PRODUCER = "negotiation-intake"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HardshipIn(Strict):
    reason: HardshipReason
    description: str = Field(min_length=1, max_length=4000)
    monthly_income: Money
    essential_expenses: Money


class ApplicationIn(Strict):
    loan_id: uuid.UUID
    hardship: HardshipIn
    requested_options: tuple[OptionKind, ...] = ()
    agent_id: str = Field(min_length=1, max_length=64)


class ChoiceIn(Strict):
    offer_id: uuid.UUID
    option_id: str = Field(min_length=1)


class ConfirmationIn(Strict):
    code: str = Field(pattern=r"^[0-9]{6}$")
    via: ConfirmationChannel = ConfirmationChannel.RECORDED_CALL


class WithdrawalIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


def application_body(application: Application, offers: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application_id": str(application.application_id),
        "loan_id": str(application.loan_id),
        "state": application.state.value,
        "reason": application.reason,
        "monthly_income": {"amount": str(application.monthly_income), "currency": application.currency},
        "essential_expenses": {"amount": str(application.essential_expenses), "currency": application.currency},
        "agent_id": application.agent_id,
        "version": application.version,
        "offer_id": str(application.offer_id) if application.offer_id else None,
        "option_id": application.option_id,
        "rejection": application.rejection,
    }
    if offers is not None:
        body["offers"] = [offer.model_dump(mode="json") for offer in offers]
    return body


IdempotencyKeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
Work = Callable[[PostgresIntakeStore, Outbox, Connection], Awaitable[tuple[int, Any]]]


def add_routes(app: FastAPI, resources: Callable[[], Resources]) -> None:
    async def run(request: Request, key: str | None, work: Work) -> JSONResponse:
        """One transaction: idempotency key, state change and outbox rows commit together."""
        res = resources()
        body = await request.body()
        try:
            async with res.pool.acquire() as connection, connection.transaction():
                if key:
                    stored = await idempotency.claim(
                        connection, key, idempotency.fingerprint(request.method, request.url.path, body)
                    )
                    if stored is not None:
                        return JSONResponse(stored.body, status_code=stored.status)

                async def outbox(event: Any, *, event_id: uuid.UUID | None = None) -> None:
                    await stage_event(connection, event, producer=PRODUCER, occurred_at=res.clock.now(), event_id=event_id)

                status, payload = await work(PostgresIntakeStore(connection), outbox, connection)
                if key:
                    await idempotency.remember(connection, key, status, payload)
                media_type = "application/problem+json" if status >= 400 else "application/json"
                return JSONResponse(payload, status_code=status, media_type=media_type)
        except idempotency.IdempotencyKeyReusedError as error:
            return problem(422, "Idempotency-Key reused", str(error))
        except commands.NotFoundError as error:
            return problem(404, "Not found", str(error))
        except InvalidTransitionError as error:
            return problem(409, "Invalid transition", str(error), current_state=error.state.value)
        except commands.ConflictError as error:
            return problem(409, "Conflict", str(error))

    @app.post("/v1/applications", status_code=201)
    async def open_application(
        payload: ApplicationIn, request: Request, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        async def work(store: PostgresIntakeStore, _: Outbox, __: Connection) -> tuple[int, Any]:
            command = commands.OpenApplication(
                loan_id=payload.loan_id,
                reason=payload.hardship.reason.value,
                description=payload.hardship.description,
                monthly_income=payload.hardship.monthly_income,
                essential_expenses=payload.hardship.essential_expenses,
                requested_options=payload.requested_options,
                agent_id=payload.agent_id,
            )
            return 201, application_body(await commands.open_application(store, resources().clock, command))

        return await run(request, idempotency_key, work)

    @app.get("/v1/applications/{application_id}")
    async def get_application(application_id: uuid.UUID) -> JSONResponse:
        async with resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            application = await store.application(application_id)
            if application is None:
                return problem(404, "Not found", f"no application {application_id}")
            return JSONResponse(application_body(application, await store.offers(application_id)))

    @app.post("/v1/applications/{application_id}/submit")
    async def submit(application_id: uuid.UUID, request: Request, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        async def work(store: PostgresIntakeStore, outbox: Outbox, _: Connection) -> tuple[int, Any]:
            return 200, application_body(await commands.submit(store, outbox, resources().clock, application_id))

        return await run(request, idempotency_key, work)

    @app.post("/v1/applications/{application_id}/choice")
    async def choose(
        application_id: uuid.UUID, payload: ChoiceIn, request: Request, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        async def work(store: PostgresIntakeStore, outbox: Outbox, _: Connection) -> tuple[int, Any]:
            await commands.choose_and_send(store, outbox, resources().clock, application_id, payload.offer_id, payload.option_id)
            application = await store.application(application_id)
            assert application is not None
            return 200, application_body(application)

        return await run(request, idempotency_key, work)

    @app.post("/v1/applications/{application_id}/confirmation")
    async def confirm(
        application_id: uuid.UUID, payload: ConfirmationIn, request: Request, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        async def work(store: PostgresIntakeStore, outbox: Outbox, _: Connection) -> tuple[int, Any]:
            result = await commands.confirm(store, outbox, resources().clock, application_id, payload.code, payload.via)
            if not result.accepted:
                detail = f"the confirmation code is wrong; {result.tries_left} tries left"
                return 422, {
                    "type": "about:blank",
                    "title": "Wrong confirmation code",
                    "status": 422,
                    "detail": detail,
                    "tries_left": result.tries_left,
                }
            return 200, application_body(result.application)

        return await run(request, idempotency_key, work)

    @app.post("/v1/applications/{application_id}/withdrawal")
    async def withdraw(
        application_id: uuid.UUID, payload: WithdrawalIn, request: Request, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        async def work(store: PostgresIntakeStore, outbox: Outbox, _: Connection) -> tuple[int, Any]:
            return 200, application_body(
                await commands.withdraw(store, outbox, resources().clock, application_id, payload.reason)
            )

        return await run(request, idempotency_key, work)

    @app.get("/v1/loans/{loan_id}")
    async def loan_view(loan_id: uuid.UUID) -> JSONResponse:
        async with resources().pool.acquire() as connection:
            store = PostgresIntakeStore(connection)
            loan = await store.loan(loan_id)
            if loan is None:
                return problem(404, "Not found", f"no loan {loan_id} is known to intake")
            applications = await store.applications_for_loan(loan_id)
        return JSONResponse(
            {
                "loan_id": str(loan_id),
                "overdue": loan.overdue,
                "status": loan.snapshot,
                "plan": {"plan_id": str(loan.plan_id), "status": loan.plan_status} if loan.plan_id else None,
                "applications": [application_body(application) for application in applications],
            }
        )
