"""Run services as real processes, the way `make up` does, and kill them the hard way."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tideover_testkit.service_keys import harness_headers

#: Every service's module, which is also the name of its Postgres schema.
ALL_SERVICES = ("overdue_detection", "notification", "negotiation_intake", "plan_calculation", "repayment_tracking")

#: Whose query API a service asks, under which setting (deploy/services.sh sets the same).
_ASKS = {"negotiation_intake": {"overdue_detection": "TIDEOVER_OVERDUE_URL", "notification": "TIDEOVER_NOTIFICATION_URL"}}


def query_apis(name: str, started: dict[str, ServiceProcess]) -> dict[str, str]:
    """The settings that tell service `name` where the services it asks answer, of those `started`."""
    return {variable: started[other].url for other, variable in _ASKS.get(name, {}).items() if other in started}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """One service process (`python -m <module>`), its port and its log file."""

    def __init__(self, module: str, env: dict[str, str], log_dir: Path) -> None:
        self.module = module
        self.port = free_port()
        self.env = {**os.environ, **env, "TIDEOVER_HTTP_PORT": str(self.port)}
        self.log_path = log_dir / f"{module}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, extra_env: dict[str, str] | None = None, timeout: float = 60.0) -> ServiceProcess:
        log = self.log_path.open("ab")
        env = {**self.env, **(extra_env or {})}
        # With a fault to inject, the service runs under the test kit's launcher (faults.py).
        command = ["-m", "tideover_testkit.faults", self.module] if env.get("TIDEOVER_FAULT") else ["-m", self.module]
        self._process = subprocess.Popen(
            [sys.executable, *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready(timeout)
        return self

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self._process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{self.module} not ready within {timeout} s; see {self.log_path}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        assert self._process is not None
        return self._process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, no offset commits."""
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


async def wait_until_ok(
    url: str,
    timeout: float = 30.0,
    accept: Callable[[httpx.Response], bool] = lambda _: True,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Poll `url` until it answers 200 (and `accept`s the answer): e.g. until a service has
    taken in an event. The harness's operator key goes with every call (a query API's guard),
    beside `headers`.

    Events on different topics are consumed independently, so a test that needs one fact
    handled before the next (a loan booked before its business day closes) waits for it.
    """
    sent = {**harness_headers(), **(headers or {})}
    async with httpx.AsyncClient(timeout=5, headers=sent) as client, asyncio.timeout(timeout):
        while True:
            response = await client.get(url)
            if response.status_code == 200 and accept(response):
                return response
            await asyncio.sleep(0.1)


@contextmanager
def started_services(
    env: dict[str, str], log_dir: Path, names: tuple[str, ...] = ALL_SERVICES
) -> Iterator[dict[str, ServiceProcess]]:
    """Start `names` as processes, in order; on the way out stop every process the dict then
    holds (a caller may add one it started itself). Each service is told the query API of those
    started before it that it asks (intake: the ledger), as deploy/services.sh does."""
    started: dict[str, ServiceProcess] = {}
    try:
        for name in names:
            started[name] = ServiceProcess(name, {**env, **query_apis(name, started)}, log_dir).start()
        yield started
    finally:
        for process in started.values():
            process.stop()


#: A service of the runtime alone: it records each LoanBooked in its inbox and does nothing else.
_PROBE_SERVICE = """
import asyncio
import os
from pathlib import Path

from tideover_contracts.events.loans import LoanBooked
from tideover_runtime.service import ServiceDefinition, run_service
from tideover_runtime.subscriptions import Subscriptions


async def when_loan_booked_note_it(unit, ports):
    pass


subscriptions = Subscriptions()
subscriptions.on(LoanBooked, when_loan_booked_note_it)


asyncio.run(run_service(ServiceDefinition(
    name="{name}", schema="{schema}", migrations=Path(os.environ["PROBE_MIGRATIONS"]), subscriptions=subscriptions
)))
"""


def probe_service(name: str, schema: str, env: dict[str, str], directory: Path) -> ServiceProcess:
    """A service of the runtime alone, with no code of its own but a LoanBooked handler that does
    nothing (module `<name>` in `directory`, schema `schema`), not yet started: what every
    service gets from the runtime, seen from outside."""
    module = name.replace("-", "_")
    (directory / f"{module}.py").write_text(_PROBE_SERVICE.format(name=name, schema=schema))
    (directory / "migrations").mkdir(exist_ok=True)
    python_path = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    extra = {"TIDEOVER_CLOCK": "system", "PROBE_MIGRATIONS": str(directory / "migrations"), "PYTHONPATH": python_path}
    return ServiceProcess(module, {**env, **extra}, directory)
