"""plans.offers.v1 is retired (issue 22): an event plan-calculation staged for it and had not sent
when its old version stopped goes to plans.offers.v2 (migration 0006), where every consumer reads
it; what was sent stays as it was."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from plan_calculation.entrypoints.bootstrap import MIGRATIONS
from tideover_contracts.envelope import parse_message, wrap
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.examples import golden_events
from tideover_contracts.topics import PLANS_OFFERS
from tideover_runtime.database import migrate
from tideover_testkit.fixtures import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

SCHEMA = "plan_calculation_retired_v1"
AT = datetime(2026, 3, 15, 9, tzinfo=UTC)
TO_V2 = (MIGRATIONS / "0006.unsent-offers-to-v2.sql").read_text()


def as_version_1(offer: PlanOffered) -> bytes:
    """The envelope version 1 published: schema_version 1, each option with lines of Money."""
    envelope = json.loads(wrap(offer, producer="plan-calculation", occurred_at=AT).to_bytes())
    envelope["schema_version"] = 1
    envelope["payload"]["options"] = [option.model_dump(mode="json") for option in offer.options]
    return json.dumps(envelope).encode()


async def test_unsent_rows_of_the_retired_topic_go_to_v2(infrastructure: Infrastructure) -> None:
    offer = next(event for event in golden_events() if isinstance(event, PlanOffered))
    activated = next(event for event in golden_events() if isinstance(event, PlanActivated))
    await migrate(infrastructure.database_url, SCHEMA, MIGRATIONS)
    activation = wrap(activated, producer="plan-calculation", occurred_at=AT).to_bytes()
    connection = await asyncpg.connect(infrastructure.database_url, server_settings={"search_path": SCHEMA})
    try:
        insert = (
            "INSERT INTO outbox (event_id, event_type, topic, key, value, headers, sent_at)"
            " VALUES ($1, $2, 'plans.offers.v1', 'k', $3, $4::jsonb, $5)"
        )
        sent = uuid.uuid4()
        await connection.execute(insert, uuid.uuid4(), "PlanOffered", as_version_1(offer), '{"schema_version": "1"}', None)
        await connection.execute(insert, uuid.uuid4(), "PlanActivated", activation, '{"schema_version": "1"}', None)
        await connection.execute(insert, sent, "PlanOffered", as_version_1(offer), '{"schema_version": "1"}', offer.valid_until)
        await connection.execute(TO_V2)
        rows = await connection.fetch("SELECT event_id, event_type, topic, value, headers FROM outbox ORDER BY id")
    finally:
        await connection.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        await connection.close()
    unsent = [row for row in rows if row["event_id"] != sent]
    assert {row["topic"] for row in unsent} == {PLANS_OFFERS.name}
    parsed = [parse_message(row["value"], PLANS_OFFERS.event_classes()).payload for row in unsent]
    assert parsed == [offer, activated]  # the same offer, read by version 2's reader
    assert json.loads(unsent[0]["headers"])["schema_version"] == "2"
    [kept] = [row for row in rows if row["event_id"] == sent]
    assert kept["topic"] == "plans.offers.v1"  # published before: history is not rewritten
