"""Notification as a process on a test's own topics and database, and a client and a watcher of them
(test_contact_flow*.py; a module may define its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tideover_contracts.topics import NOTIFICATIONS_RECEIPTS, NOTIFICATIONS_REQUESTS
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess


@pytest.fixture
def notification(private_infrastructure: Infrastructure, tmp_path: Path) -> Iterator[ServiceProcess]:
    process = ServiceProcess("notification", private_infrastructure.service_env(), tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def client(private_infrastructure: Infrastructure) -> AsyncIterator[KafkaTestClient]:
    async with KafkaTestClient(private_infrastructure.bootstrap_servers, private_infrastructure.topic_prefix) as kafka:
        yield kafka


@pytest.fixture
async def watcher(private_infrastructure: Infrastructure) -> AsyncIterator[TopicWatcher]:
    topics = (NOTIFICATIONS_REQUESTS.name, NOTIFICATIONS_RECEIPTS.name)
    async with TopicWatcher(private_infrastructure.bootstrap_servers, topics, private_infrastructure.topic_prefix) as watching:
        yield watching
