"""Composition root of negotiation-intake."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from negotiation_intake.adapters.refusals import RefusalLog
from negotiation_intake.adapters.store import PostgresIntakeStore
from negotiation_intake.application import handlers
from negotiation_intake.entrypoints.borrower_page import BorrowerPageSettings, mount_borrower_page
from negotiation_intake.entrypoints.code_secret import MissingCodeSecretError, configured_code_secret
from negotiation_intake.entrypoints.console import ConsoleSettings, mount_console
from negotiation_intake.entrypoints.console.upstream import Upstream
from negotiation_intake.entrypoints.http import add_routes
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_runtime.borrower_links import MissingLinkSecretError, configured_link_secret
from tideover_runtime.service import Resources, ServiceDefinition, run_service
from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.subscriptions import Subscriptions

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # inside the package: it ships in the wheel
SCHEMA = "negotiation_intake"


def subscriptions() -> Subscriptions[Any]:
    subs = Subscriptions(PostgresIntakeStore)
    subs.on(LoanBecameOverdue, handlers.when_loan_overdue_update_view)
    subs.on(OverdueStatusChanged, handlers.when_loan_overdue_update_view)
    subs.on(LoanCured, handlers.when_loan_cured_update_view)
    subs.on(PlanOffered, handlers.when_plan_offered_show_options)
    subs.on(PlanRejected, handlers.when_plan_rejected_show_reasons)
    subs.on(OfferExpired, handlers.when_offer_expired_expire_application)
    subs.on(PlanActivated, handlers.when_plan_activated_show_plan)
    subs.on(PlanCompleted, handlers.when_plan_completed_show_it)
    subs.on(PlanBroken, handlers.when_plan_broken_show_it)
    return subs


def routes(app: FastAPI, resources: Callable[[], Resources]) -> None:
    """The agents' JSON API under /v1, their web console under /console, and the borrower's page
    under /b; the refusals of all three kept in one bounded log."""
    refusals = RefusalLog(resources)
    add_routes(app, resources, refusals)
    settings = ConsoleSettings()
    mount_console(app, resources, settings)
    # The borrower's page asks the other services what the console's loan page asks them.
    upstream = Upstream(settings.overdue_url, settings.notification_url, settings.tracking_url, settings.service_key)
    mount_borrower_page(app, resources, upstream, refusals, BorrowerPageSettings())


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="negotiation-intake",
        schema=SCHEMA,
        migrations=MIGRATIONS,
        subscriptions=subscriptions(),
        routes=routes,
    )


def main() -> None:
    development = RuntimeSettings().development
    # Refused before anything starts: codes hashed, and links signed, without a server secret are guessable.
    try:
        configured_code_secret(development)
        configured_link_secret(development)
    except (MissingCodeSecretError, MissingLinkSecretError) as error:
        raise SystemExit(f"negotiation-intake: {error}") from None
    asyncio.run(run_service(definition()))
