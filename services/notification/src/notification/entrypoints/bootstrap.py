"""Composition root of notification."""

from __future__ import annotations

import asyncio
from pathlib import Path

from notification.adapters.contacts import PostgresContacts
from notification.application import handlers
from notification.entrypoints.http import add_routes
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed
from tideover_contracts.events.overdue import LoanBecameOverdue
from tideover_contracts.topics import LOANS_LIFECYCLE, NEGOTIATION_APPLICATIONS, NOTIFICATIONS_RECEIPTS, OVERDUE_STATUS
from tideover_runtime.consumer import Subscriptions, with_port
from tideover_runtime.service import ServiceDefinition, run_service

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


with_contacts = with_port(PostgresContacts)


def subscriptions() -> Subscriptions:
    subs = Subscriptions()
    subs.on(LOANS_LIFECYCLE, LoanBooked)(with_contacts(handlers.when_loan_booked_keep_contact))
    subs.on(LOANS_LIFECYCLE, BorrowerContactChanged)(with_contacts(handlers.when_contact_changed_update_contact))
    subs.on(OVERDUE_STATUS, LoanBecameOverdue)(with_contacts(handlers.when_loan_became_overdue_send_notice))
    subs.on(NEGOTIATION_APPLICATIONS, PlanSentToBorrower)(with_contacts(handlers.when_plan_sent_send_written_plan))
    subs.on(NOTIFICATIONS_RECEIPTS, NotificationDelivered)(with_contacts(handlers.when_delivered_complete_log))
    subs.on(NOTIFICATIONS_RECEIPTS, NotificationFailed)(with_contacts(handlers.when_failed_complete_log))
    return subs


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="notification",
        schema="notification",
        migrations=MIGRATIONS,
        subscriptions=subscriptions(),
        routes=add_routes,
    )


def main() -> None:
    asyncio.run(run_service(definition()))
