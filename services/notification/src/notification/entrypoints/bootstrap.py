"""Composition root of notification."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from notification.adapters.contact_records import purge_contact_records
from notification.adapters.store import PostgresNotificationStore
from notification.adapters.templates import render
from notification.application import handlers
from notification.application.ports import Notifying
from notification.application.written_plan import WrittenPlanTerms
from notification.domain.contact_rules import PROFILES, Profile, configured
from notification.entrypoints.http import add_routes
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed
from tideover_contracts.events.overdue import InstallmentDueSoon, LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted, PlanInstallmentDueSoon, PlanInstallmentMissed
from tideover_contracts.policy import PlanRules
from tideover_contracts.topics import (
    LOANS_LIFECYCLE,
    NEGOTIATION_APPLICATIONS,
    NOTIFICATIONS_RECEIPTS,
    OPS_CLOCK,
    OVERDUE_STATUS,
    PLANS_OFFERS,
    PLANS_TRACKING,
)
from tideover_runtime.consumer import Subscriptions, with_port, with_port_many
from tideover_runtime.database import Connection
from tideover_runtime.service import Chore, Resources, ServiceDefinition, run_service
from tideover_runtime.settings import PlanRulesSettings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel
SCHEMA = "notification"

log = structlog.get_logger(__name__)


class NotificationSettings(BaseSettings):
    """Policy configuration: TIDEOVER_CONTACT_PROFILES, changes to the contact rules per
    jurisdiction as JSON (domain/contact_rules.py `configured`); TIDEOVER_PAYMENT_INSTRUCTIONS,
    how and where to pay as the written plan states it, one text per language as JSON
    ({"en": "...", "zh-Hans": "...", "zh-Hant": "..."}; "zh-CN" names zh-Hans; a language not
    named keeps the default of application/written_plan.py `HOW_TO_PAY`);
    TIDEOVER_CONTACT_LOG_PURGE_EVERY_HOURS, how often contact records past their retention are
    purged (adapters/contact_records.py)."""

    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    contact_profiles: dict[str, dict[str, Any]] = {}
    payment_instructions: dict[str, str] = {}
    contact_log_purge_every_hours: float = Field(default=24.0, gt=0)


def plan_terms(settings: NotificationSettings, rules: PlanRules) -> WrittenPlanTerms:
    return WrittenPlanTerms(rules).with_instructions(settings.payment_instructions)


def contact_log_purge(settings: NotificationSettings) -> Chore:
    """Purge contact records past their retention by the service's clock, the one that stamped
    them (business time in a simulation)."""

    async def purge(resources: Resources) -> None:
        async with resources.pool.acquire() as connection:
            purged = await purge_contact_records(connection, resources.clock.now())
        if purged:
            log.info("contact records past their retention purged", loans=purged)

    return Chore("contact-log-purge", settings.contact_log_purge_every_hours * 3600, purge)


def subscriptions(profiles: Mapping[Jurisdiction, Profile] | None = None, terms: WrittenPlanTerms | None = None) -> Subscriptions:
    def notifying(connection: Connection) -> Notifying:
        return Notifying(PostgresNotificationStore(connection), render, profiles or PROFILES, terms or WrittenPlanTerms())

    with_store, with_store_many = with_port(notifying), with_port_many(notifying)
    subs = Subscriptions()
    subs.on(LOANS_LIFECYCLE, LoanBooked)(with_store(handlers.when_loan_booked_keep_contact))
    subs.on(LOANS_LIFECYCLE, BorrowerContactChanged)(with_store(handlers.when_contact_changed_update_contact))
    subs.on(LOANS_LIFECYCLE, LoanClosed)(with_store(handlers.when_loan_closed_stop_pressing))
    subs.on_many(OVERDUE_STATUS, InstallmentDueSoon)(with_store_many(handlers.when_installment_due_soon_remind))
    subs.on_many(OVERDUE_STATUS, LoanBecameOverdue)(with_store_many(handlers.when_loan_became_overdue_send_notice))
    subs.on_many(OVERDUE_STATUS, OverdueStatusChanged)(with_store_many(handlers.when_overdue_status_changed_maybe_notify))
    subs.on_many(OVERDUE_STATUS, LoanCured)(with_store_many(handlers.when_loan_cured_confirm))
    subs.on_many(NEGOTIATION_APPLICATIONS, PlanSentToBorrower)(with_store_many(handlers.when_plan_sent_send_written_plan))
    subs.on(PLANS_OFFERS, PlanActivated)(with_store(handlers.when_plan_activated_tell_borrower))
    subs.on_many(PLANS_OFFERS, PlanRejected)(with_store_many(handlers.when_acceptance_refused_tell_borrower))
    subs.on_many(PLANS_OFFERS, PlanOffered)(with_store_many(handlers.when_confirmed_plan_requoted_tell_borrower))
    subs.on_many(PLANS_TRACKING, PlanInstallmentDueSoon)(with_store_many(handlers.when_plan_installment_due_soon_remind))
    subs.on_many(PLANS_TRACKING, PlanInstallmentMissed)(with_store_many(handlers.when_plan_installment_missed_tell_borrower))
    subs.on(PLANS_TRACKING, PlanBroken)(with_store(handlers.when_plan_broken_tell_borrower))
    subs.on(PLANS_TRACKING, PlanCompleted)(with_store(handlers.when_plan_completed_tell_borrower))
    subs.on(OPS_CLOCK, BusinessDayClosed)(with_store(handlers.when_time_passes_release_held))
    subs.on(OPS_CLOCK, ClockTicked)(with_store(handlers.when_time_passes_release_held))
    subs.on(NOTIFICATIONS_RECEIPTS, NotificationDelivered)(with_store(handlers.when_delivered_complete_log))
    subs.on(NOTIFICATIONS_RECEIPTS, NotificationFailed)(with_store(handlers.when_failed_fall_back))
    return subs


def definition() -> ServiceDefinition:
    settings = NotificationSettings()
    return ServiceDefinition(
        name="notification",
        schema=SCHEMA,
        migrations=MIGRATIONS,
        subscriptions=subscriptions(configured(settings.contact_profiles), plan_terms(settings, PlanRulesSettings().rules())),
        routes=add_routes,
        chores=[contact_log_purge(settings)],
    )


def main() -> None:
    asyncio.run(run_service(definition()))
