"""Composition root of negotiation-intake."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application import handlers
from negotiation_intake.application.ports import IntakeStore
from negotiation_intake.entrypoints.http import add_routes
from tideover_contracts.envelope import Event
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.topics import OVERDUE_STATUS, PLANS_OFFERS, PLANS_TRACKING
from tideover_runtime.consumer import Subscriptions, Unit
from tideover_runtime.service import ServiceDefinition, run_service

E = TypeVar("E", bound=Event)
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def with_store(use_case: Callable[[Unit[E], IntakeStore], Awaitable[None]]) -> Callable[[Unit[E]], Awaitable[None]]:
    async def handle(unit: Unit[E]) -> None:
        await use_case(unit, PostgresIntakeStore(unit.connection))

    return handle


def subscriptions() -> Subscriptions:
    subs = Subscriptions()
    subs.on(OVERDUE_STATUS, LoanBecameOverdue)(with_store(handlers.when_loan_overdue_update_view))
    subs.on(OVERDUE_STATUS, OverdueStatusChanged)(with_store(handlers.when_loan_overdue_update_view))
    subs.on(OVERDUE_STATUS, LoanCured)(with_store(handlers.when_loan_cured_update_view))
    subs.on(PLANS_OFFERS, PlanOffered)(with_store(handlers.when_plan_offered_show_options))
    subs.on(PLANS_OFFERS, PlanRejected)(with_store(handlers.when_plan_rejected_show_reasons))
    subs.on(PLANS_OFFERS, OfferExpired)(with_store(handlers.when_offer_expired_expire_application))
    subs.on(PLANS_OFFERS, PlanActivated)(with_store(handlers.when_plan_activated_show_plan))
    subs.on(PLANS_TRACKING, PlanCompleted)(with_store(handlers.when_plan_completed_show_it))
    subs.on(PLANS_TRACKING, PlanBroken)(with_store(handlers.when_plan_broken_show_it))
    return subs


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="negotiation-intake",
        schema="negotiation_intake",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(),
        routes=add_routes,
    )


def main() -> None:
    asyncio.run(run_service(definition()))
