"""The same journey twice, each on a system of its own (topics, database, five service processes):
once with every upstream event delivered once and in order (run A), once with every upstream
event delivered twice and some out of order (run B). What a gateway is asked to send, what an
agent sees on the APIs and how many events of each type the services publish must not differ.

The journey: three borrowers in Shanghai, each with a 3,000.00 loan booked on 15 January 2026
(1,045.00 due on the 15th of each month); business days close at 18:00 in Beijing.
- on_time pays each installment the day before it falls due: it hears only pre-due reminders;
- late is overdue on 16 February, pays 500.00 on the 17th and 600.00 on the 19th (cured, with
  credit), and is overdue again in March;
- hardship is overdue on 16 February; on the 18th an agent files a hardship application through
  intake, chooses an option, sends the written plan and confirms it with the code from the SMS;
  the plan's first installment (398.65, due 18 March) is paid in two parts, on 17 and 18 March.
The agent's steps are not upstream events: each run does them once, the same way.

What Kafka can do to run B's deliveries (DESIGN.md §2: every topic is keyed by loan; all clock
events share one key), and what the script (RUN_B) does of it:
- different keys interleave as they like, on one topic and across topics: the loans are booked
  in another order, and a loan's redelivered payment comes after another loan's payment;
- a record comes twice in a row (a producer retry without idempotence; a batch fetched twice,
  possibly both in one poll): the hardship booking, the payment of 14 February, the close of
  14 February;
- a consumer that died before committing its offsets is handed the records again after what
  other topics delivered meanwhile: a business day's close comes again after the next day's
  payment (12 Feb after the payment of the 14th, 16 Feb after the 17th's, 18 Feb after the
  negotiation and the 19th's payment, 12 and 17 March likewise; 14 March after 17 March's, and
  18 March after a payment's redelivery); a payment again after the next close (19 Feb's after
  12 March's close, 18 March's after 18 March's);
- an upstream that publishes at least once (its relay died between sending and marking sent)
  sends an older event of a loan again after newer ones of that loan: the bookings of on_time
  (after its payment) and late (after two closes), late's first payment after its second,
  hardship's first plan payment after its second.
Not done, because Kafka keeps the order of one key: a first delivery of a loan's events or of the
business days in another order (no payment before its booking, no day closed before the day
before it). Nor does a first delivery race one on another topic: a payment that arrives after the
close of its value date is a correction, a different fact with its own outcome (DESIGN.md §3
step 2), not a redelivery. So both runs wait after each step until every service is idle, and
`_assert_fair` checks these rules of the script itself.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import Envelope, Event, deterministic_id, wrap
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_contracts.topics import topic_of
from tideover_runtime.lag import LagProbe
from tideover_testkit.fixtures import Infrastructure, Servers, isolated
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ALL_SERVICES, ServiceProcess
from tideover_testkit.service_keys import harness_headers
from tideover_testkit.settle import settle

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

#: Each service module is also the name of its Postgres schema.


def _loan(number: int) -> LoanBooked:
    loan = loan_booked(loan_id=deterministic_id("redelivered journey", number), booked_on=date(2026, 1, 15))
    borrower = loan.borrower.model_copy(update={"borrower_id": f"B-RD-{number:03d}", "phone": f"+86138001380{number:02d}"})
    return loan.model_copy(update={"borrower": borrower})


LOANS = {"on_time": _loan(1), "hardship": _loan(2), "late": _loan(3)}


def _close(month: int, day: int) -> tuple[str, Envelope[Any]]:
    closed_at = datetime(2026, month, day, 10, tzinfo=UTC)  # 18:00 in Beijing
    event = BusinessDayClosed(business_date=closed_at.date(), closed_at=closed_at)
    return f"close {month:02d}-{day:02d}", wrap(event, producer="scheduler", occurred_at=closed_at)


def _pays(name: str, amount: str, month: int, day: int) -> tuple[str, Envelope[Any]]:
    received_at = datetime(2026, month, day, 2, tzinfo=UTC)
    payment = RepaymentReceived(
        loan_id=LOANS[name].loan_id,
        payment_id=f"PAY-{name}-{month:02d}{day:02d}",
        amount=Money.of(amount, "CNY"),
        received_at=received_at,
        value_date=received_at.date(),
    )
    return f"{name} pays {month:02d}-{day:02d}", wrap(payment, producer="upstream-loan-system", occurred_at=received_at)


#: Every upstream event of the journey, made once: a redelivery is the same envelope, byte for byte.
UPSTREAM: dict[str, Envelope[Any]] = dict(
    [
        *(
            (f"book {name}", wrap(loan, producer="upstream-loan-system", occurred_at=datetime(2026, 1, 15, 2, tzinfo=UTC)))
            for name, loan in LOANS.items()
        ),
        _close(2, 12),
        _pays("on_time", "1045.00", 2, 14),
        _close(2, 14),
        _close(2, 16),
        _pays("late", "500.00", 2, 17),
        _close(2, 18),
        _pays("late", "600.00", 2, 19),
        _close(3, 12),
        _pays("on_time", "1045.00", 3, 14),
        _close(3, 14),
        _pays("hardship", "200.00", 3, 17),
        _close(3, 17),
        _pays("hardship", "198.65", 3, 18),
        _close(3, 18),
    ]
)
NEGOTIATE = "the agent negotiates hardship's plan"

#: Each upstream event once, in order; every step waits until all services are idle.
RUN_A = [
    ["book on_time", "book hardship", "book late"],
    ["close 02-12"],
    ["on_time pays 02-14"],
    ["close 02-14"],
    ["close 02-16"],
    ["late pays 02-17"],
    ["close 02-18"],
    [NEGOTIATE],
    ["late pays 02-19"],
    ["close 03-12"],
    ["on_time pays 03-14"],
    ["close 03-14"],
    ["hardship pays 03-17"],
    ["close 03-17"],
    ["hardship pays 03-18"],
    ["close 03-18"],
]
#: Each upstream event twice: the same steps, with the redeliveries the module docstring lists.
RUN_B = [
    ["book late", "book hardship", "book hardship", "book on_time"],
    ["close 02-12"],
    ["on_time pays 02-14", "on_time pays 02-14", "close 02-12"],
    ["close 02-14", "close 02-14"],
    ["book on_time", "book late", "close 02-16"],
    ["late pays 02-17", "close 02-16"],
    ["close 02-18"],
    [NEGOTIATE],
    ["late pays 02-19", "late pays 02-17", "close 02-18"],
    ["close 03-12", "late pays 02-19"],
    ["on_time pays 03-14", "close 03-12"],
    ["close 03-14"],
    ["hardship pays 03-17", "on_time pays 03-14", "close 03-14"],
    ["close 03-17"],
    ["hardship pays 03-18", "hardship pays 03-17", "close 03-17"],
    ["close 03-18", "hardship pays 03-18", "close 03-18"],
]


def _assert_fair(once: list[list[str]], twice: list[list[str]]) -> None:
    """Run B delivers every event of run A twice, and its first deliveries are run A's steps: one
    topic a step, one event a key, so no key's order changes and no topics race."""

    def upstream(steps: list[list[str]]) -> Counter[str]:
        return Counter(name for step in steps for name in step if name != NEGOTIATE)

    assert upstream(twice) == upstream(2 * once)
    delivered: set[str] = set()
    for step_once, step_twice in zip(once, twice, strict=True):
        first = [name for name in dict.fromkeys(step_twice) if name not in delivered]
        delivered.update(first)
        assert sorted(first) == sorted(step_once), (step_once, step_twice)
        if step_once != [NEGOTIATE]:
            envelopes = [UPSTREAM[name] for name in step_once]
            assert len({topic_of(envelope.payload).name for envelope in envelopes}) == 1, step_once
            assert len({envelope.payload.partition_key() for envelope in envelopes}) == len(envelopes), step_once


