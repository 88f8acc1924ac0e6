"""Find Kafka and Postgres for tests, in the order DESIGN.md §6 gives:
services named by environment variables, testcontainers when a Docker engine answers, else
the local processes that `deploy/` starts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[4]
_containers: list[Any] = []


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def kafka_bootstrap_servers() -> str:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return servers
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer("apache/kafka:4.1.1").with_kraft()
        container.start()
        _containers.append(container)
        return str(container.get_bootstrap_server())
    subprocess.run([str(REPO_ROOT / "deploy/kafka/kafka.sh"), "start"], check=True)
    return "127.0.0.1:" + os.environ.get("KAFKA_PORT", "9092")


def database_url() -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver=None)
        container.start()
        _containers.append(container)
        return str(container.get_connection_url())
    subprocess.run([str(REPO_ROOT / "deploy/postgres/postgres.sh"), "start"], check=True)
    return "postgresql://tideover:tideover@127.0.0.1:5432/tideover?sslmode=disable"


def stop_containers() -> None:
    while _containers:
        with suppress(Exception):
            _containers.pop().stop()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def create_scratch_database(url: str) -> str:
    """A fresh database for one test session, so runs never see each other's rows, with the
    harness's service keys registered in it (testing/service_keys.py)."""
    import psycopg

    from tideover_testkit.service_keys import register_harness_keys

    name = f"tideover_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    register_harness_keys(with_database(url, name))
    return with_database(url, name)


def drop_database(admin_url: str, scratch_url: str) -> None:
    import psycopg

    name = urlsplit(scratch_url).path.lstrip("/")
    with suppress(Exception), psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_topics(bootstrap_servers: str, prefix: str) -> None:
    from tideover_runtime.settings import RuntimeSettings
    from tideover_runtime.topics_admin import create_topics as create

    settings = RuntimeSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers, topic_prefix=prefix)
    asyncio.run(create(settings, partitions=3))


def delete_topics(bootstrap_servers: str, prefix: str) -> None:
    from tideover_runtime.settings import RuntimeSettings
    from tideover_runtime.topics_admin import delete_topics as delete

    with suppress(Exception):
        asyncio.run(delete(RuntimeSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers, topic_prefix=prefix)))
