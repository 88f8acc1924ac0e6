"""The scheduler owns the clock (issue 18, DESIGN.md §6), as processes on the real Kafka and
Postgres, on a clock the test sets (TIDEOVER_SCHEDULER_NOW_FILE) — and once on the system clock.

- Days close at the cut-off (18:00 Asia/Shanghai, 10:00 UTC), one close per date: two replicas
  close each date once; the leader killed, the other takes over; restarted after three days
  down, the missed dates close in order, oldest first, naming the latest; none twice, none
  skipped. The operator's `tideover-clock` tells where the clock stands and refuses a date out of
  order.
- With overdue-detection and notification: pre-due reminders arrive on their days across a
  weekend, and after three days down the borrower gets one overdue notice, with the figures of
  the latest date, not one a day with stale ones.
- On the system clock, left alone with the cut-off a minute ahead, the scheduler closes the day
  by itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from scheduler.domain.calendar import LATE_CUT_OFF_UNTIL
from tideover_contracts.envelope import wrap
from tideover_contracts.events.clock import close_event_id
from tideover_contracts.examples import loan_booked
from tideover_contracts.topics import NOTIFICATIONS_REQUESTS, OPS_CLOCK, OVERDUE_STATUS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, started_services, wait_until_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

#: How many pre-due reminders the borrower has by each day's close: due Sunday 15 February 2026,
#: reminded 3 and 1 days before, on Thursday 12 and Saturday 14.
REMINDERS_BY = {date(2026, 2, 12): 1, date(2026, 2, 14): 2}
#: Past 18:00 in Shanghai on `day`.
AFTER_CUT_OFF = "T10:00:05+00:00"


class Scheduler:
    """Scheduler replicas on one clock the test sets."""

    def __init__(self, infrastructure: Infrastructure, log_dir: Path, first_date: date) -> None:
        self.now_file = log_dir / "now.txt"
        self.env = {
            **infrastructure.service_env(),
            "TIDEOVER_SCHEDULER_NOW_FILE": str(self.now_file),
            "TIDEOVER_SCHEDULER_FIRST_DATE": first_date.isoformat(),
            "TIDEOVER_SCHEDULER_POLL_SECONDS": "0.2",
        }
        self.log_dir = log_dir
        self.replicas: list[ServiceProcess] = []

    def set_now(self, at: str) -> None:
        self.now_file.write_text(at)

    def after_cut_off(self, day: date) -> None:
        self.set_now(day.isoformat() + AFTER_CUT_OFF)

    def start(self) -> ServiceProcess:
        replica = ServiceProcess("scheduler", self.env, self.log_dir)
        replica.log_path = self.log_dir / f"scheduler-{len(self.replicas)}.log"
        self.replicas.append(replica.start())
        return replica

    def leader(self) -> ServiceProcess:
        for replica in self.replicas:
            if replica.running and "tideover_scheduler_leads 1.0" in httpx.get(f"{replica.url}/metrics", timeout=5).text:
                return replica
        raise AssertionError("no replica leads")

    def clock_cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "scheduler.entrypoints.clock_cli", "--operator", "ops-test", *arguments]
        return subprocess.run(command, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=60, check=False)

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()


@pytest.fixture
def scheduler(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[Scheduler]:
    made: list[Scheduler] = []

    def make(first_date: date) -> Scheduler:
        made.append(Scheduler(private_infrastructure, tmp_path, first_date))
        return made[-1]

    yield make  # type: ignore[misc]
    for each in made:
        each.stop()


def closes(watcher: TopicWatcher) -> list[tuple[date, date | None]]:
    return [(event.business_date, event.catching_up_to) for event in watcher.events("BusinessDayClosed")]


async def closed_through(watcher: TopicWatcher, day: date, timeout: float = 30.0) -> None:
    await watcher.wait_for(lambda _: any(closed == day for closed, _ in closes(watcher)), timeout)


async def test_days_close_at_the_cut_off_once_each_across_replicas_a_kill_and_three_days_down(
    private_infrastructure: Infrastructure, scheduler: Any
) -> None:
    infrastructure = private_infrastructure
    clock: Scheduler = scheduler(date(2026, 3, 2))
    clock.set_now("2026-03-02T09:59:00+00:00")  # 17:59 in Shanghai
    async with TopicWatcher(infrastructure.bootstrap_servers, [OPS_CLOCK.name], infrastructure.topic_prefix) as watcher:
        clock.start()
        clock.start()
        await asyncio.sleep(2)
        assert closes(watcher) == []  # not before the cut-off
        assert len(watcher.events("ClockTicked")) == 1  # the clock ticks, once a period

        clock.after_cut_off(date(2026, 3, 2))
        await closed_through(watcher, date(2026, 3, 2))
        leader = clock.leader()
        leader.kill()  # its lock goes with its connection: the other replica takes over
        clock.after_cut_off(date(2026, 3, 3))
        await closed_through(watcher, date(2026, 3, 3))
        assert clock.leader() is not leader

        for replica in clock.replicas:  # three days down
            replica.kill()
        clock.after_cut_off(date(2026, 3, 6))
        clock.start()
        await closed_through(watcher, date(2026, 3, 6))
        clock.start()
        await asyncio.sleep(2)  # a late replica closes nothing again
        await watcher.caught_up()

        status = clock.clock_cli("status", "--json")
        out_of_order = clock.clock_cli("close-day", "2026-03-08")
        ids = [
            item.envelope.event_id for item in watcher.seen if item.envelope and item.envelope.event_type == "BusinessDayClosed"
        ]

    assert closes(watcher) == [
        (date(2026, 3, 2), None),
        (date(2026, 3, 3), None),
        (date(2026, 3, 4), date(2026, 3, 6)),
        (date(2026, 3, 5), date(2026, 3, 6)),
        (date(2026, 3, 6), date(2026, 3, 6)),
    ]
    assert ids == [close_event_id(day) for day, _ in closes(watcher)]
    closed_at = [event.closed_at for event in watcher.events("BusinessDayClosed")]
    assert closed_at[2] == datetime(2026, 3, 4, 10, tzinfo=UTC)  # each at its own cut-off
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert (found["leader"], found["paused"], found["last_closed"]) == (True, False, "2026-03-06")
    assert found["next_close"] == {"date": "2026-03-07", "at": "2026-03-07T10:00:00+00:00"}
    assert out_of_order.returncode == 2
    assert "out of order: 2026-03-07 must be closed first" in out_of_order.stderr


async def test_reminders_on_their_days_across_a_weekend_and_one_current_notice_after_three_days_down(
    private_infrastructure: Infrastructure, scheduler: Any, tmp_path: Path
) -> None:
    infrastructure = private_infrastructure
    # Due Sunday 15 February 2026: reminders 3 and 1 days before, Thursday 12 and Saturday 14.
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    topics = [OPS_CLOCK.name, OVERDUE_STATUS.name, NOTIFICATIONS_REQUESTS.name]
    names = ("overdue_detection", "notification")
    with started_services(infrastructure.service_env(), tmp_path, names) as services:
        async with (
            KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
            TopicWatcher(infrastructure.bootstrap_servers, topics, infrastructure.topic_prefix) as watcher,
        ):
            await kafka.publish(wrap(loan, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
            await wait_until_ok(f"{services['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status")
            clock: Scheduler = scheduler(date(2026, 2, 11))

            def requests(purpose: str) -> list[Any]:
                return watcher.events("NotificationRequested", lambda e: e.loan_id == loan.loan_id and e.purpose == purpose)

            reminded_on: dict[date, int] = {}
            for day in (date(2026, 2, 11) + timedelta(days=n) for n in range(5)):  # Wednesday 11 to Sunday 15
                clock.after_cut_off(day)
                if not clock.replicas:
                    clock.start()
                await closed_through(watcher, day)
                if (count := REMINDERS_BY.get(day)) is not None:  # each reminder after its own day's close
                    await watcher.wait_for(lambda _, n=count: len(requests("pre_due_reminder")) >= n, 30)  # type: ignore[misc]
                await asyncio.sleep(1)
                reminded_on[day] = len(requests("pre_due_reminder"))

            for replica in clock.replicas:  # down Monday to Wednesday
                replica.kill()
            clock.after_cut_off(date(2026, 2, 18))
            clock.start()
            await closed_through(watcher, date(2026, 2, 18))
            await watcher.wait_for(lambda _: requests("overdue_notice"), 60)
            await asyncio.sleep(3)  # anything more the catch-up would send
            await watcher.caught_up()

    assert reminded_on == {
        date(2026, 2, 11): 0,
        date(2026, 2, 12): 1,
        date(2026, 2, 13): 1,
        date(2026, 2, 14): 2,
        date(2026, 2, 15): 2,
    }
    due_soon = watcher.events("InstallmentDueSoon", lambda e: e.loan_id == loan.loan_id)
    assert [(event.business_date, event.days_before) for event in due_soon] == [(date(2026, 2, 12), 3), (date(2026, 2, 14), 1)]
    told = [
        (kind, event.business_date)
        for kind in ("LoanBecameOverdue", "OverdueStatusChanged", "LoanCured")
        for event in watcher.events(kind, lambda e: e.loan_id == loan.loan_id)
    ]
    assert ("LoanBecameOverdue", date(2026, 2, 18)) in told
    assert not [kind for kind, day in told if day in (date(2026, 2, 16), date(2026, 2, 17))]  # settled quietly
    [became] = watcher.events("LoanBecameOverdue", lambda e: e.loan_id == loan.loan_id)
    assert became.days_past_due == 3
    [notice] = requests("overdue_notice")  # one notice, with the latest figures
    assert f"{became.overdue.total.amount:,}" in notice.body, notice.body


async def test_left_alone_on_the_system_clock_the_scheduler_closes_the_day_at_its_cut_off(
    private_infrastructure: Infrastructure, tmp_path: Path
) -> None:
    infrastructure = private_infrastructure
    cut_off = (datetime.now(UTC) + timedelta(seconds=90)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    # A cut-off after midnight (before 06:00) closes the day before: at 00:14 the scheduler closes
    # yesterday's business, never a day not yet lived. Whenever the test runs, it is that date.
    business_date = cut_off.date() - timedelta(days=1) if cut_off.time() < LATE_CUT_OFF_UNTIL else cut_off.date()
    env = {
        **infrastructure.service_env(),
        "TIDEOVER_SCHEDULER_TIME_ZONE": "UTC",
        "TIDEOVER_SCHEDULER_CUTOFF": cut_off.strftime("%H:%M"),
        "TIDEOVER_SCHEDULER_FIRST_DATE": business_date.isoformat(),
        "TIDEOVER_SCHEDULER_POLL_SECONDS": "1",
    }
    async with TopicWatcher(infrastructure.bootstrap_servers, [OPS_CLOCK.name], infrastructure.topic_prefix) as watcher:
        replica = ServiceProcess("scheduler", env, tmp_path).start()
        try:
            assert closes(watcher) == []
            await closed_through(watcher, business_date, timeout=200)
            closed_at_wall = datetime.now(UTC)
        finally:
            replica.stop()

    [closed] = watcher.events("BusinessDayClosed")
    assert (closed.business_date, closed.closed_at) == (business_date, cut_off)
    assert cut_off <= closed_at_wall < cut_off + timedelta(seconds=30)