@dataclass
class System:
    infrastructure: Infrastructure
    services: dict[str, ServiceProcess]
    kafka: KafkaTestClient
    watcher: TopicWatcher
    probe: LagProbe
    database: asyncpg.Connection
    http: httpx.AsyncClient

    async def settle(self) -> None:
        """Until every service is idle and the watcher has read all they published."""
        await settle(self.probe, self.database, self.watcher, timeout=60)

    async def get(self, service: str, path: str, key: str | None = None) -> Any:
        response = await self.http.get(self.services[service].url + path, headers={"X-API-Key": key} if key else None)
        return {"status": response.status_code, "body": response.json()}


@pytest.fixture
def systems(servers: Servers, tmp_path: Path) -> Iterator[list[tuple[Infrastructure, dict[str, ServiceProcess]]]]:
    """Two systems of their own; their service logs are under tmp_path/run-a and tmp_path/run-b."""
    with ExitStack() as stack:
        built = []
        for run in ("run-a", "run-b"):
            infrastructure = stack.enter_context(isolated(servers))
            (logs := tmp_path / run).mkdir()
            started: dict[str, ServiceProcess] = {}
            stack.callback(_stop_all, started)
            for name in ALL_SERVICES:
                started[name] = ServiceProcess(name, infrastructure.service_env(), logs).start()
            built.append((infrastructure, started))
        yield built


