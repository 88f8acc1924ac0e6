"""Composition root of overdue-detection."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
from tideover_contracts.topics import LOANS_LIFECYCLE, OPS_CLOCK, PLANS_OFFERS, PLANS_TRACKING
from tideover_runtime.consumer import Subscriptions, with_port, with_port_many
from tideover_runtime.database import Connection
from tideover_runtime.service import ServiceDefinition, run_service
from tideover_runtime.settings import ChargeCapsSettings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel


class OverdueSettings(ChargeCapsSettings):
    """Policy configuration: the charges cap (ChargeCapsSettings) and TIDEOVER_REMINDER_DAYS (a
    JSON list of days before a due date, e.g. [3, 1])."""

    reminder_days: tuple[int, ...] = DUE_SOON_DAYS


def subscriptions(caps: ChargeCaps, reminder_days: tuple[int, ...] = DUE_SOON_DAYS) -> Subscriptions:
    def ports(connection: Connection) -> Overdue:
        return Overdue(LoanBook(connection), caps, reminder_days)

    with_loan_book, with_loan_book_many = with_port(ports), with_port_many(ports)
    subs = Subscriptions()
    subs.on_many(LOANS_LIFECYCLE, LoanBooked)(with_loan_book_many(handlers.when_loans_booked_record_them))
    subs.on_many(LOANS_LIFECYCLE, RepaymentReceived)(with_loan_book_many(handlers.when_repayments_received_apply_them))
    subs.on(LOANS_LIFECYCLE, BorrowerContactChanged)(with_loan_book(handlers.when_contact_changed_update_it))
    subs.on(LOANS_LIFECYCLE, LoanClosed)(with_loan_book(handlers.when_loan_closed_stop_tracking))
    subs.on(OPS_CLOCK, BusinessDayClosed)(with_loan_book(handlers.when_business_day_closed_settle_overdue))
    subs.on(PLANS_OFFERS, PlanActivated)(with_loan_book(handlers.when_plan_activated_apply_it))
    subs.on(PLANS_TRACKING, PlanBroken)(with_loan_book(handlers.when_plan_broken_resume_clock))
    subs.on(PLANS_TRACKING, PlanCompleted)(with_loan_book(handlers.when_plan_completed_cure_loan))
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
