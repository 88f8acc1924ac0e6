"""What every benchmark shares: isolated infrastructure, a service process, figures on disk."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tideover_runtime.settings import RuntimeSettings
from tideover_runtime.testing import infra
from tideover_runtime.testing.fixtures import Infrastructure
from tideover_runtime.topics_admin import create_topics

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "var" / "bench"


@asynccontextmanager
async def isolated_infrastructure() -> AsyncIterator[Infrastructure]:
    """A fresh topic prefix (6 partitions a topic) and scratch database on the test servers."""
    servers, admin = infra.kafka_bootstrap_servers(), infra.database_url()
    scratch = infra.create_scratch_database(admin)
    prefix = f"bench{time.time_ns()}."
    await create_topics(RuntimeSettings(KAFKA_BOOTSTRAP_SERVERS=servers, topic_prefix=prefix))
    try:
        yield Infrastructure(servers, scratch, prefix)
    finally:
        infra.drop_database(admin, scratch)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, Any]:
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write(name: str, figures: dict[str, Any], params: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {"name": name, "figures": figures, "params": params, "machine": machine()}
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    width = max(len(key) for key in figures)
    print(f"\n{name}")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
