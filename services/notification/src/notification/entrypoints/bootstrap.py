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
from notification.entrypoints.http import routes
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed
from tideover_contracts.events.overdue import InstallmentDueSoon, LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted, PlanInstallmentDueSoon, PlanInstallmentMissed
from tideover_contracts.policy import PlanRules
from tideover_runtime.database import Connection
from tideover_runtime.service import Chore, Resources, ServiceDefinition, run_service
from tideover_runtime.settings import PlanRulesSettings
from tideover_runtime.subscriptions import Subscriptions

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


def subscriptions(
    profiles: Mapping[Jurisdiction, Profile] | None = None, terms: WrittenPlanTerms | None = None
) -> Subscriptions[Any]:
    def notifying(connection: Connection) -> Notifying:
        return Notifying(PostgresNotificationStore(connection), render, profiles or PROFILES, terms or WrittenPlanTerms())

    subs = Subscriptions(notifying)
    subs.on(LoanBooked, handlers.when_loan_booked_keep_contact)
    subs.on(BorrowerContactChanged, handlers.when_contact_changed_update_contact)
    subs.on(LoanClosed, handlers.when_loan_closed_stop_pressing)
    subs.on_many(InstallmentDueSoon, handlers.when_installment_due_soon_remind)
    subs.on_many(LoanBecameOverdue, handlers.when_loan_became_overdue_send_notice)
    subs.on_many(OverdueStatusChanged, handlers.when_overdue_status_changed_maybe_notify)
    subs.on_many(LoanCured, handlers.when_loan_cured_confirm)
    subs.on_many(PlanSentToBorrower, handlers.when_plan_sent_send_written_plan)
    subs.on(PlanActivated, handlers.when_plan_activated_tell_borrower)
    subs.on_many(PlanRejected, handlers.when_acceptance_refused_tell_borrower)
    subs.on_many(PlanOffered, handlers.when_confirmed_plan_requoted_tell_borrower)
    subs.on_many(PlanInstallmentDueSoon, handlers.when_plan_installment_due_soon_remind)
    subs.on_many(PlanInstallmentMissed, handlers.when_plan_installment_missed_tell_borrower)
    subs.on(PlanBroken, handlers.when_plan_broken_tell_borrower)
    subs.on(PlanCompleted, handlers.when_plan_completed_tell_borrower)
    subs.on(BusinessDayClosed, handlers.when_time_passes_release_held)
    subs.on(ClockTicked, handlers.when_time_passes_release_held)
    subs.on(NotificationDelivered, handlers.when_delivered_complete_log)
    subs.on(NotificationFailed, handlers.when_failed_fall_back)
    return subs


def definition() -> ServiceDefinition:
    settings = NotificationSettings()
    profiles = configured(settings.contact_profiles)
    return ServiceDefinition(
        name="notification",
        schema=SCHEMA,
        migrations=MIGRATIONS,
        subscriptions=subscriptions(profiles, plan_terms(settings, PlanRulesSettings().rules())),
        routes=routes(profiles),
        chores=[contact_log_purge(settings)],
    )


def main() -> None:
    asyncio.run(run_service(definition()))
