"""Composition root of plan-calculation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.ports import Plans
from plan_calculation.entrypoints.http import routes
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed
from tideover_contracts.events.negotiation import NegotiationRequested, PlanAccepted
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.database import Connection
from tideover_runtime.service import ServiceDefinition, run_service
from tideover_runtime.settings import ChargeCapsSettings
from tideover_runtime.subscriptions import Subscriptions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel


def subscriptions(caps: ChargeCaps | None = None) -> Subscriptions[Any]:
    def ports(connection: Connection) -> Plans:
        return Plans(PostgresPlanStore(connection), caps or ChargeCaps())

    subs = Subscriptions(ports)
    subs.on(LoanBecameOverdue, handlers.when_loan_overdue_project_it)
    subs.on(OverdueStatusChanged, handlers.when_loan_overdue_project_it)
    subs.on(LoanCured, handlers.when_loan_cured_forget_arrears)
    subs.on(NegotiationRequested, handlers.when_negotiation_requested_offer_plans)
    subs.on(PlanAccepted, handlers.when_plan_accepted_activate_it)
    subs.on(BusinessDayClosed, handlers.when_business_day_closed_expire_offers)
    # One plan at a time (DESIGN.md §3a): when a plan ends, and loans that left the book.
    subs.on(PlanBroken, handlers.when_plan_broken_end_it)
    subs.on(PlanCompleted, handlers.when_plan_completed_end_it)
    subs.on(LoanClosed, handlers.when_loan_closed_end_its_plan)
    return subs


def definition() -> ServiceDefinition:
    caps = ChargeCapsSettings().caps()
    return ServiceDefinition(
        name="plan-calculation",
        schema="plan_calculation",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(caps),
        routes=routes(caps),
        # An offer is about 200 kB of JSON: the relay publishes a few megabytes at a time.
        outbox_batch_size=50,
    )


def main() -> None:
    asyncio.run(run_service(definition()))
