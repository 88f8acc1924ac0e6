"""Composition root of repayment-tracking."""

from __future__ import annotations

import asyncio
from pathlib import Path

from repayment_tracking.adapters.plans import PostgresPlans
from repayment_tracking.application import handlers
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.topics import LOANS_LIFECYCLE, OPS_CLOCK, PLANS_OFFERS
from tideover_runtime.consumer import Subscriptions, with_port
from tideover_runtime.service import ServiceDefinition, run_service

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


with_plans = with_port(PostgresPlans)


def subscriptions() -> Subscriptions:
    subs = Subscriptions()
    subs.on(PLANS_OFFERS, PlanActivated)(with_plans(handlers.when_plan_activated_track_it))
    subs.on(LOANS_LIFECYCLE, RepaymentReceived)(with_plans(handlers.when_repayment_received_apply_to_plan))
    subs.on(OPS_CLOCK, BusinessDayClosed)(with_plans(handlers.when_business_day_closed_check_plans))
    return subs


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="repayment-tracking", schema="repayment_tracking", migrations=MIGRATIONS, subscriptions=subscriptions()
    )


def main() -> None:
    asyncio.run(run_service(definition()))
