"""The inbox: which events a consumer has handled (one row per consumer and event id, claimed in
the transaction that handles the event), and how a polled batch is cut into runs of one type."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from tideover_contracts.envelope import Envelope, Event
from tideover_runtime.database import Connection

T = TypeVar("T")


async def claim(connection: Connection, consumer: str, envelopes: Sequence[Envelope[Event]]) -> set[uuid.UUID]:
    """Claim `envelopes` for `consumer` in the caller's transaction; the event ids not claimed
    before (by this transaction's rollback-safe insert) are returned."""
    rows = await connection.fetch(
        """
        INSERT INTO inbox (consumer, event_id, event_type)
        SELECT $1, event_id, event_type FROM unnest($2::uuid[], $3::text[]) AS m(event_id, event_type)
        ON CONFLICT DO NOTHING RETURNING event_id
        """,
        consumer,
        [envelope.event_id for envelope in envelopes],
        [envelope.event_type for envelope in envelopes],
    )
    return {row["event_id"] for row in rows}


def runs_by_type(messages: list[tuple[Envelope[Event], T]]) -> list[list[tuple[Envelope[Event], T]]]:
    """Regroup a batch into runs of one event type without ever reordering the messages of one
    key (loan): the n-th message of each key goes to round n, and each round is split by type.
    Messages of different loans carry no order between them (DESIGN.md §2)."""
    rounds: list[dict[str, list[tuple[Envelope[Event], Any]]]] = []
    seen: dict[str, int] = {}
    for envelope, handler in messages:
        key = envelope.payload.partition_key()
        position = seen[key] = seen.get(key, -1) + 1
        if position == len(rounds):
            rounds.append({})
        rounds[position].setdefault(envelope.event_type, []).append((envelope, handler))
    return [run for round_ in rounds for run in round_.values()]
