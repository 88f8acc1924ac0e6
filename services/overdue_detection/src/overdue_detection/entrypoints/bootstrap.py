"""Composition root of overdue-detection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from overdue_detection.adapters.loan_book import LoanBook
from overdue_detection.application import handlers
from overdue_detection.application.ports import Overdue
from overdue_detection.domain.policy import DUE_SOON_DAYS
from overdue_detection.entrypoints.http import add_routes
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.plans import PlanActivated
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.database import Connection
from tideover_runtime.service import ServiceDefinition, run_service
from tideover_runtime.settings import ChargeCapsSettings
from tideover_runtime.subscriptions import Subscriptions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel


class OverdueSettings(ChargeCapsSettings):
    """Policy configuration: the charges cap (ChargeCapsSettings) and TIDEOVER_REMINDER_DAYS (a
    JSON list of days before a due date, e.g. [3, 1])."""

    reminder_days: tuple[int, ...] = DUE_SOON_DAYS


def subscriptions(caps: ChargeCaps, reminder_days: tuple[int, ...] = DUE_SOON_DAYS) -> Subscriptions[Any]:
    def ports(connection: Connection) -> Overdue:
        return Overdue(LoanBook(connection), caps, reminder_days)

    subs = Subscriptions(ports)
    subs.on_many(LoanBooked, handlers.when_loans_booked_record_them)
    subs.on_many(RepaymentReceived, handlers.when_repayments_received_apply_them)
    subs.on(BorrowerContactChanged, handlers.when_contact_changed_update_it)
    subs.on(LoanClosed, handlers.when_loan_closed_stop_tracking)
    subs.on(BusinessDayClosed, handlers.when_business_day_closed_settle_overdue)
    subs.on(PlanActivated, handlers.when_plan_activated_apply_it)
    subs.on(PlanBroken, handlers.when_plan_broken_resume_clock)
    subs.on(PlanCompleted, handlers.when_plan_completed_cure_loan)
    return subs


def definition() -> ServiceDefinition:
    settings = OverdueSettings()
    return ServiceDefinition(
        name="overdue-detection",
        schema="overdue_detection",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(settings.caps(), settings.reminder_days),
        routes=add_routes,
    )


def main() -> None:
    asyncio.run(run_service(definition()))
