"""The topic registry: every topic, who writes it, who reads it, and what it carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tideover_contracts.envelope import Event
from tideover_contracts.events import notifications_v1, notifications_v2
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import BorrowerContactChanged, LoanBooked, LoanClosed, RepaymentReceived
from tideover_contracts.events.negotiation import (
    BorrowerCodeRequested,
    ContactPreferencesChosen,
    NegotiationRequested,
    NegotiationWithdrawn,
    PlanAccepted,
    PlanDeclined,
    PlanOptionChosen,
    PlanSentToBorrower,
)
from tideover_contracts.events.notifications import NotificationDelivered, NotificationFailed, NotificationRequested
from tideover_contracts.events.overdue import (
    BalanceWrittenOff,
    InstallmentDueSoon,
    LoanBecameOverdue,
    LoanCured,
    OverdueStatusChanged,
    RepaymentApplied,
    WaiverGranted,
)
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import (
    PlanBroken,
    PlanCompleted,
    PlanInstallmentDueSoon,
    PlanInstallmentMissed,
    PlanInstallmentPaid,
)

DEFAULT_PARTITIONS = 6
DLQ_SUFFIX = ".dlq"

UPSTREAM = "upstream loan systems"
SCHEDULER = "scheduler / simulator"
GATEWAYS = "SMS and notification gateways"
OVERDUE_DETECTION = "overdue-detection"
NOTIFICATION = "notification"
NEGOTIATION_INTAKE = "negotiation-intake"
PLAN_CALCULATION = "plan-calculation"
REPAYMENT_TRACKING = "repayment-tracking"


@cache
def _event_classes(event_types: tuple[type[Event], ...]) -> dict[str, type[Event]]:
    return {event.event_type: event for event in event_types}


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    producer: str
    consumers: tuple[str, ...]
    event_types: tuple[type[Event], ...]
    key: str = "loan_id"
    partitions: int = DEFAULT_PARTITIONS
    #: The newer version of this topic, when this one is published only until every consumer
    #: moved to that one (DESIGN.md §2 contract rules): it carries nothing the newer one lacks.
    superseded_by: str | None = None
    #: Its producer stamps `occurred_at` with the business clock (a service of ours): a consumer
    #: on the business clock follows it (tideover_runtime.consumer). Upstream and gateway events
    #: carry the time of the world outside.
    business_time: bool = False

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    def event_classes(self) -> dict[str, type[Event]]:
        """By event type name; computed once (every message a consumer parses asks for it)."""
        return _event_classes(self.event_types)


LOANS_LIFECYCLE = Topic(
    "loans.lifecycle.v1",
    "Loans booked, repayments received, contact changes and closures, from upstream loan systems.",
    UPSTREAM,
    (OVERDUE_DETECTION, NOTIFICATION, REPAYMENT_TRACKING, PLAN_CALCULATION),
    (LoanBooked, RepaymentReceived, BorrowerContactChanged, LoanClosed),
)
OPS_CLOCK = Topic(
    "ops.clock.v1",
    "The business calendar: each closed business day, and the ticks of time within a day, in order.",
    SCHEDULER,
    (OVERDUE_DETECTION, NOTIFICATION, PLAN_CALCULATION, REPAYMENT_TRACKING),
    (BusinessDayClosed, ClockTicked),
    key="the constant 'business-calendar' (one partition keeps the days in order)",
)
OVERDUE_STATUS = Topic(
    "overdue.status.v1",
    "Pre-due reminders, overdue episodes, their changes and cures; what each payment covered and the waivers, "
    "as the loan's ledger (the book of record) recorded them.",
    OVERDUE_DETECTION,
    (NOTIFICATION, NEGOTIATION_INTAKE, PLAN_CALCULATION, REPAYMENT_TRACKING),
    (InstallmentDueSoon, LoanBecameOverdue, OverdueStatusChanged, LoanCured, RepaymentApplied, WaiverGranted, BalanceWrittenOff),
    business_time=True,
)
NEGOTIATION_APPLICATIONS = Topic(
    "negotiation.applications.v1",
    "Hardship applications and the decisions taken on them.",
    NEGOTIATION_INTAKE,
    (NOTIFICATION, PLAN_CALCULATION),
    (
        NegotiationRequested,
        PlanOptionChosen,
        PlanSentToBorrower,
        PlanAccepted,
        PlanDeclined,
        NegotiationWithdrawn,
        BorrowerCodeRequested,
        ContactPreferencesChosen,
    ),
    business_time=True,
)
PLANS_OFFERS = Topic(
    "plans.offers.v2",
    "Plan options offered (each option compact: one currency, its schedule as columns), rejections, activations and expiries.",
    PLAN_CALCULATION,
    (OVERDUE_DETECTION, NOTIFICATION, NEGOTIATION_INTAKE, REPAYMENT_TRACKING),
    (PlanOffered, PlanRejected, PlanActivated, OfferExpired),
    business_time=True,
)
PLANS_TRACKING = Topic(
    "plans.tracking.v1",
    "How each active plan goes: reminders, payments, misses, breaks and completions.",
    REPAYMENT_TRACKING,
    (OVERDUE_DETECTION, NOTIFICATION, NEGOTIATION_INTAKE, PLAN_CALCULATION),
    (PlanInstallmentDueSoon, PlanInstallmentPaid, PlanInstallmentMissed, PlanBroken, PlanCompleted),
    business_time=True,
)
NOTIFICATIONS_REQUESTS = Topic(
    "notifications.requests.v3",
    "Messages for the gateways to deliver now, fully rendered.",
    NOTIFICATION,
    (GATEWAYS,),
    (NotificationRequested,),
    business_time=True,
)
NOTIFICATIONS_REQUESTS_V2 = Topic(
    "notifications.requests.v2",
    "Messages for the gateways to deliver now, fully rendered: version 2, published beside "
    "notifications.requests.v3 until every gateway reads v3, for the purposes version 2 knows.",
    NOTIFICATION,
    (GATEWAYS,),
    (notifications_v2.NotificationRequested,),
    superseded_by=NOTIFICATIONS_REQUESTS.name,
    business_time=True,
)
NOTIFICATIONS_REQUESTS_V1 = Topic(
    "notifications.requests.v1",
    "Messages for the gateways to deliver now, fully rendered: version 1, published beside "
    "notifications.requests.v3 until every gateway reads v3, for the purposes version 1 knows.",
    NOTIFICATION,
    (GATEWAYS,),
    (notifications_v1.NotificationRequested,),
    superseded_by=NOTIFICATIONS_REQUESTS.name,
    business_time=True,
)
NOTIFICATIONS_RECEIPTS = Topic(
    "notifications.receipts.v1",
    "Delivery receipts from the gateways.",
    GATEWAYS,
    (NOTIFICATION,),
    (NotificationDelivered, NotificationFailed),
)

TOPICS: tuple[Topic, ...] = (
    LOANS_LIFECYCLE,
    OPS_CLOCK,
    OVERDUE_STATUS,
    NEGOTIATION_APPLICATIONS,
    PLANS_OFFERS,
    PLANS_TRACKING,
    NOTIFICATIONS_REQUESTS,
    NOTIFICATIONS_REQUESTS_V2,
    NOTIFICATIONS_REQUESTS_V1,
    NOTIFICATIONS_RECEIPTS,
)

#: Every event type by name, in its current version (a version kept for old readers only, on its
#: own topic, is in that topic's `event_classes`).
ALL_EVENT_TYPES: dict[str, type[Event]] = {
    event.event_type: event for topic in TOPICS if topic.superseded_by is None for event in topic.event_types
}


def topic_named(name: str) -> Topic | None:
    return next((topic for topic in TOPICS if topic.name == name), None)


def topic_of(event: type[Event] | Event) -> Topic:
    """The one topic that carries `event` (of this class: one version of an event type)."""
    event_class = event if isinstance(event, type) else type(event)
    for topic in TOPICS:
        if event_class in topic.event_types:
            return topic
    raise KeyError(f"no topic carries {event_class.event_type} v{event_class.schema_version}")
