"""Settling a day by notification changes no figure: the simulator runs the same seeded book
twice through all five services, on fresh topics and a fresh database each time, once settling
each step of a day by polling (nothing in flight twice in a row) and once by notification
(tideover_simulator.settling: the consumer groups' commits and the outboxes' NOTIFY); both
runs must report the same totals, the same series and the same trial balance.

The borrowers on their own page take part (a day they enter codes settles twice). What
notification decides at its clock's now is left out, as in test_faults.py: whether a reminder caused by a close is
held by quiet hours depends on which of its consumers comes first, in either way."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest

from tideover_simulator.simulation import Plan, Services, Simulation
from tideover_testkit.fixtures import Infrastructure, Servers, isolated
from tideover_testkit.processes import started_services

#: The book of test_faults.py, which reaches plans, with borrowers on their page.
PLAN = Plan(seed=23, loans=60, days=55, first_day=date(2026, 1, 5), page_share=0.3)


@pytest.fixture
def second_infrastructure(servers: Servers) -> Iterator[Infrastructure]:
    """Fresh topics and a fresh database on the shared servers for the second run."""
    with isolated(servers) as fresh:
        yield fresh


async def simulate(infrastructure: Infrastructure, log_dir: Path, settle: Literal["notified", "polled"]) -> dict[str, Any]:
    await asyncio.to_thread(log_dir.mkdir, parents=True)
    with started_services(infrastructure.service_env(), log_dir) as processes:
        plan = dataclasses.replace(PLAN, settle=settle)

        def progress(line: str) -> None:
            print(f"{settle}: {line}")

        return await Simulation(infrastructure.settings(), Services.of(processes), plan, progress=progress).run()


def untimed(figures: dict[str, Any]) -> dict[str, Any]:
    """The report's figures but those that depend on when notices were decided."""
    totals = {key: value for key, value in figures["totals"].items() if key != "notices_held"}
    series = [{key: value for key, value in day.items() if key != "notices"} for day in figures["series"]]
    return {"totals": totals, "series": series, "trial_balance": figures["trial_balance"]}


@pytest.mark.e2e
@pytest.mark.timeout(900)
async def test_settling_by_notification_gives_the_figures_of_polling(
    private_infrastructure: Infrastructure, second_infrastructure: Infrastructure, tmp_path: Path
) -> None:
    polled = await simulate(private_infrastructure, tmp_path / "polled", "polled")
    notified = await simulate(second_infrastructure, tmp_path / "notified", "notified")

    print(f"\nelapsed: polled {polled['elapsed_seconds']} s, notified {notified['elapsed_seconds']} s")
    for part in ("totals", "series", "trial_balance"):
        assert untimed(notified)[part] == untimed(polled)[part], part
    totals = polled["totals"]
    assert totals["plans_activated"] > 0, totals  # the book is big and long enough to reach plans
    assert totals["help_by_channel"]["page"]["applications"] > 0, totals  # and borrowers on their page
    assert totals["notices_sent"] > 0, totals
    assert polled["trial_balance"]["balanced"], polled["trial_balance"]
