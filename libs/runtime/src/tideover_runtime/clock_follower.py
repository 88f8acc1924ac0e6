"""Following the business clock (DESIGN.md §6): a service on the business clock reads
`ops.clock.v1` whether or not a use case of its own needs it, records each closed day, and moves
its clock to each clock event and to the instant of each event a producer on business time
stamped (topics marked `business_time` in the registry). It knows no service by name."""

from __future__ import annotations

import uuid
from typing import Any

from tideover_contracts.envelope import Envelope, Event
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.topics import OPS_CLOCK, Topic, topic_of
from tideover_runtime.clock import BusinessClock, Clock, record_business_day
from tideover_runtime.database import Connection
from tideover_runtime.subscriptions import Subscriptions
from tideover_runtime.unit import Unit


async def _only_follow(_: list[Unit[Any]], __: Connection) -> None:
    """The consumer records the day and advances the clock; nothing else to do."""


def subscribe(subscriptions: Subscriptions[Any], clock: Clock) -> None:
    """On the business clock, read every clock event, handled by a use case or not."""
    if not isinstance(clock, BusinessClock):
        return
    for event_type in (BusinessDayClosed, ClockTicked):
        if not subscriptions.handles(OPS_CLOCK, event_type):
            subscriptions.add(OPS_CLOCK, event_type, _only_follow)


def group_suffix(topic: Topic, clock: Clock) -> str:
    """Simulation time: every replica must see every clock event to keep its own clock, so it
    reads the clock topic in a consumer group of its own (the inbox still lets one handle each)."""
    return f".{uuid.uuid4().hex[:8]}" if topic.name == OPS_CLOCK.name and isinstance(clock, BusinessClock) else ""


async def record(connection: Connection, clock: Clock, envelope: Envelope[Event]) -> None:
    """Before the event's use case runs: a closed day is recorded (in its transaction), and the
    clock moves to the event's instant."""
    if isinstance(envelope.payload, BusinessDayClosed):
        await record_business_day(connection, envelope.payload)
    advance(clock, envelope)


def advance(clock: Clock, envelope: Envelope[Event]) -> None:
    if not isinstance(clock, BusinessClock):
        return
    if isinstance(envelope.payload, BusinessDayClosed):
        clock.advance(envelope.payload.business_date, envelope.payload.closed_at)
    elif isinstance(envelope.payload, ClockTicked):
        clock.tick(envelope.payload.at)
    elif topic_of(envelope.payload).business_time:
        # What a close caused can arrive (on another topic) before the close itself: it is
        # handled at its own instant, not at the last one this clock saw (a notice is not
        # decided "yesterday").
        clock.tick(envelope.occurred_at)
