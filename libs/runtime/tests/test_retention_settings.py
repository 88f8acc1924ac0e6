"""Retention's settings, and the chores every service runs (tideover_runtime.retention, .service)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tideover_runtime.retention import Retention
from tideover_runtime.service import Chore, Resources, run_periodically, runtime_chores
from tideover_runtime.settings import RuntimeSettings


def test_inbox_rows_are_kept_longer_than_kafka_keeps_the_topics_by_default() -> None:
    settings = RuntimeSettings()
    retention = Retention.of(settings)
    assert retention.inbox == timedelta(days=14)
    assert retention.inbox > timedelta(hours=168)  # KAFKA_LOG_RETENTION_HOURS (docker-compose.yml)
    assert retention.outbox == timedelta(hours=24)
    assert retention.batch_size == 1000
    assert settings.retention_every_seconds == 300


def test_retention_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDEOVER_INBOX_RETENTION_DAYS", "30")
    monkeypatch.setenv("TIDEOVER_OUTBOX_RETENTION_HOURS", "6")
    monkeypatch.setenv("TIDEOVER_RETENTION_BATCH_SIZE", "50")
    monkeypatch.setenv("TIDEOVER_RETENTION_EVERY_SECONDS", "60")
    settings = RuntimeSettings()
    assert Retention.of(settings) == Retention(inbox=timedelta(days=30), outbox=timedelta(hours=6), batch_size=50)
    [chore] = runtime_chores(settings)
    assert (chore.name, chore.every_seconds) == ("retention", 60)


@pytest.mark.parametrize(
    "setting",
    [
        {"inbox_retention_days": 0},
        {"outbox_retention_hours": 0},
        {"retention_batch_size": 0},
        {"retention_batch_size": 1_000_000},
        {"retention_every_seconds": 0},
    ],
)
def test_nonsense_retention_is_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RuntimeSettings(**setting)


async def test_a_failed_chore_is_tried_again_at_its_next_run() -> None:
    runs = 0
    done = asyncio.Event()

    async def flaky(_: Resources) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("the database went away")
        if runs == 3:
            done.set()

    task = asyncio.create_task(run_periodically(Chore("flaky", 0.01, flaky), None))  # type: ignore[arg-type]
    await asyncio.wait_for(done.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runs >= 3
