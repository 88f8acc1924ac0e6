"""What a service consumes, declared: `subs.on(EventType, use_case)`.

The topic is the one the contracts' registry gives the event type (tideover_contracts.topics);
the use case is called with its unit(s) and the ports the composition root builds on the
transaction's connection (`Subscriptions(ports)`), so a use case never sees a connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tideover_contracts.envelope import Event
from tideover_contracts.topics import Topic, topic_of
from tideover_runtime.database import Connection
from tideover_runtime.unit import Unit

E = TypeVar("E", bound=Event)
P = TypeVar("P")

#: Every handler is run as a batch handler: consecutive messages of one type in a polled batch
#: are handed over together, with the transaction's connection to build ports on.
BatchHandler = Callable[[list[Unit[Any]], Connection], Awaitable[None]]


@dataclass
class Subscription:
    topic: Topic
    handlers: dict[str, BatchHandler]


def _no_ports(_: Connection) -> None:
    return None


class Subscriptions(Generic[P]):
    """The event types a service handles, each with its use case; `ports` builds what the use
    cases work with on a transaction's connection (the one place adapters are chosen)."""

    def __init__(self, ports: Callable[[Connection], P] = _no_ports) -> None:  # type: ignore[assignment]
        self._ports = ports
        self._subscriptions: dict[str, Subscription] = {}

    def on(self, event_type: type[E], use_case: Callable[[Unit[E], P], Awaitable[None]]) -> None:
        """Handle each message of `event_type` on its own (in the batch's transaction)."""

        async def one_by_one(units: list[Unit[E]], connection: Connection) -> None:
            ports = self._ports(connection)
            for unit in units:
                await use_case(unit, ports)

        self.add(topic_of(event_type), event_type, one_by_one)

    def on_many(self, event_type: type[E], use_case: Callable[[list[Unit[E]], P], Awaitable[None]]) -> None:
        """Handle a run of consecutive messages of `event_type` at once, in order."""

        async def run(units: list[Unit[E]], connection: Connection) -> None:
            await use_case(units, self._ports(connection))

        self.add(topic_of(event_type), event_type, run)

    def add(self, topic: Topic, event_type: type[E], handler: Callable[[list[Unit[E]], Connection], Awaitable[None]]) -> None:
        if event_type.event_type not in topic.event_classes():
            raise ValueError(f"{topic.name} does not carry {event_type.event_type}")
        subscription = self._subscriptions.setdefault(topic.name, Subscription(topic, {}))
        subscription.handlers[event_type.event_type] = handler

    def handles(self, topic: Topic, event_type: type[Event]) -> bool:
        subscription = self._subscriptions.get(topic.name)
        return subscription is not None and event_type.event_type in subscription.handlers

    def topics(self) -> set[str]:
        return set(self._subscriptions)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(self._subscriptions.values())
