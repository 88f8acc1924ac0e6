"""One golden example per event type: exported as JSON, parsed by the contract tests, and
reused by tests and the demo as realistic sample data."""

from tideover_contracts.examples.golden import golden_envelopes, golden_events, golden_events_of_every_version
from tideover_contracts.examples.values import (
    APPLICATION_ID,
    AT,
    CNY,
    LOAN_ID,
    NOTIFICATION_ID,
    OFFER_ID,
    PLAN_ID,
    borrower,
    cny,
    contact_ref,
    ledger_position,
    loan_booked,
    plan_schedule,
    schedule,
)

__all__ = [
    "APPLICATION_ID",
    "AT",
    "CNY",
    "LOAN_ID",
    "NOTIFICATION_ID",
    "OFFER_ID",
    "PLAN_ID",
    "borrower",
    "cny",
    "contact_ref",
    "golden_envelopes",
    "golden_events",
    "golden_events_of_every_version",
    "ledger_position",
    "loan_booked",
    "plan_schedule",
    "schedule",
]