def _stop_all(processes: dict[str, ServiceProcess]) -> None:
    for process in processes.values():
        process.stop()


@asynccontextmanager
async def _connected(infrastructure: Infrastructure, services: dict[str, ServiceProcess]) -> AsyncIterator[System]:
    servers, prefix = infrastructure.bootstrap_servers, infrastructure.topic_prefix
    async with (
        KafkaTestClient(servers, prefix) as kafka,
        TopicWatcher(servers, SERVICE_OUTPUT_TOPICS, prefix) as watcher,
        LagProbe(servers, prefix) as probe,
        httpx.AsyncClient(timeout=10, headers=harness_headers()) as http,
    ):
        database = await asyncpg.connect(infrastructure.database_url)
        try:
            yield System(infrastructure, services, kafka, watcher, probe, database, http)
        finally:
            await database.close()


async def _negotiate(system: System) -> None:
    """What the agent does for hardship, on intake's API, with the code the borrower read in the SMS."""
    loan_id = LOANS["hardship"].loan_id

    def ours(event: Any) -> bool:
        return bool(event.loan_id == loan_id)

    key = await issue_key(system.infrastructure.database_url, "agent-042", Role.AGENT)
    intake = system.services["negotiation_intake"].url
    async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": key}) as http:
        path = f"/v1/applications/{(await file_application(http, loan_id))['application_id']}"
        await system.settle()
        offer = await system.watcher.wait_for_event("PlanOffered", ours)
        choice = {"offer_id": str(offer.offer_id), "option_id": offer.recommended_option_id}
        assert (chosen := await http.post(f"{path}/choice", json=choice)).json()["state"] == "chosen", chosen.text
        assert (sent := await http.post(f"{path}/sending")).json()["state"] == "sent", sent.text
        await system.settle()
        sms = await system.watcher.wait_for_event(
            "NotificationRequested", lambda e: ours(e) and e.purpose == Purpose.WRITTEN_PLAN
        )
        code = re.search(r"验证码(\d{6})", sms.body)
        assert code is not None, sms.body
        confirmed = await http.post(f"{path}/confirmation", json={"code": code.group(1)})
        assert confirmed.json()["state"] == "accepted", confirmed.text


