"""Poison and replay (issue 10, part 3; DESIGN.md §5).

- A malformed message on any topic a service consumes lands in the topic's `.dlq` once per
  consuming service, with the reason; the valid message after it (same key, so same partition)
  is still handled: nothing is blocked.
- A payment dead-lettered because its loan was not booked yet is handled once after the loan
  is booked and `tideover-dlq replay` re-drives it; a second replay re-drives nothing.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from negotiation_intake.entrypoints import bootstrap as negotiation_intake
from notification.entrypoints import bootstrap as notification
from overdue_detection.entrypoints import bootstrap as overdue_detection
from plan_calculation.entrypoints import bootstrap as plan_calculation
from repayment_tracking.entrypoints import bootstrap as repayment_tracking
from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import ClockTicked
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import golden_envelopes, loan_booked
from tideover_contracts.money import Money
from tideover_contracts.topics import GATEWAYS, LOANS_LIFECYCLE, OPS_CLOCK, TOPICS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, Seen, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

#: Each service module is also the name of its Postgres schema.
BOOTSTRAPS = {
    "overdue_detection": overdue_detection,
    "notification": notification,
    "negotiation_intake": negotiation_intake,
    "plan_calculation": plan_calculation,
    "repayment_tracking": repayment_tracking,
}
DLQ_TOOL = str(Path(sys.executable).with_name("tideover-dlq"))


def consumed() -> dict[str, dict[str, tuple[str, str]]]:
    """topic → consumer → (schema, an event type it handles), from the services' own
    subscriptions. On the business clock (as in these tests) every service follows
    `ops.clock.v1` and takes in ClockTicked (consumer.attach)."""
    topics: dict[str, dict[str, tuple[str, str]]] = {}
    for schema, bootstrap in BOOTSTRAPS.items():
        definition = bootstrap.definition()  # type: ignore[attr-defined]
        for subscription in definition.subscriptions:
            # A booking needs no earlier state; other golden events may be refused by business rules.
            handled = sorted(subscription.handlers, key=lambda event_type: (event_type != "LoanBooked", event_type))
            topics.setdefault(subscription.topic.name, {})[definition.name] = (schema, handled[0])
        topics.setdefault(OPS_CLOCK.name, {})[definition.name] = (schema, ClockTicked.event_type)
    return topics


def _golden(event_type: str) -> Envelope[Event]:
    """A golden example of `event_type` under a fresh event id (never one a service has seen)."""
    envelope = next(item for item in golden_envelopes() if item.event_type == event_type)
    return envelope.model_copy(update={"event_id": uuid.uuid4()})


def _money_to_number(node: Any) -> bool:
    """Turn the first Money in `node` into a JSON number; False if it carries none."""
    if isinstance(node, dict):
        if set(node) == {"amount", "currency"}:
            node["amount"] = float(node["amount"])
            return True
        return any(_money_to_number(value) for value in node.values())
    if isinstance(node, list):
        return any(_money_to_number(value) for value in node)
    return False


def poison(topic: str) -> Iterator[tuple[bytes, str]]:
    """Three malformed messages for `topic` and a part of the reason each must be given."""
    yield f"{{not JSON for {topic}".encode(), "invalid JSON"
    other = next(t for t in TOPICS if t.name != topic)
    stranger = json.loads(_golden(other.event_types[0].event_type).to_bytes())
    yield json.dumps(stranger).encode(), f"unknown event type {other.event_types[0].event_type!r}"
    carriers = [
        json.loads(_golden(event.event_type).to_bytes()) for event in next(t for t in TOPICS if t.name == topic).event_types
    ]
    with_money = next((document for document in carriers if _money_to_number(document["payload"])), None)
    if with_money is not None:
        yield json.dumps(with_money).encode(), "not a JSON number"
        return
    broken = carriers[0]
    first_field = next(iter(broken["payload"]))
    broken["payload"][first_field] = {"not": "a value"}
    yield json.dumps(broken).encode(), f"invalid {broken['event_type']}: "


async def _handled_by(database_url: str, schema: str, consumer: str, event_id: uuid.UUID) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval(
            f"SELECT true FROM {schema}.inbox WHERE consumer = $1 AND event_id = $2",
            consumer,
            event_id,
        )
    finally:
        await connection.close()
    return bool(found)


def _letters(seen: list[Seen], topic: str) -> list[Seen]:
    return [item for item in seen if item.topic == topic + ".dlq"]


async def test_poison_on_every_consumed_topic_is_dead_lettered_per_consumer_and_blocks_nothing(
    private_infrastructure: Infrastructure, tmp_path: Path
) -> None:
    infra = private_infrastructure
    topics = consumed()
    assert set(topics) == {t.name for t in TOPICS if t.consumers != (GATEWAYS,)}, topics
    processes = [ServiceProcess(module, infra.service_env(), tmp_path) for module in BOOTSTRAPS]
    try:
        for process in processes:
            process.start()
        async with (
            KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka,
            TopicWatcher(infra.bootstrap_servers, [name + ".dlq" for name in topics], infra.topic_prefix) as dlq,
        ):
            poisons = {topic: list(poison(topic)) for topic in topics}
            valid = await _publish_poisons_then_valid_events(infra, kafka, dlq, topics, poisons)
            # Every poison from every consumer (business refusals of the follow-ups may land too).
            wanted = {
                (topic, consumer, value)
                for topic, consumers in topics.items()
                for consumer in consumers
                for value, _ in poisons[topic]
            }

            def arrived(seen: list[Seen]) -> bool:
                got = {
                    (topic, item.headers.get("dlq_consumer"), item.value) for topic in topics for item in _letters(seen, topic)
                }
                return wanted <= got

            await dlq.wait_for(arrived, timeout=120, what=f"{len(wanted)} dead letters")

            for topic, consumers in topics.items():
                letters = _letters(dlq.seen, topic)
                for consumer in consumers:
                    values = {value for value, _ in poisons[topic]}
                    mine = [item for item in letters if item.headers["dlq_consumer"] == consumer and item.value in values]
                    for value, reason in poisons[topic]:
                        [letter] = [item for item in mine if item.value == value]
                        assert reason in letter.headers["dlq_reason"], (topic, consumer, letter.headers["dlq_reason"])
                        assert letter.headers["dlq_original_topic"] == infra.topic_prefix + topic
                        assert letter.headers["dlq_original_offset"].isdigit()
                    assert len(mine) == 3, (topic, consumer, [item.headers["dlq_reason"] for item in mine])

            # Nothing blocked: the valid message after the poison (same partition) was taken in,
            # handled, or refused by a business rule (a golden example's loan or plan may be
            # unknown here), never left waiting.
            for topic, consumers in topics.items():
                for consumer, (schema, event_type) in consumers.items():
                    event_id = valid[topic][event_type].event_id
                    await _wait_taken_in(
                        infra.database_url, dlq, schema, consumer, event_id, what=f"{consumer} {topic} {event_type}"
                    )
            assert await _handled_by(
                infra.database_url, "overdue_detection", "overdue-detection", valid[LOANS_LIFECYCLE.name]["LoanBooked"].event_id
            )
            assert await _handled_by(
                infra.database_url, "notification", "notification", valid[LOANS_LIFECYCLE.name]["LoanBooked"].event_id
            )
            for consumer, (schema, _) in topics[OPS_CLOCK.name].items():
                assert await _handled_by(
                    infra.database_url, schema, consumer, valid[OPS_CLOCK.name][ClockTicked.event_type].event_id
                )
    finally:
        for process in processes:
            process.stop()


async def _publish_poisons_then_valid_events(
    infra: Infrastructure,
    kafka: KafkaTestClient,
    dlq: TopicWatcher,
    topics: dict[str, dict[str, tuple[str, str]]],
    poisons: dict[str, list[tuple[bytes, str]]],
) -> dict[str, dict[str, Envelope[Event]]]:
    """On each topic the poisons, then a valid event for each consumer, all on one partition.
    The loan's booking first, taken in by each of its consumers before the other topics'
    follow-ups about the same loan (each topic is read on its own: notification would not yet
    know whom to contact)."""
    valid: dict[str, dict[str, Envelope[Event]]] = {}
    for topic, consumers in sorted(topics.items(), key=lambda item: item[0] != LOANS_LIFECYCLE.name):
        follow_ups = {event_type: _golden(event_type) for _, event_type in consumers.values()}
        key = next(iter(follow_ups.values())).payload.partition_key().encode()
        for value, _ in poisons[topic]:
            await kafka.publish_raw(topic, value, key=key)
        await kafka.publish(*follow_ups.values())
        valid[topic] = follow_ups
        if topic == LOANS_LIFECYCLE.name:
            for consumer, (schema, event_type) in consumers.items():
                event_id = follow_ups[event_type].event_id
                await _wait_taken_in(infra.database_url, dlq, schema, consumer, event_id, what=f"{consumer} {event_type}")
    return valid


def _refused(dlq: TopicWatcher, consumer: str, event_id: uuid.UUID) -> bool:
    return any(
        item.envelope is not None
        and item.envelope.event_id == event_id
        and item.headers["dlq_consumer"] == consumer
        and item.headers["dlq_reason"].startswith("rejected: ")
        for item in dlq.seen
    )


async def _wait_taken_in(
    database_url: str, dlq: TopicWatcher, schema: str, consumer: str, event_id: uuid.UUID, what: str
) -> None:
    for _ in range(300):  # polling another process's database, up to a minute
        if _refused(dlq, consumer, event_id) or await _handled_by(database_url, schema, consumer, event_id):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not taken in after the poison: {what}")


def _replay(infra: Infrastructure, *arguments: str) -> list[str]:
    env = {"KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers, "TIDEOVER_TOPIC_PREFIX": infra.topic_prefix}
    done = subprocess.run(
        [DLQ_TOOL, "replay", LOANS_LIFECYCLE.name, *arguments], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


async def test_a_payment_dead_lettered_before_its_loan_is_booked_is_handled_once_after_replay(
    private_infrastructure: Infrastructure, tmp_path: Path
) -> None:
    infra = private_infrastructure
    service = ServiceProcess("overdue_detection", infra.service_env(), tmp_path).start()
    try:
        loan = loan_booked(loan_id=uuid.uuid4())
        payment = RepaymentReceived(
            loan_id=loan.loan_id,
            payment_id=f"PAY-{uuid.uuid4()}",
            amount=Money.of("100.00", "CNY"),
            received_at=datetime.now(UTC),
            value_date=date(2026, 1, 20),
        )
        now = datetime.now(UTC)
        early = wrap(payment, producer="test", occurred_at=now)
        async with (
            KafkaTestClient(infra.bootstrap_servers, infra.topic_prefix) as kafka,
            TopicWatcher(infra.bootstrap_servers, [LOANS_LIFECYCLE.name, LOANS_LIFECYCLE.dlq], infra.topic_prefix) as watcher,
        ):
            await kafka.publish(early)
            await watcher.wait_for(lambda seen: _letters(seen, LOANS_LIFECYCLE.name), timeout=30)
            [letter] = _letters(watcher.seen, LOANS_LIFECYCLE.name)
            assert f"unknown loan {loan.loan_id}" in letter.headers["dlq_reason"]

            # The fix: upstream books the loan (its booking had been lost on the way).
            await kafka.publish(wrap(loan, producer="test", occurred_at=now))
            await wait_until_ok(f"{service.url}/v1/loans/{loan.loan_id}/overdue-status")
            assert await _applied(infra, loan.loan_id) == (0, None)

            assert _replay(infra, "--consumer", "overdue-detection", "--dry-run")[-1].startswith("1 replayed, 0 skipped (dry run")
            output = _replay(infra, "--consumer", "overdue-detection")
            assert output[-1] == "1 replayed, 0 skipped", output
            assert str(early.event_id) in output[0]
            await _wait_applied(infra, loan.loan_id)

            assert _replay(infra, "--consumer", "overdue-detection")[-1] == "0 replayed, 0 skipped"
            assert _replay(infra)[-1] == "1 replayed, 0 skipped", "the unfiltered position is its own"
            assert _replay(infra)[-1] == "0 replayed, 0 skipped"
            await watcher.caught_up()
            copies = [item for item in watcher.seen if item.envelope is not None and item.envelope.event_id == early.event_id]
            # The original and two replays on the topic (in its order), one dead letter beside them.
            on_topic = [item for item in copies if item.topic == LOANS_LIFECYCLE.name]
            assert (len(on_topic), len(copies) - len(on_topic)) == (3, 1), [item.topic for item in copies]
            assert all(not name.startswith("dlq_") for item in on_topic for name in item.headers)
            # faststream's publish in send_to_dead_letters adds an empty content-type; all else is the original's.
            assert {name: text for name, text in on_topic[1].headers.items() if name != "content-type"} == on_topic[0].headers
            assert on_topic[1].value == on_topic[0].value

        await _wait_applied(infra, loan.loan_id)  # the third copy was a duplicate: still one payment
        assert len(_letters(watcher.seen, LOANS_LIFECYCLE.name)) == 1, "the replayed payment was not dead-lettered again"
    finally:
        service.stop()


async def _applied(infra: Infrastructure, loan_id: uuid.UUID) -> tuple[int, Decimal | None]:
    connection = await asyncpg.connect(infra.database_url)
    try:
        # One snapshot for both: the service commits a payment and its inbox row together, and two
        # statements apart could fall on either side of that commit.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            row = await connection.fetchrow(
                "SELECT count(*) AS n, sum(amount) AS total FROM overdue_detection.repayments WHERE loan_id = $1", loan_id
            )
            handled = await connection.fetchval(
                "SELECT count(*) FROM overdue_detection.inbox WHERE event_type = 'RepaymentReceived'"
            )
    finally:
        await connection.close()
    assert row is not None
    assert handled == row["n"], "one inbox row per payment applied"
    return int(row["n"]), row["total"]


async def _wait_applied(infra: Infrastructure, loan_id: uuid.UUID) -> None:
    for _ in range(150):  # polling another process's database, up to 30 s
        if await _applied(infra, loan_id) != (0, None):
            break
        await asyncio.sleep(0.2)
    await settled(infra)  # every copy on the topic handled (offsets committed): room for a second application
    assert await _applied(infra, loan_id) == (1, Decimal("100.00"))
