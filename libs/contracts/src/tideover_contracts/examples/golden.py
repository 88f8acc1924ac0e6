"""Every golden event in the order of the flow, in every version still published, and in envelopes."""

from __future__ import annotations

from tideover_contracts.envelope import Envelope, Event, deterministic_id, wrap
from tideover_contracts.events.notifications import NotificationRequested
from tideover_contracts.examples.ledger import clock_events, ledger_events, loan_events, overdue_events
from tideover_contracts.examples.negotiation import negotiation_events, plan_events
from tideover_contracts.examples.tracking import notification_events, tracking_events
from tideover_contracts.examples.values import AT


def golden_events() -> list[Event]:
    """One example of every event type, in the order of the flow."""
    return [
        *loan_events(),
        *clock_events(),
        *overdue_events(),
        *ledger_events(),
        *negotiation_events(),
        *plan_events(),
        *tracking_events(),
        *notification_events(),
    ]


def golden_events_of_every_version() -> list[Event]:
    """The golden events, and each in the older versions still published beside it."""
    from tideover_contracts.events import notifications_v1, notifications_v2  # each goes when it is retired

    events = golden_events()
    requests = [event for event in events if isinstance(event, NotificationRequested)]
    older = [
        old
        for downgraded in (notifications_v2.downgraded, notifications_v1.downgraded)
        for r in requests
        if (old := downgraded(r))
    ]
    return [*events, *older]


def golden_envelopes() -> list[Envelope[Event]]:
    return [
        wrap(
            event,
            producer="golden-example",
            occurred_at=AT,
            event_id=deterministic_id("golden", event.event_type),
            correlation_id="7d1e6a52-2f0b-4b8e-a3a1-5c9d8e7f6a01",
        )
        for event in golden_events_of_every_version()
    ]
