"""Composition root of plan-calculation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from plan_calculation.adapters.store import PostgresPlanStore
from plan_calculation.application import handlers
from plan_calculation.entrypoints.http import add_routes
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.negotiation import NegotiationRequested, PlanAccepted
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS, OPS_CLOCK, OVERDUE_STATUS
from tideover_runtime.consumer import Subscriptions, with_port
from tideover_runtime.service import ServiceDefinition, run_service

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


with_store = with_port(PostgresPlanStore)


def subscriptions() -> Subscriptions:
    subs = Subscriptions()
    subs.on(OVERDUE_STATUS, LoanBecameOverdue)(with_store(handlers.when_loan_overdue_project_it))
    subs.on(OVERDUE_STATUS, OverdueStatusChanged)(with_store(handlers.when_loan_overdue_project_it))
    subs.on(OVERDUE_STATUS, LoanCured)(with_store(handlers.when_loan_cured_forget_arrears))
    subs.on(NEGOTIATION_APPLICATIONS, NegotiationRequested)(with_store(handlers.when_negotiation_requested_offer_plans))
    subs.on(NEGOTIATION_APPLICATIONS, PlanAccepted)(with_store(handlers.when_plan_accepted_activate_it))
    subs.on(OPS_CLOCK, BusinessDayClosed)(with_store(handlers.when_business_day_closed_expire_offers))
    return subs


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="plan-calculation",
        schema="plan_calculation",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(),
        routes=add_routes,
    )


def main() -> None:
    asyncio.run(run_service(definition()))