@dataclass
class Outcome:
    """What a run ended in, as a gateway and an agent see it, with the ids a run makes at random
    (application, document, offer, plan, the code and the messages keyed by them) named instead."""

    notifications: dict[str, list[dict[str, Any]]]  # per loan, what the gateways are asked to send
    statuses: list[dict[str, Any]]  # overdue-detection's answer for each loan after every step
    agent: dict[str, Any]  # intake's loan views and applications, repayment-tracking's plans
    counts: Counter[str]  # events published, by type
    published: dict[str, dict[str, list[dict[str, Any]]]]  # per loan and topic, every event's payload


async def _journey(system: System, script: list[list[str]]) -> Outcome:
    statuses: list[dict[str, Any]] = []
    for step in script:
        if step == [NEGOTIATE]:
            await _negotiate(system)
        else:
            await system.kafka.publish(*(UPSTREAM[name] for name in step))
        await system.settle()
        statuses.append(
            {
                name: await system.get("overdue_detection", f"/v1/loans/{loan.loan_id}/overdue-status")
                for name, loan in LOANS.items()
            }
        )
    key = await issue_key(system.infrastructure.database_url, "agent-043", Role.AGENT)
    agent: dict[str, Any] = {"intake": {}, "applications": [], "plans": {}}
    for name, loan in LOANS.items():
        agent["intake"][name] = view = await system.get("negotiation_intake", f"/v1/loans/{loan.loan_id}", key)
        for application in view["body"].get("applications", []):
            path = f"/v1/applications/{application['application_id']}"
            agent["applications"].append(await system.get("negotiation_intake", path, key))
        agent["plans"][name] = await system.get("repayment_tracking", f"/v1/loans/{loan.loan_id}/plans")
    return _seen(system.watcher, statuses, agent)


def _seen(watcher: TopicWatcher, statuses: list[dict[str, Any]], agent: dict[str, Any]) -> Outcome:
    names = {str(loan.loan_id): name for name, loan in LOANS.items()}
    envelopes = [item.envelope for item in watcher.seen if item.envelope is not None]
    assert len({envelope.event_id for envelope in envelopes}) == len(envelopes), "an event was published twice"
    published: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in LOANS}
    notifications: dict[str, list[dict[str, Any]]] = {name: [] for name in LOANS}
    for envelope in envelopes:
        # A request expires 12 hours after notification's business clock when it decided; that
        # clock follows ops.clock.v1, which races the status events across two topics: a matter
        # of timing, not of redelivery.
        payload = envelope.payload.model_dump(mode="json", exclude={"expires_at"})
        topic = topic_of(envelope.payload).name
        published[names[payload["loan_id"]]].setdefault(topic, []).append({"event_type": envelope.event_type, **payload})
        if envelope.event_type == "NotificationRequested":
            notifications[names[payload["loan_id"]]].append(payload)
    seen = Outcome(notifications, statuses, agent, Counter(envelope.event_type for envelope in envelopes), published)
    return _named(seen, _made_at_random(envelopes))


#: Messages whose id is the business key of a fact that carries a random id (notification's
#: `notify_of` keys): the written plan's application and sending; the plan's id.
RANDOMLY_KEYED = frozenset(Purpose) - {Purpose.PRE_DUE_REMINDER, Purpose.OVERDUE_NOTICE, Purpose.CURED_CONFIRMATION}


def _made_at_random(envelopes: list[Envelope[Event]]) -> dict[str, str]:
    """The ids and codes one run makes at random (uuid4 or derived from one), by what they are."""
    random: dict[str, str] = {}
    for envelope in envelopes:
        event: Any = envelope.payload
        match envelope.event_type:
            case "NegotiationRequested":
                random[str(event.application_id)] = "<application>"
                random.update({str(document.document_id): "<document>" for document in event.hardship.evidence})
            case "PlanOffered":
                random[str(event.offer_id)] = "<offer>"
            case "PlanActivated":
                random[str(event.plan_id)] = "<plan>"
            case "PlanSentToBorrower":
                random[event.confirmation_code] = "<code>"
            case "NotificationRequested" if event.purpose in RANDOMLY_KEYED:
                random[str(event.notification_id)] = f"<{event.purpose.value} notice>"
    return random


