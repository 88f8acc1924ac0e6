"""Composition root of notification."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from notification.adapters.contact_records import purge_contact_records
from notification.adapters.store import PostgresNotificationStore
from notification.adapters.templates import render
from notification.application import handlers
from notification.application.links import BorrowerLinks
from notification.application.ports import Notifying
from notification.application.written_plan import WrittenPlanTerms
from notification.domain.contact_rules import PROFILES, Profile, configured
from notification.entrypoints.http import routes
from tideover_contracts.common import Jurisdiction
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed
from tideover_contracts.events.negotiation import BorrowerCodeRequested, ContactPreferencesChosen, PlanSentToBorrower
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed
from tideover_contracts.events.overdue import InstallmentDueSoon, LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted, PlanInstallmentDueSoon, PlanInstallmentMissed
from tideover_contracts.policy import PlanRules
from tideover_runtime.borrower_links import LinkSettings, MissingLinkSecretError, link_secret
from tideover_runtime.database import Connection
from tideover_runtime.service import Chore, Resources, ServiceDefinition, run_service
from tideover_runtime.settings import PlanRulesSettings, RuntimeSettings
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


class BorrowerPageError(RuntimeError):
    """The borrower's page is not where a borrower's phone can open it safely."""


def borrower_links(settings: LinkSettings, development: bool) -> BorrowerLinks:
    """What signs the borrowers' links (issue 21, tideover_runtime.borrower_links): outside
    development, a proper TIDEOVER_LINK_SECRET (MissingLinkSecretError) and the page's public
    https address (BorrowerPageError): the default, this machine's, would send every borrower a
    link to nowhere, and a bearer credential is not sent to an http page."""
    secret = link_secret(settings, development)
    page = settings.borrower_page_url
    if not page.endswith("/") or not (development or page.startswith("https://")):
        raise BorrowerPageError(
            "TIDEOVER_BORROWER_PAGE_URL must be the https address of negotiation-intake's borrower page, ending in / "
            f"(e.g. https://pay.example.com/b/), unless TIDEOVER_ENV=development; it is {page!r}"
        )
    return BorrowerLinks(settings, secret)


@cache
def configured_links() -> BorrowerLinks:
    """The borrowers' links as the environment sets them: TIDEOVER_LINK_SECRET (the same as
    negotiation-intake's), TIDEOVER_BORROWER_PAGE_URL (the token is appended to it) and
    TIDEOVER_LINK_VALID_DAYS (7). Read once, when the service starts (`main`)."""
    return borrower_links(LinkSettings(), RuntimeSettings().development)


def subscriptions(
    profiles: Mapping[Jurisdiction, Profile] | None = None,
    terms: WrittenPlanTerms | None = None,
    links: Callable[[], BorrowerLinks] = configured_links,
) -> Subscriptions[Any]:
    def notifying(connection: Connection) -> Notifying:
        return Notifying(
            PostgresNotificationStore(connection), render, profiles or PROFILES, terms or WrittenPlanTerms(), links()
        )

    subs = Subscriptions(notifying)
    subs.on(LoanBooked, handlers.when_loan_booked_keep_contact)
    subs.on(BorrowerContactChanged, handlers.when_contact_changed_update_contact)
    subs.on(LoanClosed, handlers.when_loan_closed_stop_pressing)
    subs.on_many(InstallmentDueSoon, handlers.when_installment_due_soon_remind)
    subs.on_many(LoanBecameOverdue, handlers.when_loan_became_overdue_send_notice)
    subs.on_many(OverdueStatusChanged, handlers.when_overdue_status_changed_maybe_notify)
    subs.on_many(LoanCured, handlers.when_loan_cured_confirm)
    subs.on_many(PlanSentToBorrower, handlers.when_plan_sent_send_written_plan)
    subs.on_many(BorrowerCodeRequested, handlers.when_code_requested_send_code)
    subs.on(ContactPreferencesChosen, handlers.when_contact_preferences_chosen_keep_them)
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
    try:  # refused before anything starts: links signed without the server's secret could be forged
        configured_links()
    except (MissingLinkSecretError, BorrowerPageError) as error:
        raise SystemExit(f"notification: {error}") from None
    asyncio.run(run_service(definition()))
