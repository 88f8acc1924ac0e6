"""A service stopped with SIGTERM shuts down in order (relay, publisher, consumers, pool) and
exits 0, instead of being killed by the signal uvicorn raises again after serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_sigterm_runs_the_shutdown_and_exits_cleanly(private_infrastructure: Infrastructure, tmp_path: Path) -> None:
    service = ServiceProcess("repayment_tracking", private_infrastructure.service_env(), tmp_path).start()
    service.stop()
    assert service.wait_exit() == 0
    assert '"service stopped"' in service.log_path.read_text()