#: The token of a borrower's link (issue 21): it expires 7 days after notification's business
#: clock when the message was made, which races the status events as `expires_at` does.
BORROWER_LINK = re.compile(r"/b/[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])")


def _named(seen: Outcome, random: dict[str, str]) -> Outcome:
    def name(value: Any) -> Any:
        text = BORROWER_LINK.sub("/b/<link>", json.dumps(value, ensure_ascii=False, sort_keys=True))
        for token, label in random.items():
            text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", label, text)
        return json.loads(text)

    return Outcome(name(seen.notifications), name(seen.statuses), name(seen.agent), seen.counts, name(seen.published))


async def test_every_upstream_event_twice_and_some_out_of_order_ends_in_the_same_state(
    systems: list[tuple[Infrastructure, dict[str, ServiceProcess]]],
) -> None:
    _assert_fair(RUN_A, RUN_B)
    (infrastructure_a, services_a), (infrastructure_b, services_b) = systems
    async with _connected(infrastructure_a, services_a) as system:
        once = await _journey(system, RUN_A)
    async with _connected(infrastructure_b, services_b) as system:
        twice = await _journey(system, RUN_B)
    _assert_the_journey(once)
    assert twice.notifications == once.notifications
    assert twice.statuses == once.statuses
    assert twice.agent == once.agent
    assert twice.counts == once.counts
    assert twice.published == once.published


def _assert_the_journey(seen: Outcome) -> None:
    """Run A is the journey the module docstring tells, so that run B agreeing with it says something."""
    reminder, notice = "pre_due_reminder", "overdue_notice"
    assert {name: [message["purpose"] for message in messages] for name, messages in seen.notifications.items()} == {
        "on_time": [reminder, reminder],  # 3 days ahead; each installment was paid before the 1-day reminder
        "hardship": [reminder, reminder, notice, notice, "written_plan", "plan_activated", "plan_installment_reminder"],
        "late": [reminder, reminder, notice, notice, "cured_confirmation", reminder, reminder, notice, notice],
    }
    hardship, late = seen.notifications["hardship"], seen.notifications["late"]
    assert "逾期3天，逾期金额¥1,045.31" in hardship[3]["body"]
    # The recommended plan (DESIGN.md §4): nothing waived is affordable, so the cheapest such plan;
    # the SMS states every month of it (issue 16).
    assert "本方案以8期月供取代您贷款的全部剩余还款计划" in hardship[4]["body"]
    assert "2026年3月18日还¥398.65；2026年4月18日还¥396.40；" in hardship[4]["body"]
    assert "2026年10月18日还¥383.01。方案合计¥3,126.31。" in hardship[4]["body"]
    assert "验证码<code>" in hardship[4]["body"]
    assert "第1期应还¥198.65" in hardship[6]["body"]  # what the 200.00 of 17 March left of the first installment
    assert "逾期3天，逾期金额¥545.26" in late[3]["body"]  # after the 500.00 of 17 February
    assert "逾期3天，逾期金额¥990.60（应还款日2026年3月15日）" in late[8]["body"]
    events = ("LoanBecameOverdue", "LoanCured", "PlanActivated", "PlanInstallmentPaid", "PlanInstallmentMissed")
    assert {event: seen.counts[event] for event in events} == dict(zip(events, (3, 1, 1, 2, 0), strict=True))
    [plan] = seen.agent["plans"]["hardship"]["body"]["plans"]
    assert [installment["status"] for installment in plan["installments"][:2]] == ["paid", "due"]
    final = {name: status["body"] for name, status in seen.statuses[-1].items()}
    assert final["hardship"]["status"] == "under_plan"
    assert (final["late"]["episode"], final["late"]["days_past_due"]) == (2, 3)
    assert not final["on_time"]["overdue"]
