"""Composition root of repayment-tracking."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from repayment_tracking.adapters.plans import PostgresPlans
from repayment_tracking.application import handlers
from repayment_tracking.application.ports import Tracking
from repayment_tracking.domain.plan_rules import Rules
from repayment_tracking.entrypoints.http import routes
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed
from tideover_contracts.events.overdue import RepaymentApplied
from tideover_contracts.events.plans import PlanActivated
from tideover_runtime.database import Connection
from tideover_runtime.service import ServiceDefinition, run_service
from tideover_runtime.settings import PlanRulesSettings
from tideover_runtime.subscriptions import Subscriptions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel
DEFAULTS = Rules()


class TrackingSettings(PlanRulesSettings):
    """Policy configuration (DESIGN.md §4): the plan terms (PlanRulesSettings) and
    TIDEOVER_PLAN_REMINDER_DAYS (a JSON list, e.g. [3, 1])."""

    reminder_days: tuple[int, ...] = DEFAULTS.reminder_days

    def rules(self) -> Rules:
        return Rules(**self.model_dump())


def subscriptions(rules: Rules = DEFAULTS) -> Subscriptions[Any]:
    def tracking(connection: Connection) -> Tracking:
        return Tracking(PostgresPlans(connection), rules)

    subs = Subscriptions(tracking)
    subs.on(PlanActivated, handlers.when_plan_activated_track_it)
    subs.on_many(RepaymentApplied, handlers.when_repayments_applied_follow_plans)
    subs.on(LoanClosed, handlers.when_loan_closed_end_its_plan)
    subs.on(BusinessDayClosed, handlers.when_business_day_closed_check_plans)
    return subs


def definition() -> ServiceDefinition:
    rules = TrackingSettings().rules()
    return ServiceDefinition(
        name="repayment-tracking",
        schema="repayment_tracking",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(rules),
        routes=routes(rules),
    )


def main() -> None:
    asyncio.run(run_service(definition()))
